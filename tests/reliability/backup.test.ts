import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../server/cli/main.js';
import type { TestUser } from '../helpers/api.js';
import { ChatClient } from '../helpers/chat-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { OracleLog, runSeed, seededRandom, uuidFrom } from '../helpers/oracle.js';
import { cliEnv, runParley } from '../helpers/parley-cli.js';
import { ParleyProcess } from '../helpers/proc.js';
import { createRoom, pause, registerMany } from './support.js';

// `parley backup` while a server child process takes a steady send load from socket clients;
// then `parley restore` of that file into a fresh data folder and a server started on it. The
// restored database, read directly, must be a consistent snapshot: every message acked before
// the backup began is in it with its seq, seqs are dense 1..last_seq in every conversation,
// read cursors never pass last_seq, and the server's unread counts are those the rows give.
// Also: restore refuses while a server runs on the folder, and files that are not a whole
// Parley database, and replaces the database (kept aside) once the server is stopped. Backup
// and the restore run as child processes; the refusals run the same code in this process.

const CLIENTS = 8;
const ROOMS = 2;
/** Messages per second per client (the clients send one at a time, each after its ack). */
const RATE = 25;
/** Acks per client before the backup starts, and after it ended before the load stops. */
const BEFORE = 25;
const AFTER = 10;

const dbs: TestDatabase[] = [];
const procs: ParleyProcess[] = [];
const clients: ChatClient[] = [];
const backups = mkdtempSync(path.join(tmpdir(), 'parley-backup-'));

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of procs) await p.stop();
  for (const d of dbs) await d.drop();
  rmSync(backups, { recursive: true, force: true });
});

/** `parley …` run in this process (the program's own code, without its start-up cost). */
async function inProcess(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (line) => (stdout += line + '\n'),
    err: (line) => (stderr += line + '\n'),
    env,
  });
  return { code, stdout, stderr };
}

/** Each conversation's messages, counts and cursors, read from a stopped server's file. */
function readSnapshot(dataDir: string) {
  const db = new Database(path.join(dataDir, 'parley.db'), { readonly: true });
  try {
    const messages = db
      .prepare('select id, conversation_id, seq, sender_id, client_id from messages')
      .all() as Array<{
      id: number;
      conversation_id: number;
      seq: number;
      client_id: string | null;
    }>;
    const conversations = db
      .prepare(
        `select c.id, c.last_seq, count(m.id) as n, coalesce(min(m.seq), 0) as lo, coalesce(max(m.seq), 0) as hi
           from conversations c left join messages m on m.conversation_id = c.id group by c.id`,
      )
      .all() as Array<{ id: number; last_seq: number; n: number; lo: number; hi: number }>;
    const members = db
      .prepare(
        `select m.conversation_id, m.user_id, m.read_seq, m.delivered_seq, c.last_seq,
                (select count(*) from messages x where x.conversation_id = m.conversation_id
                   and x.seq > m.read_seq and x.sender_id != m.user_id and x.kind = 'text'
                   and x.deleted_at is null) as unread
           from members m join conversations c on c.id = m.conversation_id`,
      )
      .all() as Array<{
      conversation_id: number;
      user_id: number;
      read_seq: number;
      delivered_seq: number;
      last_seq: number;
      unread: number;
    }>;
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .join('; ');
    return { messages, conversations, members, integrity };
  } finally {
    db.close();
  }
}

