import { sql, type Selectable, type Updateable } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { escapeLike, type Db } from '../../db/database.js';
import type { ConversationsTable, MembersTable } from '../../db/schema.js';
import { conversationFileKeys } from '../files/attachments.queries.js';
import { unindexConversation } from '../search/search.queries.js';
import type { UserRow } from '../users/users.queries.js';

export type ConversationRow = Selectable<ConversationsTable>;
export type MemberRow = Selectable<MembersTable>;
/** What a viewer's own membership adds to a conversation they see. */
export type MembershipColumns = 'role' | 'read_seq' | 'muted' | 'notify';
/** A conversation with the viewer's own role, read cursor and preferences. */
export type ConversationWithMembership = ConversationRow & Pick<MemberRow, MembershipColumns>;
/** The same for a conversation the viewer may not belong to: null membership columns then. */
export type ConversationWithOptionalMembership = ConversationRow & {
  [K in MembershipColumns]: MemberRow[K] | null;
};

export async function findConversation(db: Db, id: number): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The direct conversation stored under a pair's `direct_key`, if there is one. */
export async function findDirectConversation(
  db: Db,
  directKey: string,
): Promise<ConversationRow | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('direct_key', '=', directKey)
    .executeTakeFirst();
}

/** The conversations a user belongs to, with their membership, newest activity first. */
export async function listMembershipsOf(
  db: Db,
  userId: number,
): Promise<ConversationWithMembership[]> {
  return db
    .selectFrom('members')
    .innerJoin('conversations', 'conversations.id', 'members.conversation_id')
    .selectAll('conversations')
    .select(['members.role', 'members.read_seq', 'members.muted', 'members.notify'])
    .where('members.user_id', '=', userId)
    .orderBy('conversations.last_message_at', 'desc')
    .orderBy('conversations.id', 'desc')
    .execute();
}

/**
 * Public groups whose name contains `query` (trimmed, ignoring case; empty matches all), with
 * the viewer's membership where they have joined, most active first.
 */
export async function searchPublicGroups(
  db: Db,
  viewerId: number,
  query: string,
  limit: number,
): Promise<ConversationWithOptionalMembership[]> {
  let q = db
    .selectFrom('conversations')
    .leftJoin('members', (j) =>
      j
        .onRef('members.conversation_id', '=', 'conversations.id')
        .on('members.user_id', '=', viewerId),
    )
    .selectAll('conversations')
    .select(['members.role', 'members.read_seq', 'members.muted', 'members.notify'])
    .where('conversations.kind', '=', 'group')
    .where('conversations.is_private', '=', 0);
  const needle = query.trim().toLowerCase();
  if (needle !== '') {
    q = q.where(
      sql<boolean>`lower(conversations.name) like ${`%${escapeLike(needle)}%`} escape '!'`,
    );
  }
  return q
    .orderBy('conversations.last_message_at', 'desc')
    .orderBy('conversations.id', 'desc')
    .limit(limit)
    .execute();
}

/** Changes a conversation's columns; an empty patch runs nothing (no SET clause is not SQL). */
export async function updateConversation(
  trx: Db,
  id: number,
  patch: Updateable<ConversationsTable>,
): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await trx.updateTable('conversations').set(patch).where('id', '=', id).execute();
}

/**
 * Deletes a conversation; its members, messages and file rows go with it (ON DELETE CASCADE).
 * Returns the stored objects of its files, for the caller to remove once this has committed.
 */
export async function deleteConversation(
  trx: Db,
  kind: DatabaseKind,
  id: number,
): Promise<string[]> {
  const files = await conversationFileKeys(trx, id);
  await unindexConversation(trx, kind, id);
  await trx.deleteFrom('conversations').where('id', '=', id).execute();
  return files;
}

/**
 * Locks a conversation's row until the transaction ends. Every transaction that changes a
 * conversation's members or messages takes this lock first (sending takes it by allocating a
 * seq), so they queue in one order instead of deadlocking. SQLite runs one writer at a time.
 */
