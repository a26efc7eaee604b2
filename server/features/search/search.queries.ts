import type SQLite from 'better-sqlite3';
import { sql, type RawBuilder, type Selectable } from 'kysely';
import { indexedForm, indexWords } from '../../../protocol/search.js';
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
  // Looked up as the index holds them (a very long word by its beginning): a superset that
  // the caller narrows with the word rule.
  words = words.map(indexedForm);
  const last = words.length - 1;
  const visible = sql`m.kind = 'text' and m.deleted_at is null and m.conversation_id in (select conversation_id from members where user_id = ${f.userId})${
    f.conversationId !== undefined ? sql` and m.conversation_id = ${f.conversationId}` : sql``
  }${f.senderId !== undefined ? sql` and m.sender_id = ${f.senderId}` : sql``}${
    f.before !== undefined ? sql` and m.id < ${f.before}` : sql``
  }`;
  if (kind === 'sqlite') {
    const match = await sqliteMatch(db, words);
    if (match === null) return { rows: [], exact: true };
    const { rows } = await sql<MessageRow>`
      select m.* from message_search s join messages m on m.id = s.rowid
      where message_search match ${match} and ${visible}
      order by s.rowid desc limit ${limit}`.execute(db);
    return { rows, exact: true };
  }
  if (kind === 'postgres')
    return { rows: await postgresCandidates(db, words, visible, f, limit), exact: true };
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

/** Words a last word may widen to on SQLite before a plain prefix query is cheaper. */
const MAX_PREFIX_WORDS = 64;

/**
 * The FTS5 query for the words, the last also as a prefix: every word whole, the last as an
 * OR of the indexed words it begins (from the vocabulary), which FTS5 reads lazily. Null when
 * no indexed word begins with it (nothing can match).
 */
async function sqliteMatch(db: Db, words: readonly string[]): Promise<string | null> {
  const quote = (w: string) => `"${w}"`;
  const last = words[words.length - 1]!;
  const { rows } = await sql<{ term: string }>`
    select term from message_search_vocab where term >= ${last} and term < ${`${last}\u{10FFFF}`}
    limit ${MAX_PREFIX_WORDS + 1}`.execute(db);
  if (rows.length === 0) return null;
  const tail =
    rows.length > MAX_PREFIX_WORDS
      ? `${quote(last)}*`
      : `(${rows.map((r) => quote(r.term)).join(' OR ')})`;
  return [...words.slice(0, -1).map(quote), tail].join(' AND ');
}

/** How many of the newest index entries PostgreSQL checks one by one before asking the GIN index. */
const RECENT_ENTRIES = 2000;

/**
 * PostgreSQL, in two steps, because its planner cannot tell a rare word from a common one
 * (a word outside the lexeme statistics is guessed at 0.5 % of rows): first the newest
 * RECENT_ENTRIES index entries are checked in order (enough for any common word); if they do
 * not fill the page, the GIN index finds every older match and those are read newest first
 * until it is full (fast for rare words, which is when this step runs).
 */
async function postgresCandidates(
  db: Db,
  words: readonly string[],
  visible: RawBuilder<unknown>,
  f: SearchFilter,
  limit: number,
): Promise<MessageRow[]> {
  const last = words.length - 1;
  const query = words.map((w, i) => `'${w}'${i === last ? ':*' : ''}`).join(' & ');
  const below = f.before !== undefined ? sql`where message_id < ${f.before}` : sql``;
  const { rows: recent } = await sql<MessageRow>`
    select m.* from (
      select message_id, vector from message_search ${below}
      order by message_id desc limit ${RECENT_ENTRIES}
    ) s join messages m on m.id = s.message_id
    where s.vector @@ ${query}::tsquery and ${visible}
    order by s.message_id desc limit ${limit}`.execute(db);
  if (recent.length === limit) return recent;
  const { rows: window } = await sql<{ floor: number | null }>`
    select min(message_id) as floor from (
      select message_id from message_search ${below}
      order by message_id desc limit ${RECENT_ENTRIES}
    ) s`.execute(db);
  const floor = window[0]?.floor;
  if (floor === null || floor === undefined) return recent;
  const { rows: older } = await sql<MessageRow>`
    with hits as materialized (
      select message_id from message_search
      where vector @@ ${query}::tsquery and message_id < ${floor}
    )
    select m.* from (select message_id from hits order by message_id desc) s
    cross join lateral (select * from messages m where m.id = s.message_id and ${visible}) m
    limit ${limit - recent.length}`.execute(db);
  return [...recent, ...older];
}