it('takes a consistent backup under load and restores it into a fresh folder', async () => {
  const seed = runSeed('backup');
  const rand = seededRandom(seed);
  const log = new OracleLog('backup', seed);
  const db = await createTestDatabase('sqlite');
  dbs.push(db);
  const proc = await ParleyProcess.start({ db });
  procs.push(proc);

  const users: TestUser[] = await registerMany(proc.api, CLIENTS);
  const per = CLIENTS / ROOMS;
  const rooms: number[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const members = users.slice(r * per, (r + 1) * per);
    rooms.push(await createRoom(proc.api, members[0]!, members, { name: `backup-${r}` }));
  }
  const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
  for (const [i, u] of users.entries()) {
    clients.push(
      new ChatClient({ name: `u${i}`, userId: u.id, token: u.token, socketUrl: proc.url, log }),
    );
  }
  await Promise.all(clients.map((c) => c.connect()));

  // The load: every client sends at RATE until told to stop, and moves its read cursor now
  // and then. It runs until the backup is done and more acks came, however long that takes.
  let acked = 0;
  let stop = false;
  const started = Date.now();
  const sending = clients.map(async (c, i) => {
    const acks: Array<Promise<unknown>> = [];
    for (let k = 0; !stop; k++) {
      const due = started + (k * 1000) / RATE;
      if (due > Date.now()) await pause(due - Date.now());
      if (stop) break;
      acks.push(c.send(roomOf(i), `u${i} #${k}`, uuidFrom(rand)).then(() => acked++));
    }
    await Promise.all(acks);
  });
  const reading = setInterval(() => {
    clients.forEach((c, i) => {
      if (c.connected && rand() < 0.5) void c.read(roomOf(i));
    });
  }, 300);

  // The backup, in the middle of it.
  while (acked < CLIENTS * BEFORE) await pause(20);
  const ackedBefore = log.events.flatMap((e) => (e.k === 'ack' ? [e] : []));
  const file = path.join(backups, 'parley-backup.db');
  const backup = await runParley(['backup', file], cliEnv(db));
  const ackedDuring = acked - ackedBefore.length;
  expect(backup.code, backup.stderr).toBe(0);
  const figures = /: ([\d.]+ [KM]iB) in ([\d.]+) s\./.exec(backup.stdout);
  expect(figures, backup.stdout).not.toBeNull();
  expect(backup.stdout).toMatch(/rsync -a .*uploads .*avatars/);

  // Restore refuses while a server has the folder's database open.
  const refused = await inProcess(['restore', file, '--force'], cliEnv(db));
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/is in use .*stop the server first/);
  expect(readdirSync(db.dataDir).filter((f) => f.includes('before-restore'))).toEqual([]);

  const atEnd = acked;
  while (acked < atEnd + CLIENTS * AFTER) await pause(20);
  stop = true;
  await Promise.all(sending);
  clearInterval(reading);
  const ackedAfter = acked - ackedBefore.length - ackedDuring;
  console.log(
    `[backup] seed ${seed}: ${figures![1]} in ${figures![2]} s (the command's own timing) ` +
      `under ${CLIENTS} clients sending ${CLIENTS * RATE} msg/s; ${ackedBefore.length} acks before it, ` +
      `${ackedDuring} while the command ran, ${ackedAfter} after`,
  );
  // The server kept taking messages after the backup: it was taken in the middle of the load.
  expect(ackedAfter).toBeGreaterThan(0);
  for (const c of clients) c.close();
  await proc.stop();

  // Into a fresh folder; a second restore there is refused without --force.
  const fresh = await createTestDatabase('sqlite');
  dbs.push(fresh);
  const restored = await runParley(['restore', file], cliEnv(fresh));
  expect(restored.code, restored.stderr).toBe(0);
  expect(restored.stdout).toMatch(/integrity checked, schema \d{4}_/);
  const again = await inProcess(['restore', file], cliEnv(fresh));
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/exists; add --force to replace it/);

  // What is not a whole Parley database is refused (run in this process: same code, no start-up).
  const refusals = async (name: string, make: (f: string) => void) => {
    const f = path.join(backups, name);
    make(f);
    const r = await inProcess(['restore', f, '--force'], cliEnv(fresh));
    return { code: r.code, err: r.stderr };
  };
  const notSqlite = await refusals('text.db', (f) => writeFileSync(f, 'not a database\n'));
  expect(notSqlite).toEqual({ code: 2, err: expect.stringMatching(/is not a SQLite database/) });
  const other = await refusals('other.db', (f) =>
    new Database(f).exec('create table t (a)').close(),
  );
  expect(other).toEqual({ code: 2, err: expect.stringMatching(/not a Parley one/) });
  const damaged = await refusals('damaged.db', (f) => {
    copyFileSync(file, f);
    // Scribble over pages in the middle of the file: its b-trees no longer hold together.
    const fd = openSync(f, 'r+');
    const size = statSync(f).size;
    for (let at = 8192; at < size - 4096; at += 16384)
      writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, at);
    closeSync(fd);
  });
  expect(damaged).toEqual({
    code: 2,
    err: expect.stringMatching(/integrity check|cannot be read/),
  });

  // A server starts on it and answers for the restored users.
  const second = await ParleyProcess.start({ db: fresh });
  procs.push(second);
  const unreadSeen = new Map<string, number>();
  for (const [i, u] of users.entries()) {
    const res = await second.api.post('/api/auth/login', {
      login: u.username,
      password: u.password,
    });
    expect(res.status).toBe(200);
    const list = await second.api.get('/api/conversations', { token: res.body.accessToken });
    expect(list.status).toBe(200);
    const room = list.body.find((c: { id: number }) => c.id === roomOf(i));
    expect(room, `u${i} sees its room`).toBeTruthy();
    unreadSeen.set(`${room.id}:${u.id}`, room.unreadCount);
  }
  await second.stop();

  const snap = readSnapshot(fresh.dataDir);
  expect(snap.integrity).toBe('ok');
  const byId = new Map(snap.messages.map((m) => [m.id, m]));
  const missing = ackedBefore.filter((a) => {
    const m = byId.get(a.id);
    return (
      !m || m.seq !== a.seq || m.conversation_id !== a.conversationId || m.client_id !== a.clientId
    );
  });
  expect(missing, 'acked before the backup, not in it').toEqual([]);
  for (const c of snap.conversations) {
    expect({ id: c.id, n: c.n, lo: c.lo, hi: c.hi }).toEqual({
      id: c.id,
      n: c.last_seq,
      lo: c.last_seq > 0 ? 1 : 0,
      hi: c.last_seq,
    });
  }
  for (const m of snap.members) {
    expect(m.read_seq).toBeLessThanOrEqual(m.last_seq);
    expect(m.delivered_seq).toBeLessThanOrEqual(m.last_seq);
    if (rooms.includes(m.conversation_id)) {
      expect(unreadSeen.get(`${m.conversation_id}:${m.user_id}`)).toBe(m.unread);
    }
  }
  // Some of what the clients sent after the backup began is not in it, as a snapshot should be.
  // (The first server's file holds every acked message and each room's first system message.)
  expect(snap.messages.length).toBeLessThan(acked + ROOMS);

  // Once the first server is stopped, restore replaces its database and keeps the old one.
  const replaced = await inProcess(['restore', file, '--force'], cliEnv(db));
  expect(replaced.code, replaced.stderr).toBe(0);
  const kept = readdirSync(db.dataDir).filter((f) => f.startsWith('parley.db.before-restore-'));
  expect(kept).toHaveLength(1);
  expect(replaced.stdout).toContain(kept[0]);
  expect(existsSync(path.join(db.dataDir, 'parley.db-wal'))).toBe(false);
});
