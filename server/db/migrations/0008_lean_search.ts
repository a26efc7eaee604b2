import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { backfill } from './0006_search.js';
import type { CodeMigration } from './helpers.js';

/**
 * SQLite's search index without what search never reads, to cost the send path less: no copy
 * of the words (contentless, with deletes by rowid), no positions (detail=none: every query is
 * single words and prefixes; highlights are computed from the message itself). Rebuilt from
 * the messages.
 */
export const leanSearch: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    if (kind !== 'sqlite') return;
    await sql`drop table message_search`.execute(db);
    await sql`create virtual table message_search using fts5(words, content = '', contentless_delete = 1, detail = none, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'")`.execute(
      db,
    );
    await backfill(db, kind);
  },
};
