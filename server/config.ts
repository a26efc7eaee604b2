import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

/** Everything Parley reads from its environment, validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  databaseKind: DatabaseKind;
  /** SQLite `synchronous` (SQLITE_SYNCHRONOUS): FULL makes every commit durable before the ack. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** SQLite group commit (SQLITE_COMMIT_WINDOW_MS): the least time between two message commits. */
  sqliteCommitWindowMs: number;
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  redisPrefix: string;
  jwtSecret: Uint8Array;
  sessionIdleMs: number;
  maxUploadBytes: number;
  allowedOrigins: string[];
  logLevel: string;
  /** Fastify's trustProxy: off, on, or a comma-separated list of proxy addresses. */
  trustProxy: boolean | string;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /**
   * Failed sign-ins allowed per (login as typed, client address) and per client address in
   * `windowSeconds`, and per account from all addresses in `accountWindowSeconds`.
   */
  loginLimit: {
    perLogin: number;
    perIp: number;
    windowSeconds: number;
    perAccount: number;
    accountWindowSeconds: number;
  };
  rateLimits: {
    signupsPerHour: number;
    searchesPerMinute: number;
    /** Avatar uploads per user and hour (RATE_LIMIT_UPLOADS_PER_HOUR). */
    uploadsPerHour: number;
    /** Message attachment uploads per user and hour (RATE_LIMIT_ATTACHMENTS_PER_HOUR). */
    attachmentsPerHour: number;
    /** Messages one user may send per second, over sockets and REST together (bursts of 2x). */
    messagesPerSecond: number;
  };
  socket: {
    eventsPerSecond: number;
    maxSocketsPerUser: number;
    sessionCheckSeconds: number;
  };
  webRoot: string | null;
  /** SEARCH_ENABLED: index messages for GET /api/search (on by default). */
  searchEnabled: boolean;
  /**
   * REGISTRATION_MODE: who may sign up until an admin chooses in the console (the choice kept in
   * the database wins): open (default), invite-only or closed.
   */
  registrationMode: 'open' | 'invite-only' | 'closed';
  /** Where uploaded files and avatars are kept (FILE_STORE and its settings). */
  fileStore: FileStoreConfig;
  uploads: {
    /** UPLOAD_QUOTA_MB: the bytes of message attachments one user may keep stored. */
    quotaBytes: number;
    /** UPLOAD_EXPIRY_MINUTES: an upload not attached to a message by then is removed. */
    expiryMs: number;
    /** UPLOAD_SWEEP_SECONDS: how often each node looks for expired uploads. */
    sweepIntervalMs: number;
  };
  /** SMTP_URL and MAIL_FROM: outgoing mail (password reset links); null when not set up. */
  smtp: SmtpConfig | null;
  /** Password reset requests allowed per client address and per email address an hour, per account a day. */
  passwordResetLimits: { perIp: number; perAddress: number; perAccount: number };
}

/** Where Parley sends mail: an SMTP server, with implicit TLS (smtps) or STARTTLS when offered. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte; smtp://: plain, upgraded with STARTTLS when offered. */
  secure: boolean;
  /** Both set, or both null for a server that takes mail without signing in. */
  user: string | null;
  pass: string | null;
  from: { name: string; address: string };
}

/** Local disk (one node, or a folder every node shares) or an S3-compatible bucket. */
export type FileStoreConfig =
  | { kind: 'local'; dir: string; shared: boolean }
  | {
      kind: 's3';
      bucket: string;
      /** Unset: AWS S3 itself, found from the region. */
      endpoint: string | null;
      region: string;
      /** Both set, or both null for the SDK's own credential chain (environment, instance role). */
      accessKeyId: string | null;
      secretAccessKey: string | null;
      forcePathStyle: boolean;
      /** Prepended to every object key, so several deployments can share one bucket. */
      prefix: string;
    };

