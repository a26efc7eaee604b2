import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-config-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const base = () => ({ DATA_DIR: freshDir(), JWT_SECRET: 'x'.repeat(40) });

function expectRefused(name: string, env: Record<string, string>): void {
  let error: unknown;
  try {
    loadConfig({ ...base(), ...env });
  } catch (err) {
    error = err;
  }
  const what = `${name}=${JSON.stringify(env[name] ?? env)}`;
  expect(error, what).toBeInstanceOf(ConfigError);
  expect((error as Error).message, what).toContain(name);
}

/** Every numeric variable config.ts reads, so a new one is checked without editing this file. */
const NUMERIC_VARS = [
  ...readFileSync(new URL('./config.ts', import.meta.url), 'utf8').matchAll(
    /(?:intVar|numberVar)\(\s*env,\s*'([A-Z0-9_]+)'/g,
  ),
].map((m) => m[1]!);

describe('loadConfig refuses bad values, naming the variable', () => {
  it('finds the numeric variables', () => {
    expect(NUMERIC_VARS).toContain('PORT');
    expect(NUMERIC_VARS).toContain('SESSION_IDLE_MINUTES');
    expect(NUMERIC_VARS).toContain('LOGIN_MAX_FAILURES_PER_ACCOUNT');
    expect(NUMERIC_VARS).toContain('LOGIN_MAX_FAILURES_PER_LOGIN');
    expect(NUMERIC_VARS).toContain('LOGIN_ACCOUNT_WINDOW_SECONDS');
  });

  it.each(NUMERIC_VARS)('%s', (name) => {
    for (const bad of ['abc', '-1', '1e400', '0x10', 'Infinity', 'NaN', ' ', '1,5', '12abc']) {
      expectRefused(name, { [name]: bad });
    }
    expectRefused(name, { [name]: '99999999999999999999' });
  });

  const cases: Record<string, string[]> = {
    PUBLIC_URL: [
      'not a url',
      'chat.example.test',
      'ftp://chat.example.test',
      'javascript:alert(1)',
    ],
    DATABASE_URL: ['not a url', 'sqlite://parley.db', 'http://db.example.test/parley', 'redis://x'],
    REDIS_URL: ['not a url', 'http://redis.example.test'],
    ALLOWED_ORIGINS: [
      'not an origin',
      'ftp://files.example.test',
      'javascript:alert(1)',
      'null',
      'https://ok.example.test,nope',
    ],
    LOG_LEVEL: ['verbose', 'loud'],
    REDIS_PREFIX: ['has spaces', 'x'.repeat(65), 'a/b'],
    SQLITE_SYNCHRONOUS: ['OFF', 'fast'],
    TRUST_PROXY: [
      'yes',
      '1',
      '2',
      '10.0.0.0/33',
      '300.1.1.1',
      '127.0.0.1,evil',
      '::1/129',
      'true,false',
    ],
    JWT_SECRET: ['short', 'x'.repeat(31)],
    ARGON2_MEMORY_KIB: ['1024'],
    ARGON2_TIME_COST: ['1'],
    MAX_UPLOAD_MB: ['0'],
    SESSION_IDLE_MINUTES: ['0'],
    LOGIN_MAX_FAILURES_PER_LOGIN: ['0'],
    LOGIN_MAX_FAILURES_PER_ACCOUNT: ['0'],
    LOGIN_ACCOUNT_WINDOW_SECONDS: ['0'],
  };
  for (const [name, values] of Object.entries(cases)) {
    it(name, () => {
      for (const value of values) expectRefused(name, { [name]: value });
    });
  }

  it('REDIS_URL without a shared database', () => {
    expectRefused('REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:6379' });
  });

  it('file storage settings', () => {
    const s3 = { FILE_STORE: 's3', S3_BUCKET: 'parley-files' };
    expectRefused('FILE_STORE', { FILE_STORE: 'ftp' });
    expectRefused('FILE_STORE_SHARED', { FILE_STORE_SHARED: 'maybe' });
    expectRefused('S3_BUCKET', { FILE_STORE: 's3' });
    for (const bucket of ['Upper', 'a', 'has space', 'x'.repeat(64), '-start']) {
      expectRefused('S3_BUCKET', { FILE_STORE: 's3', S3_BUCKET: bucket });
    }
    expectRefused('S3_ENDPOINT', { ...s3, S3_ENDPOINT: 'not a url' });
    expectRefused('S3_ENDPOINT', { ...s3, S3_ENDPOINT: 'ftp://s3.example.test' });
    expectRefused('S3_REGION', { ...s3, S3_REGION: 'us east' });
    expectRefused('S3_SECRET_ACCESS_KEY', { ...s3, S3_ACCESS_KEY_ID: 'key' });
    expectRefused('S3_ACCESS_KEY_ID', { ...s3, S3_SECRET_ACCESS_KEY: 'secret' });
    expectRefused('S3_FORCE_PATH_STYLE', { ...s3, S3_FORCE_PATH_STYLE: 'sometimes' });
    for (const prefix of ['no-slash', '/abs/', '../up/', 'a//b/']) {
      expectRefused('S3_PREFIX', { ...s3, S3_PREFIX: prefix });
    }
    const file = path.join(freshDir(), 'file.txt');
    writeFileSync(file, 'x');
    expectRefused('FILE_STORE_DIR', { FILE_STORE_DIR: path.join(file, 'files') });
  });

  it('local file storage on several nodes unless the folder is said to be shared', () => {
    const cluster = {
      DATABASE_URL: 'postgres://db.example.test/parley',
      REDIS_URL: 'redis://127.0.0.1:6379',
    };
    expectRefused('FILE_STORE', cluster);
    expectRefused('FILE_STORE', { ...cluster, FILE_STORE: 'local' });
    expectRefused('FILE_STORE', { ...cluster, FILE_STORE_SHARED: 'false' });
    const shared = loadConfig({ ...base(), ...cluster, FILE_STORE_SHARED: 'true' });
    expect(shared.fileStore).toMatchObject({ kind: 'local', shared: true });
    const s3 = loadConfig({ ...base(), ...cluster, FILE_STORE: 's3', S3_BUCKET: 'files' });
    expect(s3.fileStore.kind).toBe('s3');
  });

  it('WEB_ROOT that is missing, not a directory or has no index.html', () => {
    const empty = freshDir();
    const file = path.join(freshDir(), 'file.txt');
    writeFileSync(file, 'x');
    for (const value of ['/nonexistent/parley-web', empty, file]) {
      expectRefused('WEB_ROOT', { WEB_ROOT: value });
    }
  });

  it('DATA_DIR that cannot be a directory or cannot keep the secret', () => {
    const file = path.join(freshDir(), 'file.txt');
    writeFileSync(file, 'x');
    expectRefused('DATA_DIR', { DATA_DIR: file });
    // No JWT_SECRET: the generated secret must be written into DATA_DIR.
    expect(() => loadConfig({ DATA_DIR: '/proc/self' })).toThrow(/DATA_DIR/);
    expect(() => loadConfig({ DATA_DIR: '/proc/self' })).toThrow(ConfigError);
    const short = freshDir();
    writeFileSync(path.join(short, 'jwt-secret'), 'too short');
    expect(() => loadConfig({ DATA_DIR: short })).toThrow(ConfigError);
    const blank = freshDir();
    writeFileSync(path.join(blank, 'jwt-secret'), '\n');
    expect(() => loadConfig({ DATA_DIR: blank })).toThrow(/DATA_DIR/);
  });
});

