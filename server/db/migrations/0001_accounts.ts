import type { Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { createTable, type CodeMigration } from './helpers.js';

/** Users, sessions and uploaded files. */
export const accounts: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    await createTable(db, kind, 'users')
      .addColumn('username', 'varchar(32)', (c) => c.notNull())
      .addColumn('username_key', 'varchar(32)', (c) => c.notNull().unique())
      .addColumn('email', 'varchar(254)', (c) => c.notNull())
      .addColumn('email_key', 'varchar(254)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('bio', 'varchar(2000)', (c) => c.notNull().defaultTo(''))
      .addColumn('avatar_key', 'varchar(64)')
      .addColumn('is_active', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('is_admin', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint')
      .execute();

    await createTable(db, kind, 'sessions')
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('refresh_salt', 'varchar(64)', (c) => c.notNull())
      .addColumn('refresh_gen', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('remember', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_active_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('user_agent', 'varchar(255)')
      .addColumn('ip', 'varchar(64)')
      .execute();
    await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

    await createTable(db, kind, 'files')
      .addColumn('owner_id', 'bigint', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('mime', 'varchar(64)', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
      .addColumn('storage_key', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('files_owner_idx').on('files').column('owner_id').execute();
  },
};