/** A configuration error: start-up prints its message as one line and stops. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function fail(name: string, why: string): never {
  throw new ConfigError(`Invalid configuration: ${name} ${why}`);
}

function intVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) fail(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) fail(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolVar(env: Env, name: string, def: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  fail(name, `must be true or false, got "${env[name]}"`);
}

function numberVar(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) fail(name, `must be a decimal number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) fail(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function urlVar(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(name, `is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) {
    fail(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  return raw;
}

function databaseKindOf(url: string | null): DatabaseKind {
  if (url === null) return 'sqlite';
  const protocol = new URL(url).protocol;
  if (protocol === 'postgres:' || protocol === 'postgresql:') return 'postgres';
  return 'mysql';
}

function redisPrefixOf(env: Env): string {
  const raw = env.REDIS_PREFIX ?? 'parley';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) {
    fail('REDIS_PREFIX', 'may hold 1-64 letters, digits, "_", ".", ":" or "-"');
  }
  return raw;
}

/** SQLITE_SYNCHRONOUS: FULL (default, fsync on every commit) or NORMAL (fsync at checkpoints). */
function sqliteSynchronousVar(env: Env): 'FULL' | 'NORMAL' {
  const raw = (env.SQLITE_SYNCHRONOUS ?? '').trim().toUpperCase();
  if (raw === '') return 'FULL';
  if (raw !== 'FULL' && raw !== 'NORMAL') {
    fail('SQLITE_SYNCHRONOUS', `must be FULL or NORMAL, got "${env.SQLITE_SYNCHRONOUS}"`);
  }
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const MIN_SECRET_LENGTH = 32;

/** The JWT secret: from the environment, else generated once and kept in the data directory. */
function loadSecret(env: Env, dataDir: string): Uint8Array {
  const raw = env.JWT_SECRET;
  if (raw !== undefined && raw !== '') {
    if (raw.length < MIN_SECRET_LENGTH) fail('JWT_SECRET', 'must be at least 32 characters');
    return new TextEncoder().encode(raw);
  }
  const file = path.join(dataDir, 'jwt-secret');
  let secret: string;
  try {
    try {
      writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Already there (from an earlier start, or a node starting at the same moment): use it.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    fail('DATA_DIR', `cannot hold the generated JWT secret: ${(err as Error).message}`);
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    fail(
      'DATA_DIR',
      `holds a JWT secret (${file}) shorter than 32 characters; delete it or set JWT_SECRET`,
    );
  }
  return new TextEncoder().encode(secret);
}

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** One TRUST_PROXY entry: an IP address, a CIDR range (or address/netmask) or a named range. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (version === 4 && isIP(bits) === 4) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: unset or false, true, or the addresses of the trusted proxies. A bare number
 * would be read by Fastify as the address 0.0.0.N, not a hop count, so it is refused.
 */
function trustProxyVar(env: Env): boolean | string {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  const entries = raw.split(',').map((s) => s.trim());
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      fail(
        'TRUST_PROXY',
        `must be true, false or proxy addresses (IP, CIDR, loopback, linklocal, uniquelocal), got "${entry}"`,
      );
    }
  }
  return entries.join(',');
}

/** WEB_ROOT: a directory holding the built client's index.html. */
function webRootVar(env: Env): string | null {
  const raw = env.WEB_ROOT;
  if (raw === undefined || raw === '') return null;
  const dir = path.resolve(raw);
  const index = path.join(dir, 'index.html');
  if (!existsSync(index) || !statSync(index).isFile()) {
    fail('WEB_ROOT', `must be a directory holding index.html, got "${raw}"`);
  }
  return dir;
}

/**
 * FILE_STORE and its settings. Several nodes (REDIS_URL) cannot each keep files on their own
 * disk: a file uploaded through one node must be readable through every other, so local disk
 * is refused there unless the operator says the folder is shared.
 */
