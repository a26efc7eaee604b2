import type SQLite from 'better-sqlite3';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import type { FilesTable } from '../../db/schema.js';

export const ATTACHMENT_KIND = 'attachment';

export type FileRow = Selectable<FilesTable>;

/** What a message shows of one of its files. */
export type AttachmentRow = Pick<
  FileRow,
  'id' | 'message_id' | 'name' | 'mime' | 'size' | 'width' | 'height' | 'thumb_key'
>;

const ATTACHMENT_COLUMNS = [
  'id',
  'message_id',
  'name',
  'mime',
  'size',
  'width',
  'height',
  'thumb_key',
] as const;

/** Thrown inside the storing transaction when an id is not an upload the sender may attach. */
export class BadAttachments extends Error {}

/** The storage keys of files: the stored object and its thumbnail. */
export const objectKeysOf = (rows: ReadonlyArray<Pick<FileRow, 'storage_key' | 'thumb_key'>>) =>
  rows.flatMap((r) => (r.thumb_key ? [r.storage_key, r.thumb_key] : [r.storage_key]));

/** Bytes of attachments a user keeps stored, attached or not. */
export async function usedBytes(db: Db, ownerId: number): Promise<number> {
  const row = await db
    .selectFrom('files')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('size'), sql<number>`0`).as('used'))
    .where('owner_id', '=', ownerId)
    .where('kind', '=', ATTACHMENT_KIND)
    .executeTakeFirst();
  return Number(row?.used ?? 0);
}

/**
 * Locks a user's row until the transaction ends (PostgreSQL and MariaDB; SQLite has one writer),
 * so that two uploads by one user check the quota one after the other. False: no such user.
 */
export async function lockUser(trx: Db, kind: DatabaseKind, userId: number): Promise<boolean> {
  let q = trx.selectFrom('users').select('id').where('id', '=', userId);
  if (kind !== 'sqlite') q = q.forUpdate();
  return (await q.executeTakeFirst()) !== undefined;
}

