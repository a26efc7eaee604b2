// `parley move-db`: a lived-in SQLite deployment (100,000 messages with edits, tombstones,
// reactions, mentions, pins, replies, attachments, sessions) moved to the project's database
// (PostgreSQL in the postgres project, MariaDB in the mysql one) by the CLI as a child process,
// killed with SIGKILL mid-copy and resumed; the rows compared with SQLite; a re-run says it is
// done, other sources and non-empty targets are refused; then a Parley server on the target
// honours the contract with the moved data. The sqlite project runs the refusals that need no
// target: bad URLs, an unreachable host, DATABASE_URL set, no database, the database in use by
// a running server. Wall time on the 2-core machine under other load: about 10 s (sqlite),
// 35 s (postgres), 35 s (mysql), most of it building the source and the two child runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMoveCorpus, type MoveCorpus } from '../../bench/scenarios/move-db.js';
import { createSchema } from '../../bench/lib/seed.js';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.js';
import { runCli } from '../../server/cli/main.js';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/proc.js';
import { startTestServer } from '../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kind = testDbKind();

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `parley move-db …` (the package's `bin`) as a child process in a clean environment. `killWhen` is shown each
 * stderr line; when it answers true the process is killed with SIGKILL.
 */
function moveDb(
  args: string[],
  env: Record<string, string>,
  killWhen?: (line: string) => boolean,
): Promise<Run> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'parley.js'), 'move-db', ...args], {
    // Not the checkout: a .env there would be read.
    cwd: env.DATA_DIR ?? tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    if (killWhen && lines.some(killWhen)) child.kill('SIGKILL');
  });
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/**
 * The same command run in this process (`runCli`, what the program runs): for the paths whose
 * process needs nothing of its own, at a fraction of a child's start-up time.
 */
async function moveDbHere(args: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['move-db', ...args], {
    out: (line) => (stdout += line + '\n'),
    err: (line) => (stderr += line + '\n'),
    env,
  });
  return { code, signal: null, stdout, stderr };
}

/** A refusal: exit code 2 and one line on stderr, nothing on stdout. */
function expectRefusal(r: Run, pattern: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code: 2, stdout: '' });
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^parley move-db: /);
  expect(lines[0]).toMatch(pattern);
}