function fileStoreVar(env: Env, dataDir: string, redisUrl: string | null): FileStoreConfig {
  const kind = (env.FILE_STORE ?? '').trim().toLowerCase() || 'local';
  if (kind === 'local') {
    const raw = env.FILE_STORE_DIR;
    const dir = raw === undefined || raw === '' ? dataDir : path.resolve(raw);
    if (dir !== dataDir) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        fail('FILE_STORE_DIR', `cannot be created: ${(err as Error).message}`);
      }
    }
    const shared = boolVar(env, 'FILE_STORE_SHARED', false);
    if (redisUrl !== null && !shared) {
      fail(
        'FILE_STORE',
        'is local disk but REDIS_URL runs several nodes: use FILE_STORE=s3, or set FILE_STORE_SHARED=true if FILE_STORE_DIR (else DATA_DIR) is one folder every node shares',
      );
    }
    return { kind: 'local', dir, shared };
  }
  if (kind !== 's3') fail('FILE_STORE', `must be local or s3, got "${env.FILE_STORE}"`);
  const bucket = (env.S3_BUCKET ?? '').trim();
  if (bucket === '') fail('S3_BUCKET', 'is required with FILE_STORE=s3');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    fail('S3_BUCKET', `must be a bucket name (3-63 of a-z, 0-9, "." and "-"), got "${bucket}"`);
  }
  const region = (env.S3_REGION ?? '').trim() || 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) fail('S3_REGION', `is not a region name, got "${region}"`);
  const accessKeyId = env.S3_ACCESS_KEY_ID?.trim() || null;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY?.trim() || null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    fail(
      accessKeyId === null ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY',
      'must be set together with the other S3 key (or neither, for the SDK credential chain)',
    );
  }
  const prefix = env.S3_PREFIX ?? '';
  if (!/^([A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*$/.test(prefix) || prefix.length > 200) {
    fail(
      'S3_PREFIX',
      `must be empty or folder names ending in "/", e.g. "parley/", got "${prefix}"`,
    );
  }
  return {
    kind: 's3',
    bucket,
    endpoint: urlVar(env, 'S3_ENDPOINT', ['http:', 'https:'])?.replace(/\/+$/, '') ?? null,
    region,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: boolVar(env, 'S3_FORCE_PATH_STYLE', false),
    prefix,
  };
}

/** REGISTRATION_MODE: open (default), invite-only or closed. */
function registrationModeVar(env: Env): 'open' | 'invite-only' | 'closed' {
  const raw = (env.REGISTRATION_MODE ?? '').trim().toLowerCase();
  if (raw === '') return 'open';
  if (raw !== 'open' && raw !== 'invite-only' && raw !== 'closed') {
    fail(
      'REGISTRATION_MODE',
      `must be open, invite-only or closed, got "${env.REGISTRATION_MODE}"`,
    );
  }
  return raw;
}

/** MAIL_FROM: `address@domain` or `Name <address@domain>`, on one line. */
function mailFromVar(env: Env): { name: string; address: string } {
  const raw = (env.MAIL_FROM ?? '').trim();
  if (raw === '') fail('MAIL_FROM', 'is required with SMTP_URL, e.g. "Parley <chat@example.com>"');
  const m = /^(?:([^<>\r\n]*?)\s*<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@]+@[^<>\s@]+))$/.exec(raw);
  if (!m) {
    fail(
      'MAIL_FROM',
      `must be an address or "Name <address>", e.g. "Parley <chat@example.com>", got ${JSON.stringify(raw)}`,
    );
  }
  return { name: (m[1] ?? '').replace(/^"(.*)"$/, '$1').trim(), address: m[2] ?? m[3]! };
}

