import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Generated, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './database.js';

describe('Kysely on SQLite reuses compiled statements', () => {
  let dir: string;
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles each SQL text once, keeps answering right, and forgets the least recently used', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-stmt-'));
    handle = openDatabase({ kind: 'sqlite', url: null, dataDir: dir });
    const sqlite = handle.sqlite!;
    const compiled: string[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = (text: string) => {
      compiled.push(text);
      return prepare(text);
    };
    await sql`create table t (id integer primary key, v text)`.execute(handle.db);
    const db = handle.db as unknown as Kysely<{ t: { id: Generated<number>; v: string } }>;
    for (let i = 0; i < 5; i++)
      await db
        .insertInto('t')
        .values({ v: `v${i}` })
        .execute();
    for (let i = 0; i < 5; i++) {
      const row = await db
        .selectFrom('t')
        .select('v')
        .where('id', '=', i + 1)
        .executeTakeFirst();
      expect(row?.v).toBe(`v${i}`);
    }
    const inserts = compiled.filter((s) => s.startsWith('insert'));
    const selects = compiled.filter((s) => s.startsWith('select'));
    expect(inserts).toHaveLength(1);
    expect(selects).toHaveLength(1);
    // 1,000 other texts push the select out; it is compiled again, and still right.
    for (let n = 1; n <= 1000; n++) {
      await db.selectFrom('t').select('v').where('id', 'in', Array(n).fill(1)).execute();
    }
    const row = await db.selectFrom('t').select('v').where('id', '=', 3).executeTakeFirst();
    expect(row?.v).toBe('v2');
    expect(compiled.filter((s) => s === selects[0])).toHaveLength(2);
  });
});