describe('loadConfig accepts good values', () => {
  it('uses the defaults', () => {
    const c = loadConfig(base());
    expect(c.databaseKind).toBe('sqlite');
    expect(c.trustProxy).toBe(false);
    expect(c.sessionIdleMs).toBe(30 * 60_000);
    // PROTOCOL (amendments of v1.1): 10 per login and address and 50 per address in 15
    // minutes; 100 per account in an hour (OWASP ASVS 2.2.1).
    expect(c.loginLimit).toEqual({
      perLogin: 10,
      perIp: 50,
      windowSeconds: 900,
      perAccount: 100,
      accountWindowSeconds: 3600,
    });
    expect(c.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(c.webRoot).toBeNull();
  });

  it('keeps files on local disk in DATA_DIR by default, with a 1 GB quota and 24 h expiry', () => {
    const env = base();
    const c = loadConfig(env);
    expect(c.fileStore).toEqual({ kind: 'local', dir: path.resolve(env.DATA_DIR), shared: false });
    expect(c.uploads).toEqual({
      quotaBytes: 1024 * 1024 * 1024,
      expiryMs: 24 * 3600 * 1000,
      sweepIntervalMs: 300_000,
    });
    expect(c.rateLimits.attachmentsPerHour).toBe(600);
    expect(c.rateLimits.uploadsPerHour).toBe(60);
    const dir = path.join(freshDir(), 'files');
    expect(loadConfig({ ...base(), FILE_STORE_DIR: dir }).fileStore).toMatchObject({ dir });
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('reads the S3 settings', () => {
    const c = loadConfig({
      ...base(),
      FILE_STORE: 'S3',
      S3_BUCKET: 'parley-files',
      S3_ENDPOINT: 'https://minio.example.test:9000/',
      S3_REGION: 'eu-west-3',
      S3_ACCESS_KEY_ID: 'AKIA',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'chat/files/',
      UPLOAD_QUOTA_MB: '0.5',
      UPLOAD_EXPIRY_MINUTES: '0.01',
      UPLOAD_SWEEP_SECONDS: '0.2',
    });
    expect(c.fileStore).toEqual({
      kind: 's3',
      bucket: 'parley-files',
      endpoint: 'https://minio.example.test:9000',
      region: 'eu-west-3',
      accessKeyId: 'AKIA',
      secretAccessKey: 'secret',
      forcePathStyle: true,
      prefix: 'chat/files/',
    });
    expect(c.uploads).toEqual({ quotaBytes: 524288, expiryMs: 600, sweepIntervalMs: 200 });
    const aws = loadConfig({ ...base(), FILE_STORE: 's3', S3_BUCKET: 'b.example' });
    expect(aws.fileStore).toMatchObject({
      endpoint: null,
      region: 'us-east-1',
      accessKeyId: null,
      secretAccessKey: null,
      forcePathStyle: false,
      prefix: '',
    });
  });

  it('reads the sign-in limits', () => {
    const c = loadConfig({
      ...base(),
      LOGIN_MAX_FAILURES_PER_LOGIN: '5',
      LOGIN_MAX_FAILURES_PER_IP: '20',
      LOGIN_FAILURE_WINDOW_SECONDS: '600',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '40',
      LOGIN_ACCOUNT_WINDOW_SECONDS: '7200',
    });
    expect(c.loginLimit).toEqual({
      perLogin: 5,
      perIp: 20,
      windowSeconds: 600,
      perAccount: 40,
      accountWindowSeconds: 7200,
    });
  });

  it('reads TRUST_PROXY as on, off or proxy addresses', () => {
    const tp = (v: string) => loadConfig({ ...base(), TRUST_PROXY: v }).trustProxy;
    expect(tp('true')).toBe(true);
    expect(tp('false')).toBe(false);
    expect(tp('')).toBe(false);
    expect(tp('127.0.0.1')).toBe('127.0.0.1');
    expect(tp('loopback, 10.0.0.0/8, ::1, fd00::/8, 172.16.0.0/255.240.0.0')).toBe(
      'loopback,10.0.0.0/8,::1,fd00::/8,172.16.0.0/255.240.0.0',
    );
  });

  it('normalizes PUBLIC_URL and ALLOWED_ORIGINS to origins', () => {
    const c = loadConfig({
      ...base(),
      PUBLIC_URL: 'https://Chat.Example.test/',
      ALLOWED_ORIGINS: 'https://App.Example.test/, http://b.example.test:8080/some/path',
    });
    expect(c.publicUrl).toBe('https://Chat.Example.test');
    expect(c.allowedOrigins).toEqual([
      'https://chat.example.test',
      'https://app.example.test',
      'http://b.example.test:8080',
    ]);
  });

  it('accepts decimal minutes and megabytes', () => {
    const c = loadConfig({ ...base(), SESSION_IDLE_MINUTES: '0.5', MAX_UPLOAD_MB: '2.5' });
    expect(c.sessionIdleMs).toBe(30_000);
    expect(c.maxUploadBytes).toBe(Math.round(2.5 * 1024 * 1024));
  });

  it('generates a private JWT secret once and keeps it', () => {
    const dir = freshDir();
    const a = loadConfig({ DATA_DIR: dir });
    const b = loadConfig({ DATA_DIR: dir });
    expect(Buffer.from(a.jwtSecret).toString()).toBe(Buffer.from(b.jwtSecret).toString());
    expect(a.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dir, 'jwt-secret')).mode & 0o077).toBe(0);
  });

  it('takes WEB_ROOT when it holds index.html', () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, 'web'));
    writeFileSync(path.join(dir, 'web', 'index.html'), '<!doctype html>');
    expect(loadConfig({ ...base(), WEB_ROOT: path.join(dir, 'web') }).webRoot).toBe(
      path.join(dir, 'web'),
    );
  });
});
