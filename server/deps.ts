import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Deps } from './context.js';
import type { DatabaseHandle } from './db/database.js';
import { GroupCommit } from './db/group-commit.js';
import { EventBus } from './events.js';
import { PasswordHasher } from './features/auth/passwords.js';
import { TokenService } from './features/auth/tokens.js';
import { LocalPresence } from './features/presence/presence-store.js';
import { TypingService } from './features/typing/typing-service.js';
import { memoryRateLimiter, type RateLimiter } from './lib/rate-limiter.js';
import { createFileStore } from './storage/file-store.js';
import { createSmtpMailer } from './mail/smtp-mailer.js';

/** Wires the services every use case needs; tests pass overrides (a clock, a limiter). */
export function createDeps(
  config: Config,
  database: DatabaseHandle,
  log: FastifyBaseLogger,
  overrides: Partial<Pick<Deps, 'now' | 'limiter' | 'presence' | 'files'>> = {},
): Deps {
  const now = overrides.now ?? Date.now;
  const limiter: RateLimiter = overrides.limiter ?? memoryRateLimiter();
  const events = new EventBus();
  return {
    config,
    db: database.db,
    dbKind: database.kind,
    commits: database.sqlite
      ? new GroupCommit(database.db, database.sqlite, {
          windowMs: config.sqliteCommitWindowMs,
          maxBatch: 512,
        })
      : null,
    log,
    now,
    limiter,
    passwords: new PasswordHasher(config.argon2),
    tokens: new TokenService(config.jwtSecret, now),
    events,
    presence: overrides.presence ?? new LocalPresence(),
    typing: new TypingService(events),
    files: overrides.files ?? createFileStore(config.fileStore, config.dataDir),
    mailer: config.smtp && createSmtpMailer(config.smtp),
  };
}
