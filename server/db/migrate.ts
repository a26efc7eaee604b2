import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseKind } from '../config.js';
import type { Db } from './database.js';
import { migrations } from './migrations/index.js';

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly kind: DatabaseKind) {}
  getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(migrations)) {
      out[name] = { up: (db) => m.up(db, this.kind) };
    }
    return Promise.resolve(out);
  }
}

/** Brings the schema up to date; safe to run at every start and from several nodes at once. */
export async function migrateToLatest(db: Db, kind: DatabaseKind): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new CodeMigrationProvider(kind) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed');
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
