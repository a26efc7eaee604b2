import { randomBytes } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../../server/db/database.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { PasswordHasher } from '../../server/features/auth/passwords.js';
import { TokenService } from '../../server/features/auth/tokens.js';

/** Every seeded user has this password (one argon2 hash, computed once per run). */
export const BENCH_PASSWORD = 'a long bench passphrase';
/** The server runs with this JWT_SECRET so the bench can issue access tokens for seeded sessions. */
export const BENCH_JWT_SECRET = 'parley-bench-secret-0123456789abcdefghijklmnop';

export const dbFile = (dataDir: string) => path.join(dataDir, 'parley.db');

/** Creates the schema with the server's own migrations (so the server finds it up to date). */
export async function createSchema(dataDir: string): Promise<void> {
  const handle = openDatabase({ kind: 'sqlite', url: null, dataDir });
  try {
    await migrateToLatest(handle.db, 'sqlite');
  } finally {
    await handle.close();
  }
}

/** The argon2id hash the server would store for BENCH_PASSWORD (default cost parameters). */
export function passwordHash(): Promise<string> {
  return new PasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }).hash(
    BENCH_PASSWORD,
  );
}

/**
 * Direct inserts into a migrated SQLite file, much faster than the API (registration is
 * argon2-bound): prepared statements inside one transaction per call.
 */
export class Seeder {
  readonly db: SQLite.Database;

  constructor(dataDir: string) {
    this.db = new SQLite(dbFile(dataDir));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('foreign_keys = OFF');
  }

  /** Inserts users `<prefix><first>…`; answers their ids in order. */
  users(count: number, hash: string, prefix = 'u', first = 0): number[] {
    const now = Date.now();
    const stmt = this.db.prepare(
      `insert into users (username, username_key, email, email_key, password_hash, display_name,
        bio, is_active, is_admin, created_at) values (?, ?, ?, ?, ?, ?, '', 1, 0, ?)`,
    );
    const ids: number[] = [];
    this.db.transaction(() => {
      for (let i = first; i < first + count; i++) {
        const name = `${prefix}${i}`;
        const email = `${name}@bench.example`;
        const r = stmt.run(name, name.toLowerCase(), email, email.toLowerCase(), hash, name, now);
        ids.push(Number(r.lastInsertRowid));
      }
    })();
    return ids;
  }

  /** Direct conversations for the given pairs (one per pair, like the API); answers their ids. */
  directs(pairs: ReadonlyArray<readonly [number, number]>): number[] {
    const now = Date.now();
    const conv = this.db.prepare(
      `insert into conversations (kind, name, topic, is_private, created_by, created_at, last_seq,
        last_message_at, direct_key) values ('direct', null, null, 1, ?, ?, 0, ?, ?)`,
    );
    const member = this.db.prepare(
      `insert into members (conversation_id, user_id, role, joined_at, delivered_seq, read_seq, muted)
        values (?, ?, 'member', ?, 0, 0, 0)`,
    );
    const ids: number[] = [];
    this.db.transaction(() => {
      for (const [a, b] of pairs) {
        const key = a < b ? `${a}:${b}` : `${b}:${a}`;
        const id = Number(conv.run(a, now, now, key).lastInsertRowid);
        member.run(id, a, now);
        member.run(id, b, now);
        ids.push(id);
      }
    })();
    return ids;
  }

  /** A group owned by the first member (no system messages: its history starts empty). */
  group(name: string, memberIds: readonly number[], isPrivate = false): number {
    const now = Date.now();
    let id = 0;
    this.db.transaction(() => {
      id = Number(
        this.db
          .prepare(
            `insert into conversations (kind, name, topic, is_private, created_by, created_at,
              last_seq, last_message_at, direct_key) values ('group', ?, '', ?, ?, ?, 0, ?, null)`,
          )
          .run(name, isPrivate ? 1 : 0, memberIds[0] ?? null, now, now).lastInsertRowid,
      );
      const member = this.db.prepare(
        `insert into members (conversation_id, user_id, role, joined_at, delivered_seq, read_seq, muted)
          values (?, ?, ?, ?, 0, 0, 0)`,
      );
      memberIds.forEach((u, i) => member.run(id, u, i === 0 ? 'owner' : 'member', now));
    })();
    return id;
  }

  /** One fresh 12-hour session per user, active now; answers the session ids in order. */
  sessions(userIds: readonly number[]): number[] {
    const now = Date.now();
    const stmt = this.db.prepare(
      `insert into sessions (user_id, refresh_salt, refresh_gen, remember, created_at,
        last_active_at, expires_at, user_agent, ip) values (?, ?, 0, 0, ?, ?, ?, 'parley-bench', '127.0.0.1')`,
    );
    const ids: number[] = [];
    this.db.transaction(() => {
      for (const u of userIds) {
        const salt = randomBytes(24).toString('base64url');
        ids.push(Number(stmt.run(u, salt, now, now, now + 12 * 3_600_000).lastInsertRowid));
      }
    })();
    return ids;
  }

  close(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

/** Access tokens for seeded sessions, signed the way the server signs them (valid 15 minutes). */
export async function accessTokens(
  userIds: readonly number[],
  sessionIds: readonly number[],
): Promise<string[]> {
  const tokens = new TokenService(new TextEncoder().encode(BENCH_JWT_SECRET), Date.now);
  const out: string[] = [];
  for (let i = 0; i < userIds.length; i++) {
    out.push((await tokens.signAccess({ userId: userIds[i]!, sessionId: sessionIds[i]! })).token);
  }
  return out;
}
