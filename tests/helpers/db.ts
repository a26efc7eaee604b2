import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { DatabaseKind } from '../../server/config.js';

export const PG_ADMIN_URL =
  process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.PARLEY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

/** The database kind this test run targets (set per Vitest project). */
export function testDbKind(): DatabaseKind {
  const k = process.env.PARLEY_TEST_DB ?? 'sqlite';
  if (k !== 'sqlite' && k !== 'postgres' && k !== 'mysql') throw new Error(`PARLEY_TEST_DB=${k}?`);
  return k;
}

/** A fresh, empty database of the run's kind, owned by one test file. */
export interface TestDatabase {
  kind: DatabaseKind;
  /** DATABASE_URL for the server, null for SQLite. */
  url: string | null;
  /** A fresh DATA_DIR (holds the SQLite file, uploads and the secret). */
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind = testDbKind()): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-test-'));
  const name = `parley_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const cleanDir = () => rmSync(dataDir, { recursive: true, force: true });
  switch (kind) {
    case 'sqlite':
      return { kind, url: null, dataDir, drop: async () => cleanDir() };
    case 'postgres': {
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(PG_ADMIN_URL);
      url.pathname = '/' + name;
      return {
        kind,
        url: url.toString(),
        dataDir,
        drop: async () => {
          const c = new pg.Client({ connectionString: PG_ADMIN_URL });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
          cleanDir();
        },
      };
    }
    case 'mysql': {
      const admin = await createConnection(MYSQL_ADMIN_URL);
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await admin.end();
      const url = new URL(MYSQL_ADMIN_URL);
      url.pathname = '/' + name;
      return {
        kind,
        url: url.toString(),
        dataDir,
        drop: async () => {
          const c = await createConnection(MYSQL_ADMIN_URL);
          await c.query(`DROP DATABASE IF EXISTS ${name}`);
          await c.end();
          cleanDir();
        },
      };
    }
  }
}
