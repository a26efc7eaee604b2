import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { createTable, type CodeMigration } from './helpers.js';

/**
 * Server settings an admin changes at run time (the registration mode), and invite links:
 * each good for `max_uses` sign-ups until `expires_at`, unless revoked.
 */
export const registration: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    let settings = db.schema
      .createTable('settings')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull());
    if (kind === 'mysql') {
      settings = settings.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    }
    await settings.execute();

    await createTable(db, kind, 'invites')
      .addColumn('token', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('max_uses', 'integer', (c) => c.notNull())
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('invites_created_idx').on('invites').column('created_at').execute();
  },
};