if (kind === 'sqlite')
  describe('move-db refuses', () => {
    let source: TestDatabase;

    beforeAll(async () => {
      source = await createTestDatabase('sqlite');
      await createSchema(source.dataDir);
    }, 60_000);
    afterAll(async () => {
      await source?.drop();
    });

    it('a missing, malformed or foreign URL, an unreachable host, DATABASE_URL set, no database', async () => {
      const env = { DATA_DIR: source.dataDir };
      const closed = await freePort();
      const empty = mkdtempSync(path.join(tmpdir(), 'parley-move-empty-'));
      try {
        // As a program: the exit code and the one line.
        expectRefusal(await moveDb(['--to', 'not a url'], env), /is not a URL/);
        expectRefusal(await moveDbHere([], env), /--to is required/);
        expectRefusal(
          await moveDbHere(['--to', 'http://127.0.0.1/parley'], env),
          /must start with postgres:\/\//,
        );
        expectRefusal(
          await moveDbHere(['--to', `postgres://parley:secret@127.0.0.1:${closed}/parley`], env),
          new RegExp(
            `cannot connect to postgres://parley:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/parley: .*ECONNREFUSED`,
          ),
        );
        expectRefusal(
          await moveDbHere(['--to', `mariadb://root@127.0.0.1:${closed}/parley`], env),
          new RegExp(
            `cannot connect to mariadb://root@127\\.0\\.0\\.1:${closed}/parley: .*ECONNREFUSED`,
          ),
        );
        expectRefusal(
          await moveDbHere(['--to', 'postgres://parley@127.0.0.1:5432/parley'], {
            ...env,
            DATABASE_URL: 'postgres://parley@127.0.0.1:5432/parley',
          }),
          /DATABASE_URL is set/,
        );
        expectRefusal(
          await moveDbHere(['--to', 'postgres://parley@127.0.0.1:5432/parley'], {
            DATA_DIR: empty,
          }),
          /no SQLite database at .*parley\.db/,
        );
        expectRefusal(
          await moveDbHere(['--to', 'postgres://x@127.0.0.1/y', '--fast'], env),
          /unknown argument "--fast"/,
        );
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    }, 60_000);

    it('while a Parley server runs on the SQLite database', async () => {
      const server = await startTestServer({}, { db: source });
      try {
        const r = await moveDb(['--to', 'postgres://parley@127.0.0.1:5432/parley'], {
          DATA_DIR: source.dataDir,
        });
        expectRefusal(r, /in use by another process .*stop it first/);
      } finally {
        await server.stop();
      }
    }, 60_000);
  });

/** Every row of every table, as arrays in the source's column order, keyed by table. */
function sourceTables(file: string): Map<string, { columns: string[]; key: string[] }> {
  const db = new SQLite(file, { readonly: true });
  try {
    const names = (
      db
        .prepare(
          `select name from sqlite_master where type = 'table' and sql not like 'CREATE VIRTUAL%'
           and name not like 'sqlite_%' and name not like 'kysely_%' and name not like 'message_search%'`,
        )
        .all() as Array<{ name: string }>
    ).map((r) => r.name);
    return new Map(
      names.map((name) => {
        const info = db.prepare(`pragma table_info("${name}")`).all() as Array<{
          name: string;
          pk: number;
        }>;
        const key = info
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        return [name, { columns: info.map((c) => c.name), key }];
      }),
    );
  } finally {
    db.close();
  }
}

if (kind !== 'sqlite')
  describe(`move-db to ${kind}`, () => {
    let source: TestDatabase;
    let target: TestDatabase;
    let corpus: MoveCorpus;
    let sqliteFile: string;
    let store: DatabaseHandle;
    const started = Date.now();

    beforeAll(async () => {
      source = await createTestDatabase('sqlite');
      target = await createTestDatabase(kind);
      corpus = await buildMoveCorpus(source.dataDir, {
        messages: 100_000,
        users: 40,
        groups: 60,
        directs: 60,
      });
      sqliteFile = path.join(source.dataDir, 'parley.db');
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await source?.drop();
      await target?.drop();
      console.log(`move-db to ${kind}: ${Math.round((Date.now() - started) / 100) / 10} s`);
    });

    it('refuses a target that holds other tables', async () => {
      const h = openDatabase({ kind, url: target.url, dataDir: target.dataDir, poolSize: 1 });
      try {
        await sql`create table notes (id integer primary key)`.execute(h.db);
        const r = await moveDbHere(['--to', target.url!], { DATA_DIR: source.dataDir });
        expectRefusal(r, /is not empty: it holds tables that are not Parley's \(notes\)/);
        await sql`drop table notes`.execute(h.db);
      } finally {
        await h.close();
      }
    }, 60_000);

    it('is killed mid-copy, resumes to a verified copy, and then says it is done', async () => {
      const env = { DATA_DIR: source.dataDir };
      let sawMessages = false;
      const killed = await moveDb(['--to', target.url!, '--batch-rows', '2000'], env, (line) => {
        sawMessages ||= /^\s+messages: [\d,]+ of [\d,]+ rows/.test(line);
        return sawMessages;
      });
      expect(killed.signal, killed.stderr + killed.stdout).toBe('SIGKILL');
      expect(killed.stderr).toMatch(/moving .*parley\.db to /);

      const resumed = await moveDb(['--to', target.url!], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/resuming the move of/);
      expect(resumed.stderr).toMatch(
        /messages: resuming after id = \d+ \([\d,]+ rows copied before\)/,
      );
      expect(resumed.stderr).toMatch(/users: [\d,]+ rows \(copied before\)/);
      expect(resumed.stdout).toMatch(/^Moved .* \(resumed\)\.$/m);
      expect(resumed.stdout).toMatch(/^\s+messages\s+100,000$/m);
      expect(resumed.stdout).toMatch(/^Verified: /m);
      expect(resumed.stdout).toMatch(/Set DATABASE_URL=/);

      const again = await moveDbHere(['--to', target.url!], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Already moved: /m);

      // A different SQLite database is refused by the finished target.
      const other = mkdtempSync(path.join(tmpdir(), 'parley-move-other-'));
      try {
        await createSchema(other);
        const r = await moveDbHere(['--to', target.url!], { DATA_DIR: other });
        expectRefusal(r, /is not empty: it holds a move of another SQLite database/);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    }, 120_000);

    it('copied the rows exactly, and the search index', async () => {
      store = openDatabase({ kind, url: target.url, dataDir: target.dataDir, poolSize: 1 });
      const sqlite = new SQLite(sqliteFile, { readonly: true });
      const q = kind === 'mysql' ? (s: string) => s.replaceAll('"', '`') : (s: string) => s;
      /** The rows `where` selects, as JSON arrays in key order, on both sides. */
      const both = async (name: string, columns: string[], where: string, order: string) => {
        const text = `select ${columns.map((c) => `"${c}"`).join(', ')} from "${name}" ${where} order by ${order}`;
        const want = (sqlite.prepare(text).raw(true).all() as unknown[][]).map((r) =>
          JSON.stringify(r),
        );
        const { rows } = await sql.raw<Record<string, unknown>>(q(text)).execute(store.db);
        const got = rows.map((r) => JSON.stringify(columns.map((c) => r[c])));
        return { want, got };
      };
      try {
        const tables = sourceTables(sqliteFile);
        expect([...tables.keys()]).toEqual(
          expect.arrayContaining([
            'users',
            'sessions',
            'conversations',
            'members',
            'messages',
            'reactions',
            'mentions',
            'files',
          ]),
        );
        // Messages holding characters a copy must escape: a newline, a tab, a backslash, quotes.
        const special = sqlite
          .prepare(
            `select id from messages where instr(body, char(10)) > 0 or instr(body, char(9)) > 0
             or instr(body, char(92)) > 0 or instr(body, char(34)) > 0 or instr(body, char(39)) > 0`,
          )
          .pluck()
          .all() as number[];
        expect(special.length).toBeGreaterThan(100);
        for (const [name, t] of tables) {
          const order = t.key.map((c) => `"${c}"`).join(', ');
          // Every row of every table, but of the messages: every one that ever changed or holds
          // such characters, and one in ten of the others (and below, per conversation, their
          // count and highest seq and version).
          const where =
            name === 'messages'
              ? `where edited_at is not null or deleted_at is not null
                 or reply_to_id is not null or pinned_at is not null or kind = 'system'
                 or id % 10 = 0 or id in (${special.join(', ')})`
              : '';
          const { want, got } = await both(name, t.columns, where, order);
          expect(got.length, name).toBe(want.length);
          const differs = want.findIndex((w, i) => w !== got[i]);
          expect(differs === -1 ? null : [want[differs], got[differs]], name).toBeNull();
        }
        const agg = `select conversation_id as c, count(*) as n, max(seq) as s, max(version) as v
          from messages group by conversation_id order by conversation_id`;
        const aggWant = (sqlite.prepare(agg).raw(true).all() as unknown[][]).map((r) =>
          JSON.stringify(r),
        );
        const aggGot = (await sql.raw<Record<string, unknown>>(agg).execute(store.db)).rows.map(
          (r) => JSON.stringify([r.c, Number(r.n), r.s, r.v].map(Number)),
        );
        expect(aggGot).toEqual(aggWant);
        const searchWant = sqlite.prepare('select count(*) from message_search').pluck().get();
        const { rows } = await sql<{ n: number }>`select count(*) as n from message_search`.execute(
          store.db,
        );
        expect(Number(rows[0]!.n)).toBe(searchWant);
        expect(corpus.messages).toBe(100_000);
      } finally {
        sqlite.close();
      }
    }, 60_000);

    // (The decision is the same whatever the target: checked once, on PostgreSQL.)
    if (kind === 'postgres')
      it('will not mix two states of a SQLite database that changed between runs', async () => {
        // A small deployment moved to a database of its own; then the move is made to look
        // interrupted (its "finished" mark removed) and the SQLite database changes.
        const small = await createTestDatabase('sqlite');
        const to = await createTestDatabase(kind);
        const h = openDatabase({ kind, url: to.url, dataDir: to.dataDir, poolSize: 1 });
        try {
          await createSchema(small.dataDir);
          const file = path.join(small.dataDir, 'parley.db');
          const addUser = (name: string) => {
            const db = new SQLite(file);
            db.prepare(
              `insert into users (username, username_key, email, email_key, password_hash,
              display_name, bio, is_active, is_admin, created_at) values (?, ?, ?, ?, 'x', ?, '', 1, 0, 1)`,
            ).run(name, name, `${name}@example.test`, `${name}@example.test`, name);
            db.close();
          };
          addUser('first');
          const env = { DATA_DIR: small.dataDir };
          const moved = await moveDbHere(['--to', to.url!], env);
          expect(moved.code, moved.stderr).toBe(0);
          addUser('second');
          const changed = await moveDbHere(['--to', to.url!], env);
          expectRefusal(changed, /was moved to .* but has changed since/);
          await sql`delete from parley_move where name = 'finished'`.execute(h.db);
          const interrupted = await moveDbHere(['--to', to.url!], env);
          expectRefusal(interrupted, /has changed since the interrupted move .* began/);
        } finally {
          await h.close();
          await to.drop();
          await small.drop();
        }
      }, 60_000);

    it('serves the moved data through the contract', async () => {
      const server = await startTestServer({}, { db: target });
      const sqlite = new SQLite(sqliteFile, { readonly: true });
      try {
        const api = server.api;
        const login = await api.post('/api/auth/login', {
          login: corpus.reader.username,
          password: corpus.password,
        });
        expect(login.status, login.text).toBe(200);
        expect(login.body.user.id).toBe(corpus.reader.id);
        const token = login.body.accessToken as string;

        // Every conversation of the reader: counters, last message and unread count as in SQLite.
        const mine = sqlite
          .prepare(
            `select c.id, c.last_seq as lastSeq, c.last_version as lastVersion, m.read_seq as readSeq,
             (select id from messages x where x.conversation_id = c.id and x.seq = c.last_seq) as lastId,
             (select count(*) from messages x where x.conversation_id = c.id and x.seq > m.read_seq
                and x.kind = 'text' and x.deleted_at is null and x.sender_id <> m.user_id) as unread
           from conversations c join members m on m.conversation_id = c.id and m.user_id = ?
           order by c.id`,
          )
          .all(corpus.reader.id) as Array<{
          id: number;
          lastSeq: number;
          lastVersion: number;
          readSeq: number;
          lastId: number | null;
          unread: number;
        }>;
        const list = await api.get('/api/conversations', { token });
        expect(list.status, list.text).toBe(200);
        const got = (list.body as any[])
          .map((c) => ({
            id: c.id,
            lastSeq: c.lastSeq,
            lastVersion: c.lastVersion,
            readSeq: c.myReadSeq,
            lastId: c.lastMessage?.id ?? null,
            unread: c.unreadCount,
          }))
          .sort((a, b) => a.id - b.id);
        expect(got).toEqual(mine);
        expect(mine.some((c) => c.unread > 0)).toBe(true);

        // History and the change stream of the reader's busiest conversation.
        const busiest = [...mine].sort((a, b) => b.lastSeq - a.lastSeq)[0]!;
        const page = await api.get(`/api/conversations/${busiest.id}/messages?limit=50`, { token });
        expect(page.status, page.text).toBe(200);
        const rows = sqlite
          .prepare(
            `select id, seq, version, sender_id, body, created_at, edited_at, deleted_at, reply_to_id, pinned_by
           from messages where conversation_id = ? order by seq desc limit 50`,
          )
          .all(busiest.id)
          .reverse() as any[];
        expect(
          (page.body.messages as any[]).map((m) => ({
            id: m.id,
            seq: m.seq,
            version: m.version,
            sender_id: m.senderId,
            body: m.body,
            created_at: Date.parse(m.createdAt),
            edited_at: m.editedAt ? Date.parse(m.editedAt) : null,
            deleted_at: m.deletedAt ? Date.parse(m.deletedAt) : null,
            reply_to_id: m.replyTo?.id ?? null,
            pinned_by: m.pinned?.by ?? null,
          })),
        ).toEqual(rows);
        const since = Math.max(0, busiest.lastVersion - 30);
        const changes = await api.get(
          `/api/conversations/${busiest.id}/changes?since=${since}&limit=100`,
          { token },
        );
        expect(changes.status, changes.text).toBe(200);
        expect(changes.body.lastVersion).toBe(busiest.lastVersion);
        expect((changes.body.messages as any[]).map((m) => [m.id, m.version])).toEqual(
          sqlite
            .prepare(
              'select id, version from messages where conversation_id = ? and version > ? order by version',
            )
            .raw(true)
            .all(busiest.id, since),
        );

        // A new message takes the next seq and version, and an id no copied message has.
        const maxId = sqlite.prepare('select max(id) from messages').pluck().get() as number;
        const sent = await api.post(
          `/api/conversations/${busiest.id}/messages`,
          { clientId: 'after-move-1', body: 'first message after the move' },
          { token },
        );
        expect(sent.status, sent.text).toBe(201);
        expect(sent.body.seq).toBe(busiest.lastSeq + 1);
        expect(sent.body.version).toBe(busiest.lastVersion + 1);
        expect(sent.body.id).toBeGreaterThan(maxId);

        // A new account takes an id past the copied ones.
        const maxUser = sqlite.prepare('select max(id) from users').pluck().get() as number;
        const reg = await api.post('/api/auth/register', {
          username: 'newcomer',
          email: 'newcomer@example.test',
          password: 'a long enough password',
        });
        expect(reg.status, reg.text).toBe(201);
        expect(reg.body.user.id).toBeGreaterThan(maxUser);

        // Search finds an old message by its word.
        const found = await api.get(`/api/search?q=${corpus.rare.word}`, { token });
        expect(found.status, found.text).toBe(200);
        expect((found.body.results as any[]).map((r) => r.message.id)).toEqual([
          corpus.rare.messageId,
        ]);
      } finally {
        sqlite.close();
        await server.stop();
      }
    }, 90_000);
  });
