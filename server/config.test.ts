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
