import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { CodeMigration } from './helpers.js';

/**
 * SQLite: the search index's vocabulary as a table (fts5vocab: no storage of its own), so a
 * query's last word can be widened to the few words it begins (`meet` → `meet`, `meeting`,
 * `meetings`) and matched as an OR of whole words, which FTS5 reads lazily newest first; a
 * prefix query (`meet*`) would merge the whole posting list of every such word before
 * answering the first row.
 */
export const searchVocabulary: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    if (kind !== 'sqlite') return;
    await sql`create virtual table message_search_vocab using fts5vocab(message_search, 'row')`.execute(
      db,
    );
  },
};
