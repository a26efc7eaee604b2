import type SQLite from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import { memberIds } from '../conversations/conversations.queries.js';
import type { MessagesTable } from '../../db/schema.js';

export type MessageRow = Selectable<MessagesTable>;

export interface NewMessage {
  conversationId: number;
  senderId: number;
  clientId: string | null;
  kind: 'text' | 'system';
  body: string;
  meta: Record<string, unknown> | null;
  now: number;
}

/**
 * Takes the next seq of a conversation. The UPDATE locks the conversation row until the
 * transaction ends, so concurrent senders queue and seqs stay gap-free on every database.
 * Returns null when the conversation does not exist.
 */
export async function allocateSeq(
  trx: Db,
  kind: DatabaseKind,
  conversationId: number,
  now: number,
): Promise<number | null> {
  const update = trx
    .updateTable('conversations')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now }))
    .where('id', '=', conversationId);
  if (kind === 'mysql') {
    const r = await update.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return null;
    const row = await trx
      .selectFrom('conversations')
      .select('last_seq')
      .where('id', '=', conversationId)
      .executeTakeFirst();
    return row ? Number(row.last_seq) : null;
  }
  const row = await update.returning('last_seq').executeTakeFirst();
  return row ? Number(row.last_seq) : null;
}

/** The columns a new message is stored with. */
function messageValues(m: NewMessage, seq: number): Omit<MessageRow, 'id' | 'edited_at'> {
  return {
    conversation_id: m.conversationId,
    seq,
    sender_id: m.senderId,
    client_id: m.clientId,
    kind: m.kind,
    body: m.body,
    meta: m.meta === null ? null : JSON.stringify(m.meta),
    created_at: m.now,
  };
}

/** Inserts a message with its seq (inside the allocating transaction); returns the stored row. */
export async function insertMessage(
  trx: Db,
  kind: DatabaseKind,
  m: NewMessage,
  seq: number,
): Promise<MessageRow> {
  const values = messageValues(m, seq);
  let id: number;
  if (kind === 'mysql') {
    const r = await trx.insertInto('messages').values(values).executeTakeFirst();
    id = Number(r.insertId);
  } else {
    const r = await trx
      .insertInto('messages')
      .values(values)
      .returning('id')
      .executeTakeFirstOrThrow();
    id = r.id;
  }
  return { ...values, id, edited_at: null };
}

/** Allocates a seq and inserts in the caller's transaction: the one way a message is stored. */
export async function appendMessage(
  trx: Db,
  kind: DatabaseKind,
  m: NewMessage,
): Promise<MessageRow | null> {
  const seq = await allocateSeq(trx, kind, m.conversationId, m.now);
  if (seq === null) return null;
  return insertMessage(trx, kind, m, seq);
}

/** A stored message and the members it goes to (read in the storing transaction). */
export interface StoredMessage {
  row: MessageRow;
  recipients: number[];
}

/**
 * The SQLite send path, run synchronously inside a group-commit batch (which holds the write
 * lock): membership, seq, row and the sender's cursors with four prepared statements. Returns
 * null, storing nothing, when the sender is not a member. A repeated clientId throws the unique
 * violation, and the batch rolls this unit back alone.
 */
export function storeMessageSqlite(sqlite: SQLite.Database, m: NewMessage): StoredMessage | null {
  const recipients = prepared<[number], number>(
    sqlite,
    'select user_id from members where conversation_id = ?',
    { pluck: true },
  ).all(m.conversationId);
  if (!recipients.includes(m.senderId)) return null;
  const seq = prepared<[number, number], number>(
    sqlite,
    'update conversations set last_seq = last_seq + 1, last_message_at = ? where id = ? returning last_seq',
    { pluck: true },
  ).get(m.now, m.conversationId);
  if (seq === undefined) return null;
  const v = messageValues(m, seq);
  const id = prepared<
    [number, number, number, string | null, string, string, string | null, number],
    number
  >(
    sqlite,
    'insert into messages (conversation_id, seq, sender_id, client_id, kind, body, meta, created_at) values (?, ?, ?, ?, ?, ?, ?, ?) returning id',
    { pluck: true },
  ).get(v.conversation_id, seq, v.sender_id, v.client_id, v.kind, v.body, v.meta, v.created_at)!;
  prepared(
    sqlite,
    'update members set delivered_seq = ?, read_seq = ? where conversation_id = ? and user_id = ? and read_seq < ?',
  ).run(seq, seq, m.conversationId, m.senderId, seq);
  return { row: { ...v, id, edited_at: null }, recipients };
}