export async function lockConversation(
  trx: Db,
  kind: DatabaseKind,
  id: number,
): Promise<ConversationRow | undefined> {
  const q = trx.selectFrom('conversations').selectAll().where('id', '=', id);
  return (kind === 'sqlite' ? q : q.forUpdate()).executeTakeFirst();
}

export async function findMember(
  db: Db,
  conversationId: number,
  userId: number,
): Promise<MemberRow | undefined> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Everyone in a conversation, oldest member first. */
export async function listMemberRows(db: Db, conversationId: number): Promise<MemberRow[]> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
}

export async function memberIds(db: Db, conversationId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .execute();
  return rows.map((r) => r.user_id);
}

/** A member's receipt cursors. */
export interface MemberCursor {
  user_id: number;
  delivered_seq: number;
  read_seq: number;
}

export async function memberCursors(db: Db, conversationId: number): Promise<MemberCursor[]> {
  return db
    .selectFrom('members')
    .select(['user_id', 'delivered_seq', 'read_seq'])
    .where('conversation_id', '=', conversationId)
    .execute();
}

/** Users who share at least one conversation with `userId` (presence goes only to them). */
export async function contactsOf(db: Db, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('members as mine')
    .innerJoin('members as other', 'other.conversation_id', 'mine.conversation_id')
    .select('other.user_id')
    .distinct()
    .where('mine.user_id', '=', userId)
    .where('other.user_id', '!=', userId)
    .execute();
  return rows.map((r) => r.user_id);
}

