import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './database.js';

describe('background WAL checkpoints (SQLite)', () => {
  let dir: string;
  let handle: DatabaseHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never checkpoints on the committing connection; a worker copies the WAL into the file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-ckpt-'));
    handle = openDatabase({ kind: 'sqlite', url: null, dataDir: dir });
    const sqlite = handle.sqlite!;
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const file = path.join(dir, 'parley.db');
    sqlite.exec('create table blobs (id integer primary key, data blob not null)');
    const insert = sqlite.prepare('insert into blobs (data) values (?)');
    const started = Date.now();
    // ~8 MB: twice what SQLite would let the WAL grow to before checkpointing inside a commit.
    for (let i = 0; i < 64; i++) {
      sqlite.transaction(() => {
        for (let j = 0; j < 32; j++) insert.run(Buffer.alloc(4096, i));
      })();
    }
    const walAfterWrites = statSync(`${file}-wal`).size;
    expect(walAfterWrites).toBeGreaterThan(8 * 1024 * 1024);
    expect(statSync(file).size).toBeLessThan(1024 * 1024); // nothing copied by the writer
    // Within a few checkpoint intervals the pages are in the database file.
    while (statSync(file).size < 8 * 1024 * 1024 && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statSync(file).size).toBeGreaterThan(8 * 1024 * 1024);
    // Once a checkpoint has copied everything, the next writer restarts the WAL from its
    // beginning instead of growing it (the file keeps its size). The copy seen above may still
    // be finishing: a write before it ends is appended, and the next checkpoint takes it too.
    let restarted = false;
    while (!restarted && Date.now() - started < 20_000) {
      const before = statSync(`${file}-wal`).size;
      insert.run(Buffer.alloc(4096, 1));
      restarted = statSync(`${file}-wal`).size === before;
      if (!restarted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(restarted).toBe(true);
  });
});