/** SMTP_URL: smtp://[user:pass@]host[:port] or smtps://…, with MAIL_FROM; unset = no mail. */
function smtpVar(env: Env): SmtpConfig | null {
  const raw = (env.SMTP_URL ?? '').trim();
  if (raw === '') return null;
  const shape = 'must look like smtp://user:password@host:587 or smtps://user:password@host:465';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail('SMTP_URL', `is not a valid URL: it ${shape}`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    fail('SMTP_URL', `must start with smtp:// or smtps://; it ${shape}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') fail('SMTP_URL', `names no host; it ${shape}`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    fail('SMTP_URL', `must have nothing after the host and port; it ${shape}`);
  }
  let user: string | null;
  let pass: string | null;
  try {
    user = url.username === '' ? null : decodeURIComponent(url.username);
    pass = url.password === '' ? null : decodeURIComponent(url.password);
  } catch {
    fail('SMTP_URL', 'has a user name or password that is not properly percent-encoded');
  }
  if ((user === null) !== (pass === null)) {
    fail('SMTP_URL', 'must give both a user name and a password (user:password@host), or neither');
  }
  const secure = url.protocol === 'smtps:';
  return {
    host,
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    user,
    pass,
    from: mailFromVar(env),
  };
}

/** Parses and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const port = intVar(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '0.0.0.0';
  const publicUrl =
    urlVar(env, 'PUBLIC_URL', ['http:', 'https:'])?.replace(/\/+$/, '') ??
    `http://localhost:${port}`;
  const dataDir = path.resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data');
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    fail('DATA_DIR', `cannot be created: ${(err as Error).message}`);
  }
  const databaseUrl = urlVar(env, 'DATABASE_URL', [
    'postgres:',
    'postgresql:',
    'mysql:',
    'mariadb:',
  ]);
  const databaseKind = databaseKindOf(databaseUrl);
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']);
  if (redisUrl !== null && databaseKind === 'sqlite') {
    fail(
      'REDIS_URL',
      'needs DATABASE_URL to point at PostgreSQL or MySQL: SQLite is a single-node database',
    );
  }
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((origin) => {
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        fail('ALLOWED_ORIGINS', `has an invalid origin "${origin}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        fail('ALLOWED_ORIGINS', `must list http:// or https:// origins, got "${origin}"`);
      }
      return url.origin;
    });
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const trustProxy = trustProxyVar(env);
  const webRoot = webRootVar(env);
  return {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl,
    databaseKind,
    sqliteSynchronous: sqliteSynchronousVar(env),
    sqliteCommitWindowMs: numberVar(env, 'SQLITE_COMMIT_WINDOW_MS', 2, 0, 100),
    redisUrl,
    redisPrefix: redisPrefixOf(env),
    jwtSecret: loadSecret(env, dataDir),
    sessionIdleMs: Math.round(
      numberVar(env, 'SESSION_IDLE_MINUTES', 30, 0.01, 60 * 24 * 30) * 60_000,
    ),
    maxUploadBytes: Math.round(numberVar(env, 'MAX_UPLOAD_MB', 16, 0.001, 1024) * 1024 * 1024),
    allowedOrigins: [new URL(publicUrl).origin, ...allowedOrigins],
    logLevel,
    trustProxy,
    argon2: {
      memoryCost: intVar(env, 'ARGON2_MEMORY_KIB', 19456, 19456, 4 * 1024 * 1024),
      timeCost: intVar(env, 'ARGON2_TIME_COST', 2, 2, 100),
      parallelism: 1,
    },
    loginLimit: {
      perLogin: intVar(env, 'LOGIN_MAX_FAILURES_PER_LOGIN', 10, 1, 10_000),
      perIp: intVar(env, 'LOGIN_MAX_FAILURES_PER_IP', 50, 1, 100_000),
      windowSeconds: intVar(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86_400),
      perAccount: intVar(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 100, 1, 100_000),
      accountWindowSeconds: intVar(env, 'LOGIN_ACCOUNT_WINDOW_SECONDS', 3600, 1, 86_400),
    },
    rateLimits: {
      signupsPerHour: intVar(env, 'RATE_LIMIT_SIGNUPS_PER_HOUR', 300, 1, 1_000_000),
      searchesPerMinute: intVar(env, 'RATE_LIMIT_SEARCHES_PER_MINUTE', 120, 1, 1_000_000),
      uploadsPerHour: intVar(env, 'RATE_LIMIT_UPLOADS_PER_HOUR', 60, 1, 1_000_000),
      attachmentsPerHour: intVar(env, 'RATE_LIMIT_ATTACHMENTS_PER_HOUR', 600, 1, 1_000_000),
      // SOCKET_MESSAGES_PER_SECOND is the older name, from when only sockets were limited.
      messagesPerSecond: env.MESSAGES_PER_SECOND
        ? intVar(env, 'MESSAGES_PER_SECOND', 20, 1, 1_000_000)
        : intVar(env, 'SOCKET_MESSAGES_PER_SECOND', 20, 1, 1_000_000),
    },
    socket: {
      eventsPerSecond: intVar(env, 'SOCKET_EVENTS_PER_SECOND', 30, 1, 1_000_000),
      maxSocketsPerUser: intVar(env, 'MAX_SOCKETS_PER_USER', 32, 1, 100_000),
      sessionCheckSeconds: intVar(env, 'SESSION_CHECK_SECONDS', 30, 1, 3600),
    },
    webRoot,
    searchEnabled: boolVar(env, 'SEARCH_ENABLED', true),
    registrationMode: registrationModeVar(env),
    fileStore: fileStoreVar(env, dataDir, redisUrl),
    uploads: {
      quotaBytes: Math.round(
        numberVar(env, 'UPLOAD_QUOTA_MB', 1024, 0.001, 1024 * 1024) * 1024 * 1024,
      ),
      expiryMs: Math.round(numberVar(env, 'UPLOAD_EXPIRY_MINUTES', 1440, 0.001, 525_600) * 60_000),
      sweepIntervalMs: Math.round(numberVar(env, 'UPLOAD_SWEEP_SECONDS', 300, 0.05, 86_400) * 1000),
    },
    smtp: smtpVar(env),
    passwordResetLimits: {
      perIp: intVar(env, 'RATE_LIMIT_PASSWORD_RESETS_PER_IP', 20, 1, 1_000_000),
      perAddress: intVar(env, 'RATE_LIMIT_PASSWORD_RESETS_PER_ADDRESS', 3, 1, 1_000_000),
      perAccount: intVar(env, 'RATE_LIMIT_PASSWORD_RESETS_PER_ACCOUNT', 10, 1, 1_000_000),
    },
  };
}