export async function conversationIdsOf(db: Db, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('members')
    .select('conversation_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.conversation_id);
}

export async function insertConversation(
  trx: Db,
  kind: DatabaseKind,
  row: Omit<ConversationRow, 'id' | 'last_version'>,
): Promise<number> {
  if (kind === 'mysql') {
    const r = await trx.insertInto('conversations').values(row).executeTakeFirst();
    return Number(r.insertId);
  }
  const r = await trx
    .insertInto('conversations')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Adds members (their notification level starts at 'all'). */
export async function insertMembers(
  trx: Db,
  rows: Array<Omit<MemberRow, 'notify'>>,
): Promise<void> {
  if (rows.length) await trx.insertInto('members').values(rows).execute();
}

/** Removes a user from a conversation; true when they were a member. */
export async function deleteMember(
  trx: Db,
  conversationId: number,
  userId: number,
): Promise<boolean> {
  const r = await trx
    .deleteFrom('members')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Sets a member's role. */
export async function setMemberRole(
  trx: Db,
  conversationId: number,
  userId: number,
  role: MemberRow['role'],
): Promise<void> {
  await trx
    .updateTable('members')
    .set({ role })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function usersByIds(db: Db, ids: readonly number[]): Promise<Map<number, UserRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export async function memberCounts(
  db: Db,
  conversationIds: readonly number[],
): Promise<Map<number, number>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('members')
    .select(['conversation_id', (eb) => eb.fn.countAll().as('n')])
    .where('conversation_id', 'in', conversationIds)
    .groupBy('conversation_id')
    .execute();
  return new Map(rows.map((r) => [r.conversation_id, Number(r.n)]));
}

/**
 * For each conversation's newest message: the lowest delivered and read cursors among the
 * members other than its sender, and how many such members there are.
 */
export async function lastMessageCursors(
  db: Db,
  conversationIds: readonly number[],
): Promise<Map<number, { delivered: number; read: number; others: number }>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('members')
    .innerJoin('conversations', 'conversations.id', 'members.conversation_id')
    .innerJoin('messages', (j) =>
      j
        .onRef('messages.conversation_id', '=', 'conversations.id')
        .onRef('messages.seq', '=', 'conversations.last_seq'),
    )
    .select((eb) => [
      'members.conversation_id',
      eb.fn.min('members.delivered_seq').as('delivered'),
      eb.fn.min('members.read_seq').as('read'),
      eb.fn.countAll().as('others'),
    ])
    .where('members.conversation_id', 'in', conversationIds)
    .whereRef('members.user_id', '!=', 'messages.sender_id')
    .groupBy('members.conversation_id')
    .execute();
  return new Map(
    rows.map((r) => [
      r.conversation_id,
      { delivered: Number(r.delivered), read: Number(r.read), others: Number(r.others) },
    ]),
  );
}

/**
 * Unread counts: text messages from others after each member's read cursor. Filter by one user
 * over many conversations (the list) or one conversation over many users (an update to all).
 */
export async function unreadCounts(
  db: Db,
  filter:
    | { userId: number; conversationIds: readonly number[] }
    | { conversationId: number; userIds: readonly number[] },
): Promise<Map<string, number>> {
  let q = db
    .selectFrom('members')
    .leftJoin('messages', (j) =>
      j
        .onRef('messages.conversation_id', '=', 'members.conversation_id')
        .onRef('messages.seq', '>', 'members.read_seq')
        .onRef('messages.sender_id', '!=', 'members.user_id')
        .on('messages.kind', '=', 'text')
        .on('messages.deleted_at', 'is', null),
    )
    .select((eb) => [
      'members.conversation_id',
      'members.user_id',
      eb.fn.count('messages.id').as('n'),
    ])
    .groupBy(['members.conversation_id', 'members.user_id']);
  if ('userId' in filter) {
    if (filter.conversationIds.length === 0) return new Map();
    q = q
      .where('members.user_id', '=', filter.userId)
      .where('members.conversation_id', 'in', filter.conversationIds);
  } else {
    if (filter.userIds.length === 0) return new Map();
    q = q
      .where('members.conversation_id', '=', filter.conversationId)
      .where('members.user_id', 'in', filter.userIds);
  }
  const rows = await q.execute();
  return new Map(rows.map((r) => [`${r.conversation_id}:${r.user_id}`, Number(r.n)]));
}

/**
 * Mention counts: per (conversation, user), the unread text messages of others, not deleted,
 * that mention the user. Derived like the unread count, never stored.
 */
export async function mentionCounts(
  db: Db,
  filter:
    | { userId: number; conversationIds: readonly number[] }
    | { conversationId: number; userIds: readonly number[] },
): Promise<Map<string, number>> {
  let q = db
    .selectFrom('mentions')
    .innerJoin('messages', 'messages.id', 'mentions.message_id')
    .innerJoin('members', (j) =>
      j
        .onRef('members.conversation_id', '=', 'messages.conversation_id')
        .onRef('members.user_id', '=', 'mentions.user_id'),
    )
    .select((eb) => ['members.conversation_id', 'members.user_id', eb.fn.countAll().as('n')])
    .whereRef('messages.seq', '>', 'members.read_seq')
    .whereRef('messages.sender_id', '!=', 'mentions.user_id')
    .where('messages.deleted_at', 'is', null)
    .groupBy(['members.conversation_id', 'members.user_id']);
  if ('userId' in filter) {
    if (filter.conversationIds.length === 0) return new Map();
    q = q
      .where('mentions.user_id', '=', filter.userId)
      .where('members.conversation_id', 'in', filter.conversationIds);
  } else {
    if (filter.userIds.length === 0) return new Map();
    q = q
      .where('messages.conversation_id', '=', filter.conversationId)
      .where('mentions.user_id', 'in', filter.userIds);
  }
  const rows = await q.execute();
  return new Map(rows.map((r) => [`${r.conversation_id}:${r.user_id}`, Number(r.n)]));
}

/** The other member of each direct conversation, as seen by `viewerId`. */
export async function directPartners(
  db: Db,
  conversationIds: readonly number[],
): Promise<Map<number, number[]>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('members')
    .select(['conversation_id', 'user_id'])
    .where('conversation_id', 'in', conversationIds)
    .execute();
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const list = out.get(r.conversation_id) ?? [];
    list.push(r.user_id);
    out.set(r.conversation_id, list);
  }
  return out;
}

/** Changes one member's own preferences (nothing for an empty patch). */
export async function updateMemberSettings(
  db: Db,
  conversationId: number,
  userId: number,
  patch: Partial<Pick<MemberRow, 'muted' | 'notify'>>,
): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db
    .updateTable('members')
    .set(patch)
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .execute();
}
