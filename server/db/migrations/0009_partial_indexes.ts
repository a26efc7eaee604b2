import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { CodeMigration } from './helpers.js';

/**
 * Replies and pins are rare: their indexes hold only the messages that have one, so the common
 * send writes neither (SQLite and PostgreSQL; MariaDB has no partial indexes and keeps both).
 */
export const partialIndexes: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    if (kind === 'mysql') return;
    await db.schema.dropIndex('messages_reply_to_idx').execute();
    await db.schema.dropIndex('messages_pinned_idx').execute();
    await sql`create index messages_reply_to_idx on messages (reply_to_id) where reply_to_id is not null`.execute(
      db,
    );
    await sql`create index messages_pinned_idx on messages (conversation_id, pinned_at) where pinned_at is not null`.execute(
      db,
    );
  },
};
