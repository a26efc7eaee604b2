import type SQLite from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import { mentionedIds } from '../../../protocol/mentions.js';
import { memberIds } from '../conversations/conversations.queries.js';
import { attach, attachSqlite, type AttachmentRow } from '../files/attachments.queries.js';
import { indexMessage, indexMessageSqlite } from '../search/search.queries.js';
import type { MessagesTable } from '../../db/schema.js';

export type MessageRow = Selectable<MessagesTable>;

export interface NewMessage {
  conversationId: number;
  senderId: number;
  clientId: string | null;
  kind: 'text' | 'system';
  body: string;
  meta: Record<string, unknown> | null;
  /** The message this one answers (checked in the storing transaction). */
  replyToId?: number | null;
  /** Put its words in the search index (in the same transaction). */
  index?: boolean;
  /** The sender's uploads to attach (checked and claimed in the same transaction). */
  attachmentIds?: readonly number[];
  now: number;
}

/** Where a new message goes: its seq (its place) and the conversation's next version. */
export interface Slot {
  seq: number;
  version: number;
}

/**
 * Takes the next seq and the next version of a conversation. The UPDATE locks the conversation
 * row until the transaction ends, so concurrent writers queue and seqs stay gap-free on every
 * database. Returns null when the conversation does not exist.
 */
export async function allocateSeq(
  trx: Db,
  kind: DatabaseKind,
  conversationId: number,
  now: number,
): Promise<Slot | null> {
  const update = trx
    .updateTable('conversations')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_version: eb('last_version', '+', 1),
      last_message_at: now,
    }))
    .where('id', '=', conversationId);
  if (kind === 'mysql') {
    const r = await update.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return null;
    const row = await trx
      .selectFrom('conversations')
      .select(['last_seq', 'last_version'])
      .where('id', '=', conversationId)
      .executeTakeFirst();
    return row ? { seq: Number(row.last_seq), version: Number(row.last_version) } : null;
  }
  const row = await update.returning(['last_seq', 'last_version']).executeTakeFirst();
  return row ? { seq: Number(row.last_seq), version: Number(row.last_version) } : null;
}

/** The columns a new message is stored with. */
function messageValues(m: NewMessage, slot: Slot): Omit<MessageRow, 'id'> {
  return {
    conversation_id: m.conversationId,
    seq: slot.seq,
    sender_id: m.senderId,
    client_id: m.clientId,
    kind: m.kind,
    body: m.body,
    meta: m.meta === null ? null : JSON.stringify(m.meta),
    created_at: m.now,
    edited_at: null,
    version: slot.version,
    deleted_at: null,
    reply_to_id: m.replyToId ?? null,
    pinned_by: null,
    pinned_at: null,
  };
}

/** Inserts a message in its slot (inside the allocating transaction); returns the stored row. */
export async function insertMessage(
  trx: Db,
  kind: DatabaseKind,
  m: NewMessage,
  slot: Slot,
): Promise<MessageRow> {
  const values = messageValues(m, slot);
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
  return { ...values, id };
}

/** Allocates a slot and inserts in the caller's transaction: the one way a message is stored. */
export async function appendMessage(
  trx: Db,
  kind: DatabaseKind,
  m: NewMessage,
): Promise<MessageRow | null> {
  const slot = await allocateSeq(trx, kind, m.conversationId, m.now);
  if (slot === null) return null;
  return insertMessage(trx, kind, m, slot);
}

/** What a reply needs of the message it answers. */
export type ReplyTarget = Pick<
  MessageRow,
  'id' | 'conversation_id' | 'seq' | 'sender_id' | 'kind' | 'body' | 'deleted_at'
>;

/** A stored message, the members it goes to, and the message it answers (read in the same transaction). */
export interface StoredMessage {
  row: MessageRow;
  recipients: number[];
  replyTo: ReplyTarget | null;
  /** The members it mentions, in order of first appearance. */
  mentions: number[];
  /** The files attached to it, in order. */
  attachments: AttachmentRow[];
}

/** Thrown inside the storing transaction when the message to answer is not one that can be. */
export class BadReplyTarget extends Error {}

/** A reply may answer a text message of the same conversation that is not deleted. */
function checkReplyTarget(m: NewMessage, t: ReplyTarget | undefined): ReplyTarget | null {
  if (m.replyToId == null) return null;
  if (!t || t.conversation_id !== m.conversationId || t.kind !== 'text' || t.deleted_at !== null)
    throw new BadReplyTarget();
  return t;
}

const REPLY_TARGET_SQL =
  'select id, conversation_id, seq, sender_id, kind, body, deleted_at from messages where id = ?';

