import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { CodeMigration } from './helpers.js';

/**
 * Mentions as rows (message, user, position in the message), so a member's mention count is
 * derived by a query like the unread count, never kept as a counter that can drift; and each
 * member's notification level.
 */
export const mentions: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    const table = db.schema
      .createTable('mentions')
      .addColumn('message_id', 'bigint', (c) =>
        c.notNull().references('messages.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('position', 'smallint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mentions_pk', ['message_id', 'user_id']);
    await (
      kind === 'mysql'
        ? table.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
        : table
    ).execute();
    // A member's mentions: counted per conversation above their read cursor.
    await db.schema
      .createIndex('mentions_user_idx')
      .on('mentions')
      .columns(['user_id', 'message_id'])
      .execute();
    await db.schema
      .alterTable('members')
      .addColumn('notify', 'varchar(8)', (c) => c.notNull().defaultTo('all'))
      .execute();
  },
};
