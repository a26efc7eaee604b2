import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

interface T {
  items: { id: number; v: string };
}

describe('GroupCommit (a real SQLite file)', () => {
  let dir: string;
  let file: string;
  let sqlite: SQLite.Database;
  let db: Kysely<T>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-gc-'));
    file = path.join(dir, 'db.sqlite');
    sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.exec('create table items (id integer primary key, v text not null unique)');
    db = new Kysely<T>({ dialect: new SqliteDialect({ database: sqlite }) });
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (v: string) => (s: SQLite.Database) =>
    Number(s.prepare('insert into items (v) values (?)').run(v).lastInsertRowid);

  /** What another connection (another process after a crash, say) sees on disk. */
  const onDisk = (): string[] => {
    const other = new SQLite(file, { readonly: true });
    try {
      return other.prepare('select v from items order by id').pluck().all() as string[];
    } finally {
      other.close();
    }
  };

  it('commits work submitted together in one transaction, each settled after the commit', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 0, maxBatch: 100 });
    const settled: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) =>
      gc.run(insert(`v${i}`)).then((id) => {
        // Durable when answered: a separate connection already reads it.
        expect(onDisk()).toContain(`v${i}`);
        settled.push(id);
        return id;
      }),
    );
    const ids = await Promise.all(all);
    expect(new Set(ids).size).toBe(50);
    expect(gc.commits).toBe(1);
    expect(gc.units).toBe(50);
    expect(onDisk()).toHaveLength(50);
  });

  it('rolls a failing unit back alone: the others commit, it rejects with its own error', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 0, maxBatch: 100 });
    await gc.run(insert('taken'));
    const results = await Promise.allSettled([
      gc.run(insert('a')),
      gc.run((s) => {
        insert('half')(s); // written, then undone with the unit
        return insert('taken')(s);
      }),
      gc.run(insert('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect(onDisk()).toEqual(['taken', 'a', 'b']);
  });

  it('splits a burst larger than maxBatch into several commits, in order', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 0, maxBatch: 10 });
    await Promise.all(Array.from({ length: 35 }, (_, i) => gc.run(insert(`v${i}`))));
    expect(gc.commits).toBe(4);
    expect(onDisk()).toEqual(Array.from({ length: 35 }, (_, i) => `v${i}`));
  });

  it('holds commits at least the window apart, so a steady stream shares them', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 20, maxBatch: 1000 });
    await gc.run(insert('first')); // idle database: committed on the next turn
    expect(gc.commits).toBe(1);
    const stream: Promise<number>[] = [];
    for (let i = 0; i < 10; i++) {
      stream.push(gc.run(insert(`s${i}`)));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(stream);
    // Ten sends over ~10+ ms with a 20 ms window: far fewer commits than sends.
    expect(gc.commits).toBeLessThanOrEqual(3);
    expect(onDisk()).toHaveLength(11);
  });

  it('never lands inside a Kysely transaction running on the same connection', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 0, maxBatch: 100 });
    let queued: Promise<number> | undefined;
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into items (v) values ('in-tx')`.execute(trx);
        queued = gc.run(insert('batched'));
        await new Promise((r) => setTimeout(r, 20)); // the batch would run now if it could
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await queued;
    // Had the batch run inside the transaction, the rollback would have taken it too.
    expect(onDisk()).toEqual(['batched']);
  });

  it('rejects every unit when the commit itself fails, storing none of them', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 0, maxBatch: 100 });
    // A deferred foreign key fails at COMMIT, after every unit succeeded.
    sqlite.exec(
      'create table refs (id integer primary key, item integer references items(id) deferrable initially deferred)',
    );
    sqlite.pragma('foreign_keys = ON');
    const results = await Promise.allSettled([
      gc.run(insert('x')),
      gc.run((s) => s.prepare('insert into refs (item) values (999)').run().changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(onDisk()).toEqual([]);
    // The connection is usable afterwards.
    await gc.run(insert('after'));
    expect(onDisk()).toEqual(['after']);
  });

  it('commits what is queued on close and refuses new work after', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 50, maxBatch: 100 });
    await gc.run(insert('one'));
    const pending = gc.run(insert('two'));
    await gc.close();
    await expect(pending).resolves.toBeGreaterThan(0);
    await expect(gc.run(insert('three'))).rejects.toThrow('closed');
    expect(onDisk()).toEqual(['one', 'two']);
  });

  it('leaves no commit scheduled after close: the database can go at once', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const gc = new GroupCommit(db as never, sqlite, { windowMs: 50, maxBatch: 100 });
      await gc.run(insert('one'));
      // Queued inside the window: a commit is scheduled 50 ms after the first one.
      const pending = gc.run(insert('two'));
      await gc.close();
      await pending;
      await db.destroy();
      await new Promise((r) => setTimeout(r, 120));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
  it('runs deferred writes after every unit, in the same transaction, only for units that succeed', async () => {
    const gc = new GroupCommit(db as never, sqlite, { windowMs: 5, maxBatch: 100 });
    const order: string[] = [];
    const unit = (v: string) => (s: SQLite.Database, atCommit: (w: () => void) => void) => {
      // Deferred first, so that a unit failing afterwards has one to drop.
      atCommit(() => {
        order.push(`${v}:deferred`);
        insert(`${v}:deferred`)(s);
      });
      insert(v)(s);
      order.push(v);
      return v;
    };
    const results = await Promise.allSettled([
      gc.run(unit('a')),
      gc.run(unit('a')), // the unique violation: rolled back, its deferred write dropped
      gc.run(unit('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(order).toEqual(['a', 'b', 'a:deferred', 'b:deferred']);
    expect(onDisk()).toEqual(['a', 'b', 'a:deferred', 'b:deferred']);
    expect(gc.commits).toBe(1);

    // A deferred write that fails fails the whole batch: nothing of it is stored.
    const failing = await Promise.allSettled([
      gc.run(unit('c')),
      gc.run((s, atCommit) => {
        atCommit(() => insert('a')(s)); // a duplicate, at commit time
        return 'd';
      }),
    ]);
    expect(failing.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(onDisk()).toEqual(['a', 'b', 'a:deferred', 'b:deferred']);
  });
});
