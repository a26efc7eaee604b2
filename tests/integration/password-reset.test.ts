// Password reset by email: a real SMTP server (the smtp-server package) receives the links.
// Security rows S3 (no enumeration through reset), S5 (sessions end with a reset) and S27
// (reset requests are throttled).
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  isErrorShape,
  refreshCookieOf,
  registerUser,
  type ApiResponse,
  type TestUser,
} from '../helpers/api.js';
import { Mailbox, resetLinkOf } from '../helpers/mailbox.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, disconnected } from '../helpers/socket.js';

const PUBLIC_URL = 'http://chat.example.test';
const SMTP_AUTH = { user: 'parley', pass: 's3cret p@ss:/' };
const web = { 'x-parley-client': 'web' };

let t: TestServer;
let bare: TestServer;
let box: Mailbox;
let admin: TestUser;
/** The server's clock runs this far ahead of the wall clock; tests move it forward only. */
let ahead = 0;

beforeAll(async () => {
  box = await Mailbox.start(SMTP_AUTH);
  const auth = `${encodeURIComponent(SMTP_AUTH.user)}:${encodeURIComponent(SMTP_AUTH.pass)}`;
  [t, bare] = await Promise.all([
    startTestServer(
      {
        PUBLIC_URL,
        SMTP_URL: `smtp://${auth}@127.0.0.1:${box.port}`,
        MAIL_FROM: 'Parley Chat <chat@example.test>',
        RATE_LIMIT_PASSWORD_RESETS_PER_IP: '6',
        RATE_LIMIT_PASSWORD_RESETS_PER_ADDRESS: '3',
        RATE_LIMIT_PASSWORD_RESETS_PER_ACCOUNT: '4',
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      },
      { overrides: { now: () => Date.now() + ahead } },
    ),
    startTestServer(),
  ]);
  admin = await registerUser(t.api);
});

afterAll(async () => {
  await Promise.all([t?.close(), bare?.close()]);
  await box?.close();
});

let lastIp = 1;
/** Another client address: every 127.x.y.z reaches the server (it listens on 127.0.0.1). */
const nextIp = () => `127.0.${Math.floor(++lastIp / 250)}.${(lastIp % 250) + 2}`;

