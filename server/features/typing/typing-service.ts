import { TYPING_TIMEOUT_MS } from '../../../protocol/limits.js';
import type { DomainEvent, EventBus } from '../../events.js';

interface Active {
  timer: NodeJS.Timeout;
  recipients: number[];
}

/** What one node tells the others about typing (a user's typing lives on one node at a time). */
export type TypingSignal =
  /** End this typing wherever it is (a message was sent, or `typing: false` came elsewhere). */
  | { op: 'stop'; conversationId: number; userId: number }
  /** These users joined or left the conversation. */
  | { op: 'members'; conversationId: number; userIds: number[] }
  /** The sender's node holds this typing now; others forget theirs without a word. */
  | { op: 'claim'; conversationId: number; userId: number };

/**
 * Who is typing where. Typing ends by itself after TYPING_TIMEOUT_MS without a new
 * `typing: true`, when the typist sends a message, when they leave the conversation and when
 * their last socket closes. The state lives on the node that relayed the start; with several
 * nodes, `link` passes the signals that end or move it to the others.
 */
export class TypingService {
  private readonly active = new Map<string, Active>();
  private relay: (signal: TypingSignal) => void = () => {};

  constructor(
    private readonly events: EventBus,
    private readonly timeoutMs: number = TYPING_TIMEOUT_MS,
  ) {
    events.subscribe((e) => {
      if (e.type === 'message.created' && e.message.kind === 'text') {
        const { conversationId, senderId } = e.message;
        this.events.publishAll(this.stop(conversationId, senderId));
        this.relay({ op: 'stop', conversationId, userId: senderId });
      } else if (e.type === 'membership.changed') {
        this.events.publishAll(this.membershipChanged(e.conversationId, e.userIds));
        this.relay({ op: 'members', conversationId: e.conversationId, userIds: e.userIds });
      }
    });
  }

  /** Sends this node's signals to the other nodes (set once, by the cluster). */
  link(send: (signal: TypingSignal) => void): void {
    this.relay = send;
  }

  /** A signal from another node: the events it causes here. */
  receive(signal: TypingSignal): DomainEvent[] {
    switch (signal.op) {
      case 'stop':
        return this.stop(signal.conversationId, signal.userId);
      case 'members':
        return this.membershipChanged(signal.conversationId, signal.userIds);
      case 'claim': {
        const k = this.key(signal.conversationId, signal.userId);
        const a = this.active.get(k);
        if (a) {
          clearTimeout(a.timer);
          this.active.delete(k);
        }
        return [];
      }
    }
  }

  /**
   * People joined or left a conversation: typing that began before goes on, but its end is
   * not told to anyone who was not there at its start or is gone now, and leavers stop typing.
   */
  private membershipChanged(conversationId: number, userIds: readonly number[]): DomainEvent[] {
    const out: DomainEvent[] = [];
    for (const [k, a] of this.active) {
      const [c, u] = k.split(':').map(Number);
      if (c !== conversationId) continue;
      a.recipients = a.recipients.filter((r) => !userIds.includes(r));
      if (userIds.includes(u!)) out.push(...this.stop(c, u!));
    }
    return out;
  }

  private key = (conversationId: number, userId: number) => `${conversationId}:${userId}`;

  private event(
    conversationId: number,
    userId: number,
    typing: boolean,
    recipients: number[],
  ): DomainEvent {
    return { type: 'typing', typing: { conversationId, userId, typing }, recipients };
  }

  /** Starts (or extends) typing; only a change of state is relayed. */
  start(conversationId: number, userId: number, recipients: number[]): DomainEvent[] {
    const k = this.key(conversationId, userId);
    const existing = this.active.get(k);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => this.events.publishAll(this.stop(conversationId, userId)),
      this.timeoutMs,
    );
    timer.unref();
    this.active.set(k, { timer, recipients });
    if (existing) return [];
    this.relay({ op: 'claim', conversationId, userId });
    return [this.event(conversationId, userId, true, recipients)];
  }

  /** `typing: false` from the typist: ends it here, or on the node that holds it. */
  end(conversationId: number, userId: number): DomainEvent[] {
    if (this.active.has(this.key(conversationId, userId))) return this.stop(conversationId, userId);
    this.relay({ op: 'stop', conversationId, userId });
    return [];
  }

  stop(conversationId: number, userId: number): DomainEvent[] {
    const k = this.key(conversationId, userId);
    const a = this.active.get(k);
    if (!a) return [];
    clearTimeout(a.timer);
    this.active.delete(k);
    return [this.event(conversationId, userId, false, a.recipients)];
  }

  /** Ends every typing state of a user (their last socket went away). */
  stopAll(userId: number): DomainEvent[] {
    const out: DomainEvent[] = [];
    for (const k of [...this.active.keys()]) {
      const [c, u] = k.split(':').map(Number);
      if (u === userId) out.push(...this.stop(c!, u));
    }
    return out;
  }

  close(): void {
    for (const a of this.active.values()) clearTimeout(a.timer);
    this.active.clear();
  }
}
