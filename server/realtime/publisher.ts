import { EV } from '../../protocol/events.js';
import type { DomainEvent, EventBus } from '../events.js';
import type { ParleyServer } from './handler.js';

export const userRoom = (id: number) => `user:${id}`;
export const sessionRoom = (id: number) => `session:${id}`;

/**
 * The only code that emits to sockets: turns published domain events into Socket.IO emits to
 * per-user rooms. With the Redis adapter the same emits reach sockets on every node.
 */
export class Publisher {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly io: ParleyServer,
    events: EventBus,
  ) {
    this.unsubscribe = events.subscribe((e) => this.emit(e));
  }

  private toUsers(ids: readonly number[]) {
    return this.io.to(ids.map(userRoom));
  }

  private emit(e: DomainEvent): void {
    switch (e.type) {
      case 'message.created':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.messageNew, e.message);
        return;
      case 'message.updated':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.messageUpdated, e.message);
        return;
      case 'user.updated':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.userUpdated, e.user);
        return;
      case 'receipt':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.receipt, e.receipt);
        return;
      case 'typing':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.typing, e.typing);
        return;
      case 'presence':
        if (e.recipients.length) this.toUsers(e.recipients).emit(EV.presence, e.presence);
        return;
      case 'conversation.updated':
        for (const v of e.views)
          this.io.to(userRoom(v.userId)).emit(EV.conversationUpdated, v.conversation);
        return;
      case 'conversation.removed':
        if (e.userIds.length)
          this.toUsers(e.userIds).emit(EV.conversationRemoved, {
            conversationId: e.conversationId,
          });
        return;
      case 'member.updated':
        if (e.recipients.length) {
          this.toUsers(e.recipients).emit(EV.memberUpdated, {
            conversationId: e.conversationId,
            member: e.member,
          });
        }
        return;
      case 'sessions.revoked': {
        const rooms = e.sessionIds === 'all' ? [userRoom(e.userId)] : e.sessionIds.map(sessionRoom);
        if (rooms.length === 0) return;
        this.io.to(rooms).emit(EV.sessionExpired, {});
        this.io.in(rooms).disconnectSockets(true);
        return;
      }
      case 'membership.changed':
        return;
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
