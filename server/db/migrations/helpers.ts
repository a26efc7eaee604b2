import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';

/** A migration: `up` gets the database kind so it can pick column types. */
export interface CodeMigration {
  up(db: Kysely<unknown>, kind: DatabaseKind): Promise<void>;
}

/** Starts a table with an auto-increment id, in the right dialect (utf8mb4 on MySQL). */
export function createTable(
  db: Kysely<unknown>,
  kind: DatabaseKind,
  name: string,
): CreateTableBuilder<string, 'id'> {
  const t = db.schema.createTable(name);
  switch (kind) {
    case 'sqlite':
      return t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    case 'postgres':
      return t.addColumn('id', 'bigserial', (c) => c.primaryKey());
    case 'mysql':
      return t
        .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
        .modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }
}
