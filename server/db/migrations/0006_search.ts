import { sql, type Kysely } from 'kysely';
import { indexWords } from '../../../protocol/search.js';
import type { DatabaseKind } from '../../config.js';
import type { CodeMigration } from './helpers.js';

/**
 * The search index, one entry per text message that is not deleted, holding its folded words
 * (protocol/search.ts), so every database matches the same words: an FTS5 table on SQLite, a
 * tsvector with a GIN index on PostgreSQL, a FULLTEXT index on MariaDB (created with stop words
 * off: InnoDB would otherwise leave out words such as "about").
 */
export const search: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    if (kind === 'sqlite') {
      // `_` is part of a word; the words arrive folded, so no further folding is wanted.
      await sql`create virtual table message_search using fts5(words, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'")`.execute(
        db,
      );
    } else if (kind === 'postgres') {
      await sql`create table message_search (message_id bigint primary key references messages(id) on delete cascade, vector tsvector not null)`.execute(
        db,
      );
    } else {
      await sql`create table message_search (message_id bigint primary key, words text not null, constraint message_search_fk foreign key (message_id) references messages(id) on delete cascade) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`.execute(
        db,
      );
    }
    await backfill(db, kind);
    if (kind === 'postgres') {
      await sql`create index message_search_vector_idx on message_search using gin (vector)`.execute(
        db,
      );
    } else if (kind === 'mysql') {
      await sql`set session innodb_ft_enable_stopword = 0`.execute(db);
      await sql`create fulltext index message_search_words_ft on message_search (words)`.execute(
        db,
      );
    }
  },
};

/** Indexes the messages stored before search existed, a thousand at a time. */
export async function backfill(db: Kysely<unknown>, kind: DatabaseKind): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ id: number; body: string }>`
      select id, body from messages
      where kind = 'text' and deleted_at is null and id > ${after}
      order by id limit 1000`.execute(db);
    if (rows.length === 0) return;
    for (const r of rows) {
      const words = indexWords(r.body);
      if (words.length === 0) continue;
      const id = Number(r.id);
      if (kind === 'sqlite') {
        await sql`insert into message_search (rowid, words) values (${id}, ${words.join(' ')})`.execute(
          db,
        );
      } else if (kind === 'postgres') {
        await sql`insert into message_search (message_id, vector) values (${id}, array_to_tsvector(${words}::text[]))`.execute(
          db,
        );
      } else {
        await sql`insert into message_search (message_id, words) values (${id}, ${words.join(' ')})`.execute(
          db,
        );
      }
    }
    after = Number(rows[rows.length - 1]!.id);
  }
}