/**
 * The SQLite send path, run synchronously inside a group-commit batch (which holds the write
 * lock): membership, the message answered, slot, row and the sender's cursors with prepared
 * statements. Returns null, storing nothing, when the sender is not a member. A repeated
 * clientId throws the unique violation, and the batch rolls this unit back alone.
 */
export function storeMessageSqlite(
  sqlite: SQLite.Database,
  m: NewMessage,
  atCommit: (write: () => void) => void = (write) => write(),
): StoredMessage | null {
  const recipients = prepared<[number], number>(
    sqlite,
    'select user_id from members where conversation_id = ?',
    { pluck: true },
  ).all(m.conversationId);
  if (!recipients.includes(m.senderId)) return null;
  const replyTo = checkReplyTarget(
    m,
    m.replyToId == null
      ? undefined
      : prepared<[number], ReplyTarget>(sqlite, REPLY_TARGET_SQL).get(m.replyToId),
  );
  const slot = prepared<[number, number], { last_seq: number; last_version: number }>(
    sqlite,
    'update conversations set last_seq = last_seq + 1, last_version = last_version + 1, last_message_at = ? where id = ? returning last_seq, last_version',
  ).get(m.now, m.conversationId);
  if (slot === undefined) return null;
  const v = messageValues(m, { seq: slot.last_seq, version: slot.last_version });
  const id = prepared<
    [
      number,
      number,
      number,
      string | null,
      string,
      string,
      string | null,
      number,
      number,
      number | null,
    ],
    number
  >(
    sqlite,
    'insert into messages (conversation_id, seq, sender_id, client_id, kind, body, meta, created_at, version, reply_to_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id',
    { pluck: true },
  ).get(
    v.conversation_id,
    v.seq,
    v.sender_id,
    v.client_id,
    v.kind,
    v.body,
    v.meta,
    v.created_at,
    v.version,
    v.reply_to_id,
  )!;
  prepared(
    sqlite,
    'update members set delivered_seq = ?, read_seq = ? where conversation_id = ? and user_id = ? and read_seq < ?',
  ).run(v.seq, v.seq, m.conversationId, m.senderId, v.seq);
  // Only a body with an '@' can mention anyone: the common send reads no names.
  const mentions = m.body.includes('@')
    ? mentionedIds(
        m.body,
        new Map(
          prepared<[number], { username_key: string; id: number }>(sqlite, MEMBER_KEYS_SQL)
            .all(m.conversationId)
            .map((r) => [r.username_key, r.id]),
        ),
      )
    : [];
  const insertMention = prepared(
    sqlite,
    'insert into mentions (message_id, user_id, position) values (?, ?, ?)',
  );
  mentions.forEach((userId, position) => insertMention.run(id, userId, position));
  // Indexed at the end of the batch, in the same transaction (see Work in group-commit.ts).
  if (m.index) atCommit(() => indexMessageSqlite(sqlite, id, m.body));
  const attachments = m.attachmentIds?.length
    ? attachSqlite(sqlite, {
        messageId: id,
        senderId: m.senderId,
        ids: m.attachmentIds,
        now: m.now,
      })
    : [];
  return { row: { ...v, id }, recipients, replyTo, mentions, attachments };
}

const MEMBER_KEYS_SQL =
  'select users.username_key, users.id from members inner join users on users.id = members.user_id where members.conversation_id = ?';

/**
 * The same on PostgreSQL and MariaDB, in one transaction of the caller's: the slot allocation
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
  const slot = await allocateSeq(trx, kind, m.conversationId, m.now);
  if (slot === null) return null;
  const recipients = await memberIds(trx, m.conversationId);
  if (!recipients.includes(m.senderId)) return null;
  const replyTo = checkReplyTarget(
    m,
    m.replyToId == null
      ? undefined
      : await trx
          .selectFrom('messages')
          .select(['id', 'conversation_id', 'seq', 'sender_id', 'kind', 'body', 'deleted_at'])
          .where('id', '=', m.replyToId)
          .executeTakeFirst(),
  );
  const row = await insertMessage(trx, kind, m, slot);
  await trx
    .updateTable('members')
    .set({ delivered_seq: slot.seq, read_seq: slot.seq })
    .where('conversation_id', '=', m.conversationId)
    .where('user_id', '=', m.senderId)
    .where('read_seq', '<', slot.seq)
    .execute();
  const mentions = m.body.includes('@')
    ? mentionedIds(m.body, await memberKeys(trx, m.conversationId))
    : [];
  if (mentions.length)
    await trx.insertInto('mentions').values(mentionRows(row.id, mentions)).execute();
  if (m.index) await indexMessage(trx, kind, row.id, m.body);
  const attachments = m.attachmentIds?.length
    ? await attach(trx, {
        messageId: row.id,
        senderId: m.senderId,
        ids: m.attachmentIds,
        now: m.now,
      })
    : [];
  return { row, recipients, replyTo, mentions, attachments };
}

/** The members of a conversation by lower-cased username (who a body can mention). */
export async function memberKeys(db: Db, conversationId: number): Promise<Map<string, number>> {
  const rows = await selectMemberKeys(db, conversationId).execute();
  return new Map(rows.map((r) => [r.username_key, r.id]));
}

