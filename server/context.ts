import type { FastifyBaseLogger } from 'fastify';
import type { Config, DatabaseKind } from './config.js';
import type { Db } from './db/database.js';
import type { GroupCommit } from './db/group-commit.js';
import type { EventBus } from './events.js';
import type { PasswordHasher } from './features/auth/passwords.js';
import type { TokenService } from './features/auth/tokens.js';
import type { Presence } from './features/presence/presence-store.js';
import type { TypingService } from './features/typing/typing-service.js';
import type { RateLimiter } from './lib/rate-limiter.js';
import type { Mailer } from './mail/mailer.js';
import type { FileStore } from './storage/file-store.js';

/** What every use case may use; built once in main.ts (or by a test) and passed down. */
export interface Deps {
  config: Config;
  db: Db;
  dbKind: DatabaseKind;
  /** SQLite's group commit for message sends; null on PostgreSQL and MariaDB. */
  commits: GroupCommit | null;
  log: FastifyBaseLogger;
  now: () => number;
  limiter: RateLimiter;
  passwords: PasswordHasher;
  tokens: TokenService;
  events: EventBus;
  presence: Presence;
  typing: TypingService;
  /** Where uploaded files and avatars are kept (local disk or S3-compatible). */
  files: FileStore;
  /** Outgoing mail (SMTP_URL); null when the server has none set up. */
  mailer: Mailer | null;
}

/** Who is calling: set by authentication on REST calls and socket connections. */
export interface Actor {
  userId: number;
  sessionId: number;
  isAdmin: boolean;
}

/** Where a request came from, kept on new sessions. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}
