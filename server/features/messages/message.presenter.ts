import type { Message, MessageStatus } from '../../../protocol/schemas/conversations.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { MemberCursor } from '../conversations/conversations.queries.js';
import type { MessageRow } from './messages.queries.js';

/** The lowest value of a cursor over members, and the next lowest, to exclude one sender in O(1). */
class LowestTwo {
  private lo = { user: 0, v: Infinity };
  private lo2 = Infinity;
  add(user: number, v: number): void {
    if (v < this.lo.v) {
      this.lo2 = this.lo.v;
      this.lo = { user, v };
    } else if (v < this.lo2) {
      this.lo2 = v;
    }
  }
  /** The lowest value among everyone but `user` (Infinity when nobody else). */
  without(user: number): number {
    return this.lo.user === user ? this.lo2 : this.lo.v;
  }
}

/**
 * Receipt state of one conversation: a message is `delivered` once every other member's
 * delivered cursor reached its seq, `read` once every other member's read cursor did.
 */
export class ReceiptView {
  private readonly delivered = new LowestTwo();
  private readonly read = new LowestTwo();
  private readonly count: number;
  private readonly members: Set<number>;

  constructor(cursors: readonly MemberCursor[]) {
    for (const c of cursors) {
      this.delivered.add(c.user_id, c.delivered_seq);
      this.read.add(c.user_id, c.read_seq);
    }
    this.count = cursors.length;
    this.members = new Set(cursors.map((c) => c.user_id));
  }

  statusOf(senderId: number, seq: number): MessageStatus {
    const others = this.members.has(senderId) ? this.count - 1 : this.count;
    if (others <= 0) return 'sent';
    if (this.read.without(senderId) >= seq) return 'read';
    if (this.delivered.without(senderId) >= seq) return 'delivered';
    return 'sent';
  }
}

function parseMeta(meta: string | null): Record<string, unknown> | null {
  if (meta === null) return null;
  try {
    return JSON.parse(meta) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A stored message as the wire sees it. */
export function toMessage(row: MessageRow, status: MessageStatus): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientId: row.client_id,
    kind: row.kind,
    body: row.body,
    meta: parseMeta(row.meta),
    createdAt: iso(row.created_at),
    editedAt: isoOrNull(row.edited_at),
    status,
  };
}
