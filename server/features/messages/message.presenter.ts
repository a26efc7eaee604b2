import { LIMITS } from '../../../protocol/limits.js';
import type {
  Attachment,
  Message,
  MessageStatus,
  Reaction,
} from '../../../protocol/schemas/conversations.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { MemberCursor } from '../conversations/conversations.queries.js';
import type { MessageRow, ReplyTarget } from './messages.queries.js';

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

/** What a message shows beyond its own row: reactions, the message it answers, mentions, files. */
export interface MessageExtras {
  reactions?: ReadonlyMap<number, Reaction[]>;
  replyTargets?: ReadonlyMap<number, ReplyTarget>;
  mentions?: ReadonlyMap<number, number[]>;
  attachments?: ReadonlyMap<number, Attachment[]>;
}

/** The first code points of a body, as a reply quotes it ("" once the message is deleted). */
export function excerptOf(target: Pick<ReplyTarget, 'body' | 'deleted_at'>): string {
  if (target.deleted_at !== null) return '';
  const points = Array.from(target.body);
  return points.length <= LIMITS.replyExcerptMax
    ? target.body
    : points.slice(0, LIMITS.replyExcerptMax).join('');
}

/** A stored message as the wire sees it; a deleted one is a tombstone. */
export function toMessage(
  row: MessageRow,
  status: MessageStatus,
  extras: MessageExtras = {},
): Message {
  const deleted = row.deleted_at !== null;
  const target =
    deleted || row.reply_to_id === null ? undefined : extras.replyTargets?.get(row.reply_to_id);
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientId: row.client_id,
    kind: row.kind,
    body: deleted ? '' : row.body,
    meta: parseMeta(row.meta),
    createdAt: iso(row.created_at),
    editedAt: isoOrNull(row.edited_at),
    status,
    version: Number(row.version),
    deletedAt: isoOrNull(row.deleted_at),
    replyTo: target
      ? { id: target.id, seq: target.seq, senderId: target.sender_id, excerpt: excerptOf(target) }
      : null,
    reactions: deleted ? [] : (extras.reactions?.get(row.id) ?? []),
    mentions: deleted ? [] : (extras.mentions?.get(row.id) ?? []),
    pinned:
      deleted || row.pinned_by === null || row.pinned_at === null
        ? null
        : { by: row.pinned_by, at: iso(row.pinned_at) },
    attachments: deleted ? [] : (extras.attachments?.get(row.id) ?? []),
  };
}

/** Reaction rows of messages, in reaction order, grouped as the wire shows them. */
export function groupReactions(
  rows: ReadonlyArray<{ message_id: number; user_id: number; emoji: string }>,
): Map<number, Reaction[]> {
  const out = new Map<number, Reaction[]>();
  for (const r of rows) {
    let list = out.get(r.message_id);
    if (!list) out.set(r.message_id, (list = []));
    let one = list.find((x) => x.emoji === r.emoji);
    if (!one) list.push((one = { emoji: r.emoji, count: 0, userIds: [] }));
    one.count++;
    one.userIds.push(r.user_id);
  }
  return out;
}
