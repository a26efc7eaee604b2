import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-smtp-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const load = (env: Record<string, string>) =>
  loadConfig({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), ...env });

function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

const FROM = { MAIL_FROM: 'chat@example.com' };

describe('SMTP_URL and MAIL_FROM', () => {
  it('are optional: no mail without SMTP_URL', () => {
    expect(load({}).smtp).toBeNull();
    expect(load({ SMTP_URL: '', MAIL_FROM: 'ignored@example.com' }).smtp).toBeNull();
  });

  it('read host, port, TLS mode and percent-encoded credentials', () => {
    expect(
      load({
        SMTP_URL: 'smtp://me%40example.com:p%3Ass%2Fw%20rd@mail.example.com:2525',
        MAIL_FROM: '"Parley Chat" <chat@example.com>',
      }).smtp,
    ).toEqual({
      host: 'mail.example.com',
      port: 2525,
      secure: false,
      user: 'me@example.com',
      pass: 'p:ss/w rd',
      from: { name: 'Parley Chat', address: 'chat@example.com' },
    });
    expect(load({ SMTP_URL: 'smtps://relay.internal', ...FROM }).smtp).toMatchObject({
      host: 'relay.internal',
      port: 465,
      secure: true,
      user: null,
      pass: null,
      from: { name: '', address: 'chat@example.com' },
    });
    expect(load({ SMTP_URL: 'smtp://[::1]/', ...FROM }).smtp).toMatchObject({
      host: '::1',
      port: 587,
    });
  });

  it('refuse malformed values with one line naming the variable, never echoing a password', () => {
    for (const url of [
      'mail.example.com',
      'http://mail.example.com',
      'smtp://',
      'smtp://mail.example.com:99999',
      'smtp://mail.example.com/inbox',
      'smtp://mail.example.com?secure=true',
      'smtp://user-only@mail.example.com',
      'smtp://user:p%ZZ@mail.example.com',
    ]) {
      const message = refusal({ SMTP_URL: url, ...FROM });
      expect(message, url).toMatch(/^Invalid configuration: SMTP_URL /);
      expect(message).not.toContain('p%ZZ');
      expect(message).not.toContain('\n');
    }
    expect(refusal({ SMTP_URL: 'smtp://mail.example.com' })).toMatch(/MAIL_FROM is required/);
    for (const from of ['chat', 'Parley <chat>', 'a@b, c@d', 'Parley <a@b', 'x@y\r\nBcc: z@w']) {
      expect(refusal({ SMTP_URL: 'smtp://mail.example.com', MAIL_FROM: from }), from).toMatch(
        /^Invalid configuration: MAIL_FROM /,
      );
    }
  });
});
