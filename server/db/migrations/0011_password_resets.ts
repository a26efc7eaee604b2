import type { Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { createTable, type CodeMigration } from './helpers.js';

/**
 * Password reset links: only the SHA-256 of each link's token is kept, with the address it was
 * sent to, when it stops working and when it was used. An account has at most one row (a new
 * request replaces the old one).
 */
export const passwordResets: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    await createTable(db, kind, 'password_resets')
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('sent_to', 'varchar(254)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      // A table constraint, which all three databases honour (MariaDB ignores one written inline).
      .addForeignKeyConstraint('password_resets_user_fk', ['user_id'], 'users', ['id'], (fk) =>
        fk.onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('password_resets_user_idx')
      .on('password_resets')
      .column('user_id')
      .execute();
  },
};