/**
 * The same on PostgreSQL and MariaDB, in one transaction of the caller's: the seq allocation
 * takes the conversation's row lock first, so the members read next are exactly those who
 * receive it (a member removed before this commit does not), and nothing is stored for a
 * sender who is not among them. Returns null then: the caller rolls the transaction back (the
 * seq taken must not stay).
 */
export async function storeMessage(
  trx: Db,
  kind: DatabaseKind,
  m: NewMessage,
): Promise<StoredMessage | null> {
  const seq = await allocateSeq(trx, kind, m.conversationId, m.now);
  if (seq === null) return null;
  const recipients = await memberIds(trx, m.conversationId);
  if (!recipients.includes(m.senderId)) return null;
  const row = await insertMessage(trx, kind, m, seq);
  await trx
    .updateTable('members')
    .set({ delivered_seq: seq, read_seq: seq })
    .where('conversation_id', '=', m.conversationId)
    .where('user_id', '=', m.senderId)
    .where('read_seq', '<', seq)
    .execute();
  return { row, recipients };
}

export async function findByClientId(
  db: Db,
  senderId: number,
  conversationId: number,
  clientId: string,
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('sender_id', '=', senderId)
    .where('conversation_id', '=', conversationId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

/** A page of history by seq, ascending; fetches one extra row to know whether more exist. */
export async function pageMessages(
  db: Db,
  conversationId: number,
  page: { before?: number; after?: number; limit: number },
): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
  let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
  if (page.after !== undefined) {
    q = q.where('seq', '>', page.after).orderBy('seq', 'asc');
  } else {
    if (page.before !== undefined) q = q.where('seq', '<', page.before);
    q = q.orderBy('seq', 'desc');
  }
  const rows = await q.limit(page.limit + 1).execute();
  const hasMore = rows.length > page.limit;
  if (hasMore) rows.pop();
  if (page.after === undefined) rows.reverse();
  return { rows, hasMore };
}

/**
 * Moves a member's cursors forward, never back and never past the conversation's last seq.
 * Each UPDATE is guarded by the cursor it raises, so concurrent moves keep the larger value.
 * Returns the cursors after the move, or null when the user is not a member.
 */
export async function advanceCursors(
  db: Db,
  conversationId: number,
  userId: number,
  to: { delivered?: number; read?: number },
): Promise<{ moved: boolean; deliveredSeq: number; readSeq: number } | null> {
  const current = await db
    .selectFrom('members')
    .innerJoin('conversations', 'conversations.id', 'members.conversation_id')
    .select(['members.delivered_seq', 'members.read_seq', 'conversations.last_seq'])
    .where('members.conversation_id', '=', conversationId)
    .where('members.user_id', '=', userId)
    .executeTakeFirst();
  if (!current) return null;
  const last = Number(current.last_seq);
  const read = to.read === undefined ? undefined : Math.min(to.read, last);
  const delivered = Math.min(Math.max(to.delivered ?? 0, to.read ?? 0), last);
  let moved = false;
  if (read !== undefined && read > Number(current.read_seq)) {
    const r = await db
      .updateTable('members')
      .set({ read_seq: read })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .where('read_seq', '<', read)
      .executeTakeFirst();
    moved ||= Number(r.numUpdatedRows) > 0;
  }
  if (delivered > Number(current.delivered_seq)) {
    const r = await db
      .updateTable('members')
      .set({ delivered_seq: delivered })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .where('delivered_seq', '<', delivered)
      .executeTakeFirst();
    moved ||= Number(r.numUpdatedRows) > 0;
  }
  if (!moved) {
    return {
      moved,
      deliveredSeq: Number(current.delivered_seq),
      readSeq: Number(current.read_seq),
    };
  }
  const after = await db
    .selectFrom('members')
    .select(['delivered_seq', 'read_seq'])
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!after) return null;
  return { moved, deliveredSeq: Number(after.delivered_seq), readSeq: Number(after.read_seq) };
}

/** The newest message of each conversation (the one at its last seq). */
export async function lastMessages(
  db: Db,
  conversationIds: readonly number[],
): Promise<Map<number, MessageRow>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages')
    .innerJoin('conversations', (j) =>
      j
        .onRef('conversations.id', '=', 'messages.conversation_id')
        .onRef('messages.seq', '=', 'conversations.last_seq'),
    )
    .selectAll('messages')
    .where('conversations.id', 'in', conversationIds)
    .execute();
  return new Map(rows.map((r) => [r.conversation_id, r]));
}