/** Inserts an upload's row; returns its id. */
export async function insertUpload(
  trx: Db,
  kind: DatabaseKind,
  row: Insertable<FilesTable>,
): Promise<number> {
  if (kind === 'mysql') {
    const r = await trx.insertInto('files').values(row).executeTakeFirst();
    return Number(r.insertId);
  }
  const r = await trx.insertInto('files').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

/**
 * Deletes one of a user's uploads while it is still unattached; returns its stored objects
 * (the caller's to remove), or null when there is no such upload or it was attached meanwhile.
 */
export async function deleteUnattached(
  db: Db,
  id: number,
  ownerId: number,
): Promise<string[] | null> {
  const row = await db
    .selectFrom('files')
    .select(['storage_key', 'thumb_key'])
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .where('kind', '=', ATTACHMENT_KIND)
    .where('message_id', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const r = await db
    .deleteFrom('files')
    .where('id', '=', id)
    .where('message_id', 'is', null)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0 ? objectKeysOf([row]) : null;
}

/** The attachments of messages, each message's in the order they were sent. */
export async function attachmentsOf(
  db: Db,
  messageIds: readonly number[],
): Promise<AttachmentRow[]> {
  if (messageIds.length === 0) return [];
  return selectAttachmentsOf(db, messageIds).execute();
}

/** The statement behind `attachmentsOf` (ids must not be empty). */
export const selectAttachmentsOf = (db: Db, messageIds: readonly number[]) =>
  db
    .selectFrom('files')
    .select(ATTACHMENT_COLUMNS)
    .where('message_id', 'in', messageIds)
    .orderBy('message_id')
    .orderBy('position');

/** A file and what decides who may read it: its message's conversation and the reader's membership. */
export async function fileForReader(db: Db, id: number, readerId: number) {
  return db
    .selectFrom('files')
    .leftJoin('messages', 'messages.id', 'files.message_id')
    .leftJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .leftJoin('members', (j) =>
      j
        .onRef('members.conversation_id', '=', 'messages.conversation_id')
        .on('members.user_id', '=', readerId),
    )
    .select([
      'files.id',
      'files.owner_id',
      'files.message_id',
      'files.name',
      'files.mime',
      'files.size',
      'files.sha256',
      'files.storage_key',
      'files.thumb_key',
      'messages.deleted_at',
      'conversations.kind as conversation_kind',
      'conversations.is_private',
      'members.user_id as member_id',
    ])
    .where('files.id', '=', id)
    .where('files.kind', '=', ATTACHMENT_KIND)
    .executeTakeFirst();
}

const ATTACH_SQL =
  'update files set message_id = ?, position = ?, expires_at = null where id = ? and owner_id = ? and kind = ? and message_id is null and expires_at > ?';
const ATTACHED_SQL = `select ${ATTACHMENT_COLUMNS.join(', ')} from files where message_id = ? order by position`;

/** What a send attaches: the sender's uploads, in the order given. */
export interface Attach {
  messageId: number;
  senderId: number;
  ids: readonly number[];
  now: number;
}

/**
 * Attaches uploads to a new message inside its storing unit (SQLite's group commit): each must
 * be the sender's, unattached and not expired, or the whole send is undone (BadAttachments).
 * The guarded UPDATE is the claim, so two sends racing for one upload cannot both get it.
 */
export function attachSqlite(sqlite: SQLite.Database, a: Attach): AttachmentRow[] {
  const attach = prepared(sqlite, ATTACH_SQL);
  a.ids.forEach((id, position) => {
    const r = attach.run(a.messageId, position, id, a.senderId, ATTACHMENT_KIND, a.now);
    if (r.changes !== 1) throw new BadAttachments();
  });
  return prepared<[number], AttachmentRow>(sqlite, ATTACHED_SQL).all(a.messageId);
}

/** The same on PostgreSQL and MariaDB, in the storing transaction. */
export async function attach(trx: Db, a: Attach): Promise<AttachmentRow[]> {
  for (const [position, id] of a.ids.entries()) {
    const r = await trx
      .updateTable('files')
      .set({ message_id: a.messageId, position, expires_at: null })
      .where('id', '=', id)
      .where('owner_id', '=', a.senderId)
      .where('kind', '=', ATTACHMENT_KIND)
      .where('message_id', 'is', null)
      .where('expires_at', '>', a.now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new BadAttachments();
  }
  return attachmentsOf(trx, [a.messageId]);
}

// Statements of message changes, run as steps (server/db/steps.ts).

/** The stored objects of a message's files. */
export const selectMessageFiles = (db: Db, messageId: number) =>
  db.selectFrom('files').select(['storage_key', 'thumb_key']).where('message_id', '=', messageId);

/** Removes a message's file rows (a deletion; the objects go after the commit). */
export const deleteMessageFiles = (db: Db, messageId: number) =>
  db.deleteFrom('files').where('message_id', '=', messageId);

/** The stored objects of every file in a conversation (read before it is deleted). */
export async function conversationFileKeys(db: Db, conversationId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('files')
    .innerJoin('messages', 'messages.id', 'files.message_id')
    .select(['files.storage_key', 'files.thumb_key'])
    .where('messages.conversation_id', '=', conversationId)
    .execute();
  return objectKeysOf(rows);
}

/** Unattached uploads past their expiry, oldest first (candidates: each is claimed alone). */
export async function expiredUploads(db: Db, now: number, limit: number) {
  return db
    .selectFrom('files')
    .select(['id', 'storage_key', 'thumb_key'])
    .where('expires_at', '<=', now)
    .where('message_id', 'is', null)
    .where('kind', '=', ATTACHMENT_KIND)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

/**
 * Claims one expired upload by deleting its row, only while it is still unattached and expired:
 * of several nodes sweeping at once (or a send attaching it), exactly one wins.
 */
export async function claimExpired(db: Db, id: number, now: number): Promise<boolean> {
  const r = await db
    .deleteFrom('files')
    .where('id', '=', id)
    .where('message_id', 'is', null)
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