/** The statement behind `memberKeys`. */
export const selectMemberKeys = (db: Db, conversationId: number) =>
  db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select(['users.username_key', 'users.id'])
    .where('members.conversation_id', '=', conversationId);

/** Mention rows of a message, in order of first appearance. */
export const mentionRows = (messageId: number, userIds: readonly number[]) =>
  userIds.map((user_id, position) => ({ message_id: messageId, user_id, position }));

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

// Statements of the message changes (edit, delete, reaction, pin): built here, run as steps
// (server/db/steps.ts) inside one transaction or group-commit unit.

/** A message by id. */
export const selectMessage = (db: Db, id: number) =>
  db.selectFrom('messages').selectAll().where('id', '=', id);

/**
 * The conversation row a change belongs to, locked until the transaction ends where the
 * database can (SQLite's group commit already holds its only writer).
 */
export function lockConversationForChange(db: Db, kind: DatabaseKind, id: number) {
  const q = db
    .selectFrom('conversations')
    .select(['id', 'kind', 'is_private', 'last_seq', 'last_version'])
    .where('id', '=', id);
  return kind === 'sqlite' ? q : q.forUpdate();
}

/** The caller's membership (role) in a conversation. */
export const selectMemberRole = (db: Db, conversationId: number, userId: number) =>
  db
    .selectFrom('members')
    .select(['role', 'read_seq'])
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId);

/** Every member of a conversation with the cursor that decides their unread count. */
export const selectMemberReads = (db: Db, conversationId: number) =>
  db
    .selectFrom('members')
    .select(['user_id', 'delivered_seq', 'read_seq'])
    .where('conversation_id', '=', conversationId);

/** The messages that answer a message (their excerpt of it changes with it), oldest first. */
export const selectReplyIds = (db: Db, messageId: number) =>
  db.selectFrom('messages').select('id').where('reply_to_id', '=', messageId).orderBy('id');

/** Raises a conversation's change counter by `by`. */
export const raiseVersion = (db: Db, conversationId: number, by: number) =>
  db
    .updateTable('conversations')
    .set((eb) => ({ last_version: eb('last_version', '+', by) }))
    .where('id', '=', conversationId);

/** Writes a message's change and its new version. */
export const updateMessage = (
  db: Db,
  id: number,
  patch: Partial<
    Pick<
      MessageRow,
      'body' | 'edited_at' | 'deleted_at' | 'reply_to_id' | 'pinned_by' | 'pinned_at'
    >
  > & { version: number },
) => db.updateTable('messages').set(patch).where('id', '=', id);

/** The distinct emoji on a message. */
export const selectReactionEmoji = (db: Db, messageId: number) =>
  db.selectFrom('reactions').select('emoji').distinct().where('message_id', '=', messageId);

/** One user's reaction with one emoji on a message. */
export const selectReaction = (db: Db, messageId: number, userId: number, emoji: string) =>
  db
    .selectFrom('reactions')
    .select('id')
    .where('message_id', '=', messageId)
    .where('user_id', '=', userId)
    .where('emoji', '=', emoji);

export const insertReaction = (
  db: Db,
  r: { messageId: number; userId: number; emoji: string; now: number },
) =>
  db
    .insertInto('reactions')
    .values({ message_id: r.messageId, user_id: r.userId, emoji: r.emoji, created_at: r.now });

export const deleteReaction = (db: Db, messageId: number, userId: number, emoji: string) =>
  db
    .deleteFrom('reactions')
    .where('message_id', '=', messageId)
    .where('user_id', '=', userId)
    .where('emoji', '=', emoji);

/** Every reaction on a message (a deletion clears them). */
export const deleteReactionsOf = (db: Db, messageId: number) =>
  db.deleteFrom('reactions').where('message_id', '=', messageId);

