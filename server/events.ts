import type { PresenceEvent, ReceiptEvent, TypingEvent } from '../protocol/events.js';
import type { Conversation, Member, Message } from '../protocol/schemas/conversations.js';
import type { PublicUser } from '../protocol/schemas/users.js';

/**
 * Things that happened, recorded by use cases and published after their transaction commits.
 * Each carries what the publisher needs to emit it, so publishing runs no query.
 */
export type DomainEvent =
  | { type: 'sessions.revoked'; userId: number; sessionIds: number[] | 'all' }
  | { type: 'user.updated'; user: PublicUser; recipients: number[] }
  | { type: 'message.created'; message: Message; recipients: number[] }
  | { type: 'message.updated'; message: Message; recipients: number[] }
  | { type: 'receipt'; receipt: ReceiptEvent; recipients: number[] }
  | { type: 'typing'; typing: TypingEvent; recipients: number[] }
  | { type: 'presence'; presence: PresenceEvent; recipients: number[] }
  | { type: 'conversation.updated'; views: Array<{ userId: number; conversation: Conversation }> }
  | { type: 'conversation.removed'; conversationId: number; userIds: number[] }
  | { type: 'member.updated'; conversationId: number; member: Member; recipients: number[] }
  | { type: 'membership.changed'; conversationId: number; userIds: number[] };

/** What a use case returns: its result, and the events to publish once the caller has answered. */
export interface Outcome<T> {
  data: T;
  events: DomainEvent[];
}

type Listener = (event: DomainEvent) => void;

/** In-process event bus; the realtime layer listens and turns events into socket emits. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publishAll(events: readonly DomainEvent[]): void {
    for (const e of events) this.publish(e);
  }

  publish(event: DomainEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must not undo a committed change or break the caller.
      }
    }
  }
}
