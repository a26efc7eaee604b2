import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createConnection } from 'mysql2/promise';
import { indexWords } from '../../protocol/search.js';
import { now } from '../lib/clock.js';
import { writeResults, type Context } from '../lib/report.js';
import { BENCH_PASSWORD, createSchema, dbFile, passwordHash } from '../lib/seed.js';
import { CACHE_DIR, ensureServerBuild } from '../lib/servers.js';

/** What a generated corpus holds, for the checks made on a copy of it. */
export interface MoveCorpus {
  messages: number;
  users: number;
  conversations: number;
  /** Every user's password. */
  password: string;
  /** A user who is in many conversations, some with unread messages. */
  reader: { id: number; username: string };
  /** A word found in exactly one message, one the reader can see. */
  rare: { word: string; messageId: number; conversationId: number };
}

export interface CorpusOptions {
  messages: number;
  users?: number;
  groups?: number;
  directs?: number;
  seed?: number;
}

const WORDS = (
  'the a to and of we is it that for on you this with be are have not at meeting notes ' +
  'release deploy review draft plan budget design launch lunch coffee friday monday ' +
  'customer ticket bug fix test build server client database index search message thread ' +
  'agenda sprint retro demo question answer idea later tomorrow today thanks great ok sure'
).split(' ');
/** Words some messages carry (one in twenty): accents, other scripts. */
const UNICODE_WORDS = 'café naïve résumé Ünïcödé straße 東京 ночь'.split(' ');
const EMOJI = ['👍', '🎉', '❤️', '😂', '👀'];
const RARE_WORD = 'quokkalicious';

/** A small fast PRNG (mulberry32), so a corpus is the same for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Conv {
  id: number;
  kind: 'direct' | 'group';
  members: number[];
  lastSeq: number;
  lastVersion: number;
  lastAt: number;
  /** Recent text messages that are not deleted, for replies, edits, reactions and pins. */
  recent: Array<{ id: number; sender: number; body: string }>;
}

/**
 * Builds a SQLite database the way a lived-in deployment looks, through the server's own
 * migrations and then direct inserts in a few large transactions: users (an admin, a
 * deactivated one, avatars), sessions (some revoked), groups (with their creation system
 * message) and direct conversations (two never used), messages with replies, mentions,
 * attachments, edits, deletions (tombstones), reactions and pins, each change taking its
 * conversation's next version; the search index as the send path fills it; read cursors with
 * some unread messages; and a few uploads never attached.
 */