/** Messages by id (after a change, to present them). */
export async function messagesByIds(db: Db, ids: readonly number[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return selectMessagesByIds(db, ids).execute();
}

/** The statement behind `messagesByIds` (ids must not be empty). */
export const selectMessagesByIds = (db: Db, ids: readonly number[]) =>
  db.selectFrom('messages').selectAll().where('id', 'in', ids).orderBy('id');

/** The reactions of messages, in reaction order. */
export async function reactionsOf(db: Db, messageIds: readonly number[]) {
  if (messageIds.length === 0) return [];
  return selectReactionsOf(db, messageIds).execute();
}

/** The statement behind `reactionsOf` (ids must not be empty). */
export const selectReactionsOf = (db: Db, messageIds: readonly number[]) =>
  db
    .selectFrom('reactions')
    .select(['message_id', 'user_id', 'emoji'])
    .where('message_id', 'in', messageIds)
    .orderBy('id');

/** The messages that replies answer, by id. */
export async function replyTargetsOf(
  db: Db,
  ids: readonly number[],
): Promise<Map<number, ReplyTarget>> {
  if (ids.length === 0) return new Map();
  const rows = await selectReplyTargets(db, ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The statement behind `replyTargetsOf` (ids must not be empty). */
export const selectReplyTargets = (db: Db, ids: readonly number[]) =>
  db
    .selectFrom('messages')
    .select(['id', 'conversation_id', 'seq', 'sender_id', 'kind', 'body', 'deleted_at'])
    .where('id', 'in', [...new Set(ids)]);

/** The messages of a conversation changed after `since`, by version; one extra to tell `hasMore`. */
export async function pageChanges(
  db: Db,
  conversationId: number,
  since: number,
  limit: number,
): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
  const rows = await db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('version', '>', since)
    .orderBy('version', 'asc')
    .limit(limit + 1)
    .execute();
  const hasMore = rows.length > limit;
  if (hasMore) rows.pop();
  return { rows, hasMore };
}

/** The page around a seq: up to `before` messages below it, then up to `from` from it on. */
export async function pageAround(
  db: Db,
  conversationId: number,
  seq: number,
  before: number,
  from: number,
): Promise<{ rows: MessageRow[]; hasMoreBefore: boolean; hasMoreAfter: boolean }> {
  const [older, newer] = await Promise.all([
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '<', seq)
      .orderBy('seq', 'desc')
      .limit(before + 1)
      .execute(),
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('seq', '>=', seq)
      .orderBy('seq', 'asc')
      .limit(from + 1)
      .execute(),
  ]);
  const hasMoreBefore = older.length > before;
  const hasMoreAfter = newer.length > from;
  if (hasMoreBefore) older.pop();
  if (hasMoreAfter) newer.pop();
  return { rows: [...older.reverse(), ...newer], hasMoreBefore, hasMoreAfter };
}

/** The pinned messages of a conversation, latest pin first. */
export async function pinnedMessages(db: Db, conversationId: number): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('pinned_at', 'is not', null)
    .where('deleted_at', 'is', null)
    .orderBy('pinned_at', 'desc')
    .orderBy('id', 'desc')
    .limit(PINS_MAX)
    .execute();
}

/** At most this many pins are listed (the latest ones). */
export const PINS_MAX = 200;

/** The members a message mentions. */
export const selectMentions = (db: Db, messageId: number) =>
  db
    .selectFrom('mentions')
    .select('user_id')
    .where('message_id', '=', messageId)
    .orderBy('position');

export const deleteMentionsOf = (db: Db, messageId: number) =>
  db.deleteFrom('mentions').where('message_id', '=', messageId);

export const insertMentions = (db: Db, messageId: number, userIds: readonly number[]) =>
  db.insertInto('mentions').values(mentionRows(messageId, userIds));

/** The mentions of messages, each message's in order of first appearance. */
export async function mentionsOf(
  db: Db,
  messageIds: readonly number[],
): Promise<Map<number, number[]>> {
  if (messageIds.length === 0) return new Map();
  return groupMentions(await selectMentionsOf(db, messageIds).execute());
}

/** The statement behind `mentionsOf` (ids must not be empty). */
export const selectMentionsOf = (db: Db, messageIds: readonly number[]) =>
  db
    .selectFrom('mentions')
    .select(['message_id', 'user_id'])
    .where('message_id', 'in', messageIds)
    .orderBy('message_id')
    .orderBy('position');

/** Mention rows grouped by message, each message's in order. */
export function groupMentions(
  rows: ReadonlyArray<{ message_id: number; user_id: number }>,
): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const list = out.get(r.message_id);
    if (list) list.push(r.user_id);
    else out.set(r.message_id, [r.user_id]);
  }
  return out;
}
