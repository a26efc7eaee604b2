import { TYPING_TIMEOUT_MS } from '../../../protocol/limits.js';
import type { TypingPayload } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, notFound } from '../../errors.js';
import type { DomainEvent, EventBus, Outcome } from '../../events.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { findConversation, memberIds } from '../conversations/conversations.queries.js';

interface Active {
  timer: NodeJS.Timeout;
  recipients: number[];
}

/**
 * Who is typing where, on this node. Typing ends by itself after TYPING_TIMEOUT_MS without a
 * new `typing: true`, when the typist sends a message, and when their last socket closes.
 */
export class TypingService {
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly events: EventBus,
    private readonly timeoutMs: number = TYPING_TIMEOUT_MS,
  ) {
    events.subscribe((e) => {
      if (e.type === 'message.created' && e.message.kind === 'text') {
        this.events.publishAll(this.stop(e.message.conversationId, e.message.senderId));
      } else if (e.type === 'membership.changed') {
        this.events.publishAll(this.membershipChanged(e.conversationId, e.userIds));
      }
    });
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
    return existing ? [] : [this.event(conversationId, userId, true, recipients)];
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

/** Relays the caller's typing state to the other members of a conversation they belong to. */
export async function setTyping(
  deps: Deps,
  actor: Actor,
  input: TypingPayload,
): Promise<Outcome<Record<string, never>>> {
  const members = await memberIds(deps.db, input.conversationId);
  if (!members.includes(actor.userId)) {
    const c = await findConversation(deps.db, input.conversationId);
    throw c && visibleToOutsiders(c)
      ? forbidden('Join this group first')
      : notFound('No such conversation');
  }
  const others = members.filter((u) => u !== actor.userId);
  const events = input.typing
    ? deps.typing.start(input.conversationId, actor.userId, others)
    : deps.typing.stop(input.conversationId, actor.userId);
  return { data: {}, events };
}