/** A POST from a given local address (a client of its own, without trusting any proxy). */
function postFrom(localAddress: string, path: string, body: unknown): Promise<ApiResponse> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${t.url}${path}`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(payload)),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
              headers.append(name, v);
            }
          }
          const json = (res.headers['content-type'] ?? '').includes('json') && text !== '';
          resolve({
            status: res.statusCode ?? 0,
            body: json ? JSON.parse(text) : text,
            headers,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const requestReset = (email: string, ip = nextIp()) =>
  postFrom(ip, '/api/auth/password-reset', { email });
const confirm = (token: string, password: string) =>
  t.api.post('/api/auth/password-reset/confirm', { token, password });
const login = (s: TestServer, u: TestUser, password: string) =>
  s.api.post('/api/auth/login', { login: u.username, password });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function expectAccepted(res: ApiResponse): void {
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ linkMinutes: 30 });
}

function expectTokenRefused(res: ApiResponse): void {
  expect(res.status).toBe(400);
  expect(isErrorShape(res.body)).toBe(true);
  expect(res.body.error.code).toBe('validation_failed');
  expect(Object.keys(res.body.error.details.fields)).toEqual(['token']);
}

function expectRateLimited(res: ApiResponse): void {
  expect(res.status).toBe(429);
  expect(isErrorShape(res.body)).toBe(true);
  expect(res.body.error.code).toBe('rate_limited');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('password reset by email', () => {
  it('mails a single-use link that sets the password and ends every session', async () => {
    expect(await t.api.get('/api/server-info')).toMatchObject({
      status: 200,
      body: { passwordReset: { byEmail: true, linkMinutes: 30 } },
    });
    const u = await registerUser(t.api, { displayName: 'Rosa <b>Reset</b>' });
    const second = await login(t, u, u.password);
    expect(second.status).toBe(200);
    const socket = await connectSocket(t.url, u.token);

    // The address as typed, in another case and with spaces, finds the account.
    expectAccepted(await requestReset(`  ${u.email.toUpperCase()} `));
    const m = await box.nth(u.email, 1);
    expect(m.user).toBe(SMTP_AUTH.user);
    expect(m.mailFrom).toBe('chat@example.test');
    expect(m.mail.from?.value).toEqual([{ name: 'Parley Chat', address: 'chat@example.test' }]);
    expect(m.mail.subject).toBe('Reset your Parley password');
    const { link, token } = resetLinkOf(m);
    expect(link).toBe(`${PUBLIC_URL}/reset-password?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(m.mail.html).toContain(`href="${link}"`);
    expect(m.mail.html).toContain('Rosa &lt;b&gt;Reset&lt;/b&gt;');

    // Only the token's hash is stored.
    const rows = await t.deps.db
      .selectFrom('password_resets')
      .selectAll()
      .where('user_id', '=', u.id)
      .execute();
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(token)]);
    expect(JSON.stringify(rows)).not.toContain(token);

    // A too-common password is refused and leaves the link usable.
    const weak = await confirm(token, 'password');
    expect(weak.status).toBe(400);
    expect(Object.keys(weak.body.error.details.fields)).toEqual(['password']);

    const fresh = 'a brand new passphrase';
    const done = await confirm(token, fresh);
    expect(done.status).toBe(204);

    // Every session ends: the connected socket is told and closed, refresh and tokens fail.
    await socket.waitFor('session:expired', () => true, 5000);
    await disconnected(socket, 5000);
    for (const cookie of [u.cookie, refreshCookieOf(second)!]) {
      const r = await t.api.post('/api/auth/refresh', undefined, { cookie, headers: web });
      expect(r.status).toBe(401);
    }
    const me = await t.api.get('/api/users/me', { token: u.token });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('session_expired');

    expect((await login(t, u, u.password)).body.error.code).toBe('invalid_credentials');
    expect((await login(t, u, fresh)).status).toBe(200);
    // Single use.
    expectTokenRefused(await confirm(token, 'yet another passphrase'));
    expect((await login(t, u, fresh)).status).toBe(200);
  });

  it('answers an unknown or deactivated address alike, and mails neither', async () => {
    const [off, on] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
    const r = await t.api.patch(
      `/api/admin/users/${off.id}`,
      { isActive: false },
      { token: admin.token },
    );
    expect(r.status).toBe(200);
    const unknown = `nobody-${off.username}@example.test`;
    const answers = [
      await requestReset(unknown),
      await requestReset(off.email),
      await requestReset(on.email),
    ];
    for (const a of answers) expectAccepted(a);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(new Set(answers.map((a) => a.headers.get('content-type'))).size).toBe(1);
    // The active account's mail arriving shows the others' requests were handled before it.
    await box.nth(on.email, 1);
    expect(box.to(unknown)).toEqual([]);
    expect(box.to(off.email)).toEqual([]);
  });

  it('replaces an older link with a newer one', async () => {
    const u = await registerUser(t.api);
    const ip = nextIp();
    expectAccepted(await requestReset(u.email, ip));
    const first = resetLinkOf(await box.nth(u.email, 1)).token;
    expectAccepted(await requestReset(u.email, ip));
    const second = resetLinkOf(await box.nth(u.email, 2)).token;
    expect(second).not.toBe(first);
    expectTokenRefused(await confirm(first, 'the newest link wins'));
    expect((await confirm(second, 'the newest link wins')).status).toBe(204);
    expect((await login(t, u, 'the newest link wins')).status).toBe(200);
  });

  it('refuses unknown tokens and malformed bodies with validation_failed', async () => {
    expectTokenRefused(await confirm('not-a-token-anyone-was-sent', 'a fine passphrase'));
    expectTokenRefused(await confirm('x'.repeat(256), 'a fine passphrase'));
    const ip = nextIp();
    const bad: Array<[string, unknown]> = [
      ['/api/auth/password-reset', {}],
      ['/api/auth/password-reset', { email: 'not-an-email' }],
      ['/api/auth/password-reset', { email: 42 }],
      ['/api/auth/password-reset', { email: 'a@example.test', extra: true }],
      ['/api/auth/password-reset', '{"email": '],
      ['/api/auth/password-reset/confirm', { token: 'abc' }],
      ['/api/auth/password-reset/confirm', { token: '', password: 'a fine passphrase' }],
      ['/api/auth/password-reset/confirm', { token: 'abc', password: 'short' }],
      ['/api/auth/password-reset/confirm', { token: 'abc', password: 'x'.repeat(129) }],
    ];
    for (const [path, body] of bad) {
      const res = await postFrom(ip, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('limits requests per email address, answering a known and an unknown one alike', async () => {
    const u = await registerUser(t.api);
    const unknown = `nobody-${u.username}@example.test`;
    for (const email of [u.email, unknown]) {
      for (let i = 0; i < 3; i++) expectAccepted(await requestReset(email));
      const refused = await requestReset(email);
      expectRateLimited(refused);
      expect(refused.body.error.message).toMatch(/email address/);
    }
    await box.nth(u.email, 3);
  });

  it('limits requests per account, also across a change of its address', async () => {
    const u = await registerUser(t.api);
    for (let i = 0; i < 3; i++) expectAccepted(await requestReset(u.email));
    const old = resetLinkOf(await box.nth(u.email, 3)).token;
    const moved = `moved-${u.email}`;
    const r = await t.api.patch('/api/users/me', { email: moved }, { token: u.token });
    expect(r.status).toBe(200);
    // A link sent to the old address stops working once it is no longer the account's.
    expectTokenRefused(await confirm(old, 'sent to an old address'));
    // The new address has its own count (1 of 3), the account its fourth and last request.
    expectAccepted(await requestReset(moved));
    expectRateLimited(await requestReset(moved));
    const current = resetLinkOf(await box.nth(moved, 1)).token;
    expect((await confirm(current, 'sent to the current address')).status).toBe(204);
  });

  it('limits requests per client address', async () => {
    const ip = nextIp();
    const u = await registerUser(t.api);
    for (let i = 0; i < 6; i++) {
      expectAccepted(await requestReset(`client-${i}-${u.username}@example.test`, ip));
    }
    expectRateLimited(await requestReset(u.email, ip));
    // Another client asking for the same address is not held back.
    expectAccepted(await requestReset(u.email));
  });

  it('still works for an account locked by password guessing, and lifts that lock', async () => {
    const u = await registerUser(t.api);
    // Three wrong passwords from three addresses reach the account's ceiling (3 in this file).
    for (let i = 0; i < 3; i++) {
      const r = await postFrom(nextIp(), '/api/auth/login', { login: u.email, password: 'wrong' });
      expect(r.body.error.code).toBe('invalid_credentials');
    }
    expectRateLimited(await login(t, u, u.password));
    expectAccepted(await requestReset(u.email));
    const { token } = resetLinkOf(await box.nth(u.email, 1));
    expect((await confirm(token, 'unlocked by the mailbox')).status).toBe(204);
    expect((await login(t, u, 'unlocked by the mailbox')).status).toBe(200);
  });

  it('refuses a link after 30 minutes', async () => {
    const u = await registerUser(t.api);
    expectAccepted(await requestReset(u.email));
    const { token } = resetLinkOf(await box.nth(u.email, 1));
    ahead += 31 * 60_000;
    expectTokenRefused(await confirm(token, 'too late for this one'));
    expect((await login(t, u, u.password)).status).toBe(200);
  });

  it('without SMTP says so, and how an operator resets a password', async () => {
    const info = await bare.api.get('/api/server-info');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ passwordReset: { byEmail: false, linkMinutes: 30 } });
    const u = await registerUser(bare.api);
    const res = await bare.api.post('/api/auth/password-reset', { email: u.email });
    expect(res.status).toBe(503);
    expect(isErrorShape(res.body)).toBe(true);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.message).toContain('parley user reset-password');
    expect(res.body.error.details).toEqual({ passwordResetByEmail: false });
  });

  // Last: stops the SMTP server.
  it('answers 202 and logs the failure when the SMTP server is down', async () => {
    const u = await registerUser(t.api);
    await box.close();
    const error = vi.spyOn(t.deps.log, 'error');
    try {
      expectAccepted(await requestReset(u.email));
      await vi.waitFor(
        () => {
          const logged = error.mock.calls.find(
            (c) => (c[0] as { event?: string }).event === 'password_reset_mail_failed',
          );
          expect(logged?.[0]).toMatchObject({ userId: u.id });
        },
        { timeout: 20_000, interval: 100 },
      );
      expect((await t.api.get('/healthz')).status).toBe(200);
    } finally {
      error.mockRestore();
    }
  });
});
