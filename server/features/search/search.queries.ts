import type SQLite from 'better-sqlite3';
import { sql, type Selectable } from 'kysely';
import { indexWords } from '../../../protocol/search.js';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import { prepared } from '../../db/prepared.js';
import type { MessagesTable } from '../../db/schema.js';

type MessageRow = Selectable<MessagesTable>;

// Writes to the index: in the same transaction (or group-commit unit) as the message's own.

/** The statement that indexes a message's words (null when it has none). */
export function indexStatement(db: Db, kind: DatabaseKind, messageId: number, body: string) {
  const words = indexWords(body);
  if (words.length === 0) return null;
  if (kind === 'sqlite') {
    return db.insertInto('message_search').values({ rowid: messageId, words: words.join(' ') });
  }
  if (kind === 'postgres') {
    return db
      .insertInto('message_search')
      .values({ message_id: messageId, vector: sql<string>`array_to_tsvector(${words}::text[])` });
  }
  return db.insertInto('message_search').values({ message_id: messageId, words: words.join(' ') });
}

/** The statement that takes a message out of the index. */
export const unindexStatement = (db: Db, kind: DatabaseKind, messageId: number) =>
  db.deleteFrom('message_search').where(kind === 'sqlite' ? 'rowid' : 'message_id', '=', messageId);

/** Indexes a new message on SQLite's send path, inside its group-commit unit. */
export function indexMessageSqlite(sqlite: SQLite.Database, messageId: number, body: string): void {
  const words = indexWords(body);
  if (words.length === 0) return;
  prepared(sqlite, 'insert into message_search (rowid, words) values (?, ?)').run(
    messageId,
    words.join(' '),
  );
}

/** Indexes a new message in the sending transaction on PostgreSQL and MariaDB. */
export async function indexMessage(
  trx: Db,
  kind: DatabaseKind,
  messageId: number,
  body: string,
): Promise<void> {
  await indexStatement(trx, kind, messageId, body)?.execute();
}

/** SQLite's index has no foreign key: a deleted conversation's entries go first. */
export async function unindexConversation(
  trx: Db,
  kind: DatabaseKind,
  conversationId: number,
): Promise<void> {
  if (kind !== 'sqlite') return; // the others cascade with the messages
  await sql`delete from message_search where rowid in (select id from messages where conversation_id = ${conversationId})`.execute(
    trx,
  );
}

export interface SearchFilter {
  userId: number;
  conversationId?: number;
  senderId?: number;
  before?: number;
}

/** A word InnoDB's FULLTEXT index holds (innodb_ft_min_token_size 3, max 84 characters). */
const innodbIndexes = (w: string) => [...w].length >= 3 && [...w].length <= 84;

/**
 * Candidates for a query, newest first: text messages, not deleted, of conversations the user
 * is a member of now, below `before`. SQLite and PostgreSQL match the folded words exactly;
 * MariaDB's FULLTEXT cannot hold words under 3 characters, so there the short words are left
 * to the caller's check and the candidates are a superset (`exact` false).
 */
export async function searchCandidates(
  db: Db,
  kind: DatabaseKind,
  words: readonly string[],
  f: SearchFilter,
  limit: number,
): Promise<{ rows: MessageRow[]; exact: boolean }> {
  const last = words.length - 1;
  const visible = sql`m.kind = 'text' and m.deleted_at is null and m.conversation_id in (select conversation_id from members where user_id = ${f.userId})${
    f.conversationId !== undefined ? sql` and m.conversation_id = ${f.conversationId}` : sql``
  }${f.senderId !== undefined ? sql` and m.sender_id = ${f.senderId}` : sql``}${
    f.before !== undefined ? sql` and m.id < ${f.before}` : sql``
  }`;
  if (kind === 'sqlite') {
    const match = words.map((w, i) => `"${w}"${i === last ? '*' : ''}`).join(' ');
    const { rows } = await sql<MessageRow>`
      select m.* from message_search s join messages m on m.id = s.rowid
      where message_search match ${match} and ${visible}
      order by s.rowid desc limit ${limit}`.execute(db);
    return { rows, exact: true };
  }
  if (kind === 'postgres') {
    const query = words.map((w, i) => `'${w}'${i === last ? ':*' : ''}`).join(' & ');
    const { rows } = await sql<MessageRow>`
      select m.* from message_search s join messages m on m.id = s.message_id
      where s.vector @@ ${query}::tsquery and ${visible}
      order by s.message_id desc limit ${limit}`.execute(db);
    return { rows, exact: true };
  }
  const terms = words.flatMap((w, i) =>
    innodbIndexes(w) ? [`+${w}${i === last ? '*' : ''}`] : [],
  );
  // Without a word the index holds, narrow by the text itself (slower; documented).
  const narrow =
    terms.length > 0
      ? sql`match(s.words) against(${terms.join(' ')} in boolean mode)`
      : sql.join(
          words.map((w) => sql`s.words like ${`%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`),
          sql` and `,
        );
  const { rows } = await sql<MessageRow>`
    select m.* from message_search s join messages m on m.id = s.message_id
    where ${narrow} and ${visible}
    order by s.message_id desc limit ${limit}`.execute(db);
  return { rows, exact: words.every(innodbIndexes) };
}