export async function buildMoveCorpus(dataDir: string, o: CorpusOptions): Promise<MoveCorpus> {
  const rand = random(o.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const userCount = o.users ?? Math.min(1000, Math.max(20, Math.round(o.messages / 1000)));
  const groupCount = o.groups ?? Math.min(1000, Math.max(20, Math.round(o.messages / 1000)));
  const directCount = o.directs ?? Math.min(500, Math.max(20, Math.round(o.messages / 2000)));
  await createSchema(dataDir);
  const hash = await passwordHash();
  const db = new SQLite(dbFile(dataDir));
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = ON');
  const step = 30_000;
  const t0 = Date.now() - (o.messages + 1000) * step;
  let clock = t0;
  const hex = () => randomBytes(16).toString('hex');

  const userIds: number[] = [];
  db.transaction(() => {
    const user = db.prepare(
      `insert into users (username, username_key, email, email_key, password_hash, display_name,
        bio, avatar_key, is_active, is_admin, created_at, last_seen_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const avatar = db.prepare(
      `insert into files (owner_id, kind, mime, size, sha256, storage_key, width, height, created_at)
       values (?, 'avatar', 'image/webp', ?, ?, ?, 256, 256, ?)`,
    );
    const session = db.prepare(
      `insert into sessions (user_id, refresh_salt, refresh_gen, refresh_rotated_at, remember,
        created_at, last_active_at, expires_at, revoked_at, user_agent, ip)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 0; i < userCount; i++) {
      const name = `user${i}`;
      const avatarKey = i % 5 === 2 ? `av-${hex()}` : null;
      const id = Number(
        user.run(
          name,
          name,
          `${name}@example.test`,
          `${name}@example.test`,
          hash,
          i % 7 === 3 ? `Zoë ${i}` : `User ${i}`,
          i % 3 === 0 ? 'Café owner — 日本語 ok' : '',
          avatarKey,
          i === userCount - 1 ? 0 : 1,
          i === 0 ? 1 : 0,
          t0 + i * 1000,
          i % 2 === 0 ? t0 + i * 5000 : null,
        ).lastInsertRowid,
      );
      userIds.push(id);
      if (avatarKey) avatar.run(id, 20_000 + i, hex() + hex(), avatarKey, t0 + i * 1000);
      for (let s = 0; s < 2; s++) {
        const created = t0 + i * 1000 + s;
        session.run(
          id,
          hex(),
          s === 0 ? 3 : 0,
          s === 0 ? created + 60_000 : null,
          s,
          created,
          created + 120_000,
          Date.now() + 12 * 3_600_000,
          s === 1 && i % 4 === 0 ? created + 600_000 : null,
          'Mozilla/5.0 (bench)',
          '127.0.0.1',
        );
      }
    }
  })();
  const reader = userIds[1]!;

  const convs: Conv[] = [];
  const memberRows: Array<[number, number, string]> = [];
  const sysBodies: Array<[Conv, number]> = [];
  db.transaction(() => {
    const group = db.prepare(
      `insert into conversations (kind, name, topic, is_private, created_by, created_at, last_seq,
        last_message_at, direct_key) values ('group', ?, ?, ?, ?, ?, 0, ?, null)`,
    );
    const direct = db.prepare(
      `insert into conversations (kind, name, topic, is_private, created_by, created_at, last_seq,
        last_message_at, direct_key) values ('direct', null, null, 1, ?, ?, 0, ?, ?)`,
    );
    for (let g = 0; g < groupCount; g++) {
      const size = 3 + Math.floor(rand() * 8);
      const members = new Set<number>();
      if (g % 2 === 0) members.add(reader);
      while (members.size < Math.min(size, userIds.length - 1)) {
        members.add(userIds[Math.floor(rand() * (userIds.length - 1))]!);
      }
      const list = [...members];
      const owner = list[list.length - 1]!;
      const id = Number(
        group.run(
          `group ${g}`,
          g % 4 === 0 ? 'a topic — with ünïcode' : '',
          g % 3 === 0 ? 1 : 0,
          owner,
          t0,
          t0,
        ).lastInsertRowid,
      );
      const c: Conv = {
        id,
        kind: 'group',
        members: list,
        lastSeq: 0,
        lastVersion: 0,
        lastAt: t0,
        recent: [],
      };
      convs.push(c);
      list.forEach((u, k) =>
        memberRows.push([id, u, u === owner ? 'owner' : k === 0 ? 'admin' : 'member']),
      );
      sysBodies.push([c, owner]);
    }
    const pairs = new Set<string>();
    for (let d = 0; pairs.size < directCount && d < directCount * 20; d++) {
      const a = d % 2 === 0 ? reader : pick(userIds);
      const b = pick(userIds);
      if (a === b) continue;
      const key = a < b ? `${a}:${b}` : `${b}:${a}`;
      if (pairs.has(key)) continue;
      pairs.add(key);
      const id = Number(direct.run(a, t0, t0, key).lastInsertRowid);
      convs.push({
        id,
        kind: 'direct',
        members: [a, b],
        lastSeq: 0,
        lastVersion: 0,
        lastAt: t0,
        recent: [],
      });
      memberRows.push([id, a, 'member'], [id, b, 'member']);
    }
  })();
  // The last two direct conversations stay empty (opened, never used).
  const active = convs.slice(0, Math.max(1, convs.length - 2));

  const insertMessage = db.prepare(
    `insert into messages (conversation_id, seq, sender_id, client_id, kind, body, meta, created_at,
      version, reply_to_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const index = db.prepare('insert into message_search (rowid, words) values (?, ?)');
  const unindex = db.prepare('delete from message_search where rowid = ?');
  const mention = db.prepare(
    'insert into mentions (message_id, user_id, position) values (?, ?, ?)',
  );
  const attach = db.prepare(
    `insert into files (owner_id, kind, mime, size, sha256, storage_key, width, height, created_at,
      message_id, position, name, thumb_key) values (?, 'attachment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const react = db.prepare(
    'insert or ignore into reactions (message_id, user_id, emoji, created_at) values (?, ?, ?, ?)',
  );
  const bump = db.prepare('update messages set version = ? where id = ?');
  const edit = db.prepare('update messages set body = ?, edited_at = ?, version = ? where id = ?');
  const remove = db.prepare(
    `update messages set body = '', deleted_at = ?, reply_to_id = null, pinned_by = null,
      pinned_at = null, version = ? where id = ?`,
  );
  const pin = db.prepare(
    'update messages set pinned_by = ?, pinned_at = ?, version = ? where id = ?',
  );
  const dropReactions = db.prepare('delete from reactions where message_id = ?');
  const dropMentions = db.prepare('delete from mentions where message_id = ?');
  const dropFiles = db.prepare('delete from files where message_id = ?');

  const add = (
    c: Conv,
    sender: number,
    kind: 'text' | 'system',
    body: string,
    meta: string | null,
    replyTo: number | null,
  ) => {
    clock += 1 + Math.floor(rand() * step);
    c.lastSeq++;
    c.lastVersion++;
    c.lastAt = clock;
    const id = Number(
      insertMessage.run(
        c.id,
        c.lastSeq,
        sender,
        kind === 'text' ? `m${c.id}-${c.lastSeq}` : null,
        kind,
        body,
        meta,
        clock,
        c.lastVersion,
        replyTo,
      ).lastInsertRowid,
    );
    if (kind === 'text') {
      const words = indexWords(body);
      if (words.length) index.run(id, words.join(' '));
    }
    return id;
  };
  const change = (c: Conv) => {
    c.lastVersion++;
    return c.lastVersion;
  };

  let rare = null as MoveCorpus['rare'] | null;
  const protectedIds = new Set<number>();
  let made = 0;
  const BATCH = 50_000;
  while (made < o.messages) {
    db.transaction(() => {
      for (let b = 0; b < BATCH && made < o.messages; b++, made++) {
        const pending = sysBodies.shift();
        if (pending) {
          const [c, owner] = pending;
          add(
            c,
            owner,
            'system',
            'created the group',
            JSON.stringify({ event: 'room_created', userId: owner, actorId: owner }),
            null,
          );
          continue;
        }
        const c = active[Math.floor(active.length * rand() * rand())]!;
        const sender = pick(c.members);
        const words: string[] = [];
        const count = 3 + Math.floor(rand() * 12);
        for (let w = 0; w < count; w++) words.push(pick(WORDS));
        const mentioned = rand() < 0.03 ? pick(c.members) : null;
        if (mentioned !== null) words.splice(1, 0, `@user${userIds.indexOf(mentioned)}`);
        if (rand() < 0.05) words.push(pick(UNICODE_WORDS));
        if (rand() < 0.02) words.push(pick(EMOJI));
        const isRare = rare === null && made > o.messages / 2 && c.members.includes(reader);
        if (isRare) words.push(RARE_WORD);
        // Now and then several lines, a tab, a backslash, quotes: text a copy must keep as is.
        const body =
          rand() < 0.01
            ? `${words.join(' ')}\nsecond line\tafter a tab \\ "quoted" it's done`
            : words.join(' ');
        const replyTo = c.recent.length && rand() < 0.03 ? pick(c.recent).id : null;
        const id = add(c, sender, 'text', body, null, replyTo);
        if (isRare) {
          rare = { word: RARE_WORD, messageId: id, conversationId: c.id };
          protectedIds.add(id);
        }
        if (mentioned !== null) mention.run(id, mentioned, 0);
        if (rand() < 0.01) {
          const files = 1 + Math.floor(rand() * 2);
          for (let k = 0; k < files; k++) {
            const image = k === 0;
            attach.run(
              sender,
              image ? 'image/png' : 'application/pdf',
              10_000 + k,
              hex() + hex(),
              `att-${hex()}`,
              image ? 640 : null,
              image ? 480 : null,
              clock,
              id,
              k,
              image ? `photo ${id}.png` : `notes ${id}.pdf`,
              image ? `th-${hex()}` : null,
            );
          }
        }
        c.recent.push({ id, sender, body });
        if (c.recent.length > 32) c.recent.shift();

        // Now and then a change to a recent message of the same conversation.
        const r = rand();
        const target = c.recent.length ? pick(c.recent) : null;
        if (!target || protectedIds.has(target.id)) continue;
        if (r < 0.025) {
          if (react.run(target.id, pick(c.members), pick(EMOJI), clock).changes)
            bump.run(change(c), target.id);
        } else if (r < 0.04) {
          target.body = `${target.body} (edited)`;
          edit.run(target.body, clock, change(c), target.id);
          unindex.run(target.id);
          index.run(target.id, indexWords(target.body).join(' '));
        } else if (r < 0.047) {
          remove.run(clock, change(c), target.id);
          unindex.run(target.id);
          dropReactions.run(target.id);
          dropMentions.run(target.id);
          dropFiles.run(target.id);
          c.recent.splice(c.recent.indexOf(target), 1);
        } else if (r < 0.05) {
          pin.run(pick(c.members), clock, change(c), target.id);
        }
      }
    })();
  }

  db.transaction(() => {
    const conv = db.prepare(
      'update conversations set last_seq = ?, last_version = ?, last_message_at = ? where id = ?',
    );
    for (const c of convs) conv.run(c.lastSeq, c.lastVersion, c.lastAt, c.id);
    const member = db.prepare(
      `insert into members (conversation_id, user_id, role, joined_at, delivered_seq, read_seq, muted, notify)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const byId = new Map(convs.map((c) => [c.id, c]));
    memberRows.forEach(([cid, u, role], i) => {
      const c = byId.get(cid)!;
      const behind = rand() < 0.3 ? Math.min(c.lastSeq, 1 + Math.floor(rand() * 8)) : 0;
      const read = c.lastSeq - behind;
      member.run(
        cid,
        u,
        role,
        t0,
        Math.min(c.lastSeq, read + (rand() < 0.5 ? behind : 0)),
        read,
        i % 11 === 0 ? 1 : 0,
        i % 13 === 0 ? 'mentions' : i % 17 === 0 ? 'none' : 'all',
      );
    });
    const upload = db.prepare(
      `insert into files (owner_id, kind, mime, size, sha256, storage_key, width, height, created_at,
        name, expires_at) values (?, 'attachment', 'text/plain', 120, ?, ?, null, null, ?, 'draft.txt', ?)`,
    );
    for (let i = 0; i < Math.max(3, userCount / 10); i++) {
      upload.run(pick(userIds), hex() + hex(), `up-${hex()}`, clock, Date.now() + 86_400_000);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  if (!rare) throw new Error('the corpus is too small to hold the rare word');
  return {
    messages: o.messages,
    users: userCount,
    conversations: convs.length,
    password: BENCH_PASSWORD,
    reader: { id: reader, username: 'user1' },
    rare,
  };
}

/** The corpus for `messages`, built once and kept under bench/.cache. */
async function cachedCorpus(ctx: Context, messages: number): Promise<string> {
  const file = path.join(CACHE_DIR, `move-db-v1-${messages}.db`);
  if (existsSync(file)) return file;
  ctx.log(`building the move-db corpus (${messages} messages) …`);
  const t0 = now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-move-build-'));
  try {
    await buildMoveCorpus(dir, { messages });
    mkdirSync(CACHE_DIR, { recursive: true });
    renameSync(dbFile(dir), `${file}.tmp`);
    renameSync(`${file}.tmp`, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  ctx.log(`corpus ready in ${Math.round((now() - t0) / 1000)} s: ${file}`);
  return file;
}

const PG_ADMIN = process.env.PARLEY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ADMIN = process.env.PARLEY_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

/** A fresh, empty target database; answers its URL and how to drop it. */
async function freshTarget(
  kind: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  if (kind !== 'mysql') throw new Error(`--dbs: unknown database ${kind}`);
  const admin = await createConnection(MYSQL_ADMIN);
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name} character set utf8mb4 collate utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await createConnection(MYSQL_ADMIN);
      await c.query(`drop database if exists ${name}`);
      await c.end();
    },
  };
}

/** The peak resident set of a process so far (VmHWM), in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface MoveRun {
  seconds: number;
  peakRssMb: number;
  exitCode: number | null;
  rowsPerSecond: number;
  /** What the command printed on stderr (progress, per table and index). */
  progress: string[];
}

/**
 * `parley move-db` (the compiled CLI, as `npm start` would run it) from a copy of the cached
 * corpus to a fresh database of each of `--dbs` (postgres): its wall time and peak RSS.
 */
export async function runMoveDb(ctx: Context): Promise<void> {
  const messages = ctx.num('messages', 1_000_000);
  const kinds = ctx.str('dbs', 'postgres').split(',');
  const batchRows = ctx.str('batch-rows', '');
  const corpus = await cachedCorpus(ctx, messages);
  const cli = path.join(path.dirname(ensureServerBuild(ctx.log)), 'cli', 'main.js');
  const results: Record<string, MoveRun> = {};
  for (const kind of kinds) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-move-'));
    copyFileSync(corpus, dbFile(dataDir));
    const target = await freshTarget(kind, `parley_bench_move_${process.pid}`);
    try {
      await ctx.settle(`move-db ${kind}`);
      const started = now();
      const child = spawn(
        process.execPath,
        [cli, 'move-db', '--to', target.url, ...(batchRows ? ['--batch-rows', batchRows] : [])],
        {
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let peak = 0;
      const poll = setInterval(() => {
        peak = Math.max(peak, peakRss(child.pid ?? 0));
      }, 100);
      const progress: string[] = [];
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      let partial = '';
      child.stderr.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          progress.push(line);
          ctx.log(`  ${kind} | ${line}`);
        }
      });
      const exitCode = await new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      clearInterval(poll);
      const seconds = (now() - started) / 1000;
      if (exitCode !== 0) throw new Error(`move-db to ${kind} exited with ${exitCode}\n${out}`);
      results[kind] = {
        seconds: Math.round(seconds * 10) / 10,
        peakRssMb: Math.round(peak / 1024 / 1024),
        exitCode,
        rowsPerSecond: Math.round(messages / seconds),
        progress,
      };
      ctx.log(
        `${kind}: ${messages} messages moved in ${results[kind].seconds} s, peak RSS ${results[kind].peakRssMb} MB`,
      );
    } finally {
      await target.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  await writeResults(ctx, ctx.str('name', 'move-db'), {
    messages,
    goal: { postgresSeconds: 60 },
    results,
  });
}
