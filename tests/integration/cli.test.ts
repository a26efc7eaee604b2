import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/main.js';
import { registerUser, type TestUser } from '../helpers/api.js';
import { testDbKind } from '../helpers/db.js';
import { cliEnv, PARLEY_BIN, runParley, type CliRun } from '../helpers/parley-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket } from '../helpers/socket.js';

// The `parley` command as a child process (bin/parley.js, as `npx parley` runs it) against this
// file's database while a server runs on it; what it did is checked through the server's REST
// API and sockets, on SQLite, PostgreSQL and MariaDB alike. Each command runs as a child process
// (exit code, stdin, stdout and stderr as an operator sees them), and so does each kind of
// refusal on SQLite; variations (a taken email after a taken username, each command's --help)
// and the refusals on the other databases run the same code in this process (`runCli`, what the
// program calls): a child process costs about a second of CPU, and CI time is short.

const kind = testDbKind();
const web = { 'x-parley-client': 'web' };
let t: TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  // Sockets of revoked sessions are dropped by the server's periodic check: make it quick.
  t = await startTestServer({ SESSION_CHECK_SECONDS: '1' });
  env = cliEnv(t.db);
});

afterAll(async () => {
  await t?.close();
});

const parley = (args: string[], input?: string, extra: Record<string, string> = {}) =>
  runParley(args, { ...env, ...extra }, { input });

/** The same command line run in this process, its output collected as the program prints it. */
async function inProcess(
  args: string[],
  input = '',
  extra: Record<string, string> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (line) => (stdout += line + '\n'),
    err: (line) => (stderr += line + '\n'),
    env: { ...env, ...extra },
    stdin: Readable.from([input]),
  });
  return { code, stdout, stderr };
}

/**
 * Refusals reach the operator the same way on every database (exit code 2, one line on
 * stderr): as child processes on SQLite, and as the same code in this process on the others.
 */
const refusal = (args: string[], input?: string) =>
  kind === 'sqlite' ? parley(args, input) : inProcess(args, input);

/** A refusal: exit code 2 and one line on stderr matching `message`, nothing on stdout. */
function expectRefusal(r: CliRun, message: RegExp): void {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
}

const login = (name: string, password: string) =>
  t.api.post('/api/auth/login', { login: name, password });

const tag = () => Math.random().toString(36).slice(2, 8);

describe('parley admin create', () => {
  it('creates an active server admin with a generated password, who signs in and acts as admin', async () => {
    const name = `op_${tag()}`;
    const r = await parley([
      'admin',
      'create',
      '--username',
      name,
      '--email',
      `${name}@example.test`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Created server admin "${name}"`));
    const password = /^Password: (\S+)$/m.exec(r.stdout)?.[1];
    expect(password).toBeTruthy();

    const res = await login(name, password!);
    expect(res.status).toBe(200);
    expect(res.body.user.isAdmin).toBe(true);
    // An admin's power, over the API: deactivate and reactivate someone.
    const other = await registerUser(t.api);
    expect(other.user.isAdmin).toBe(false);
    const off = await t.api.patch(
      `/api/admin/users/${other.id}`,
      { isActive: false },
      { token: res.body.accessToken },
    );
    expect(off.status).toBe(200);
    expect((await login(other.username, other.password)).status).toBe(403);

    // Whatever the registration mode: with sign-ups closed, the command still makes an admin.
    const admin = { token: res.body.accessToken as string };
    const mode = (m: string) => t.api.put('/api/admin/settings', { registrationMode: m }, admin);
    expect((await mode('closed')).status).toBe(200);
    try {
      const name2 = `op_${tag()}`;
      const signup = await t.api.post('/api/auth/register', {
        username: name2,
        email: `${name2}@example.test`,
        password: 'a fine long passphrase',
      });
      expect(signup.status).toBe(403);
      const second = await inProcess(
        [
          'admin',
          'create',
          '--username',
          name2,
          '--email',
          `${name2}@example.test`,
          '--password-stdin',
        ],
        'a fine long passphrase',
      );
      expect(second.code, second.stderr).toBe(0);
      const signedIn = await login(name2, 'a fine long passphrase');
      expect(signedIn.status).toBe(200);
      expect(signedIn.body.user.isAdmin).toBe(true);
    } finally {
      expect((await mode('open')).status).toBe(200);
    }
  });

  it('refuses a taken username or email and a weak password, with the sign-up rules', async () => {
    const taken = await registerUser(t.api);
    const fresh = `op_${tag()}`;
    const [sameName, sameEmail, common, short, badName] = await Promise.all([
      refusal([
        'admin',
        'create',
        '--username',
        taken.username.toUpperCase(),
        '--email',
        `${fresh}@example.test`,
      ]),
      inProcess(['admin', 'create', '--username', fresh, '--email', taken.email]),
      inProcess(
        [
          'admin',
          'create',
          '--username',
          fresh,
          '--email',
          `${fresh}@example.test`,
          '--password-stdin',
        ],
        'password1\n',
      ),
      inProcess(
        [
          'admin',
          'create',
          '--username',
          fresh,
          '--email',
          `${fresh}@example.test`,
          '--password-stdin',
        ],
        'abc',
      ),
      inProcess(['admin', 'create', '--username', 'a b', '--email', `${fresh}@example.test`]),
    ]);
    expectRefusal(sameName, /^parley admin create: That username is already taken$/m);
    expectRefusal(sameEmail, /That email is already taken/);
    expectRefusal(common, /password is too common/);
    expectRefusal(short, /password must be at least 8 characters/);
    expectRefusal(badName, /^parley admin create: username may contain only/m);
    // None of them made an account.
    expect((await login(fresh, 'a fine long passphrase')).status).toBe(401);
  });
});

describe('parley user', () => {
  let bob: TestUser;

  beforeAll(async () => {
    bob = await registerUser(t.api);
  });

  it('reset-password sets the password from stdin and revokes every session', async () => {
    const socket = await connectSocket(t.url, bob.token);
    const next = `new passphrase ${tag()}`;
    // Found by email, in any case.
    const r = await parley(
      ['user', 'reset-password', bob.email.toUpperCase(), '--password-stdin'],
      next + '\n',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`Password of "${bob.username}" \\(id ${bob.id}\\) reset; 1 session revoked`),
    );
    expect(r.stdout).not.toMatch(/^Password:/m); // given, not generated: never printed

    expect((await login(bob.username, bob.password)).status).toBe(401);
    const refresh = await t.api.post('/api/auth/refresh', undefined, {
      cookie: bob.cookie,
      headers: web,
    });
    expect(refresh.status).toBe(401);
    expect((await t.api.get('/api/users/me', { token: bob.token })).status).toBe(401);
    // The server's session check ends the open socket too (SESSION_CHECK_SECONDS=1 here).
    await socket.waitFor('session:expired', () => true, 15_000);
    socket.close();

    const signedIn = await login(bob.username, next);
    expect(signedIn.status).toBe(200);
    bob = { ...bob, password: next, token: signedIn.body.accessToken };
  });

  it('reset-password without --password-stdin prints a generated one', async () => {
    const r = await inProcess(['user', 'reset-password', bob.username]);
    expect(r.code, r.stderr).toBe(0);
    const password = /^Password: (\S+)$/m.exec(r.stdout)?.[1];
    expect(password).toBeTruthy();
    expect((await login(bob.username, bob.password)).status).toBe(401);
    const signedIn = await login(bob.username, password!);
    expect(signedIn.status).toBe(200);
    bob = { ...bob, password: password!, token: signedIn.body.accessToken };
  });

  it('disable refuses sign-in and revokes sessions; enable lets them back in', async () => {
    const second = await login(bob.username, bob.password);
    const cookie = second.headers.getSetCookie().find((c) => c.startsWith('parley_refresh='))!;
    const socket = await connectSocket(t.url, bob.token);

    const off = await parley(['user', 'disable', bob.username]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/^Disabled ".*" \(id \d+\): sign-in refused; 2 sessions revoked\./m);
    const refused = await login(bob.username, bob.password);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_disabled');
    const refresh = await t.api.post('/api/auth/refresh', undefined, {
      cookie: cookie.split(';')[0]!,
      headers: web,
    });
    expect(refresh.status).toBe(401);
    expect((await t.api.get('/api/users/me', { token: bob.token })).status).toBe(401);
    await socket.waitFor('session:expired', () => true, 15_000);
    socket.close();
    // As the admin API shows it.
    const again = await inProcess(['user', 'disable', bob.username]);
    expect(again.stdout).toMatch(/\(it already was\)/);

    const on = await parley(['user', 'enable', bob.username.toUpperCase()]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^Enabled ".*" \(id \d+\): they can sign in again\.$/m);
    expect((await login(bob.username, bob.password)).status).toBe(200);
  });

  it('refuses an unknown user, a missing or unexpected argument and an unknown option', async () => {
    const [unknown, unknownReset, missing, extra, option, noEmail] = await Promise.all([
      refusal(['user', 'disable', 'nobody_here']),
      inProcess(['user', 'reset-password', 'nobody@example.test']),
      refusal(['user', 'enable']),
      inProcess(['user', 'enable', bob.username, 'more']),
      inProcess(['user', 'disable', bob.username, '--bogus']),
      inProcess(['admin', 'create', '--username', 'someone']),
    ]);
    expectRefusal(unknown, /^parley user disable: no user "nobody_here"/);
    expectRefusal(unknownReset, /no user "nobody@example\.test"/);
    expectRefusal(missing, /^parley user enable: missing <username\|email>/);
    expectRefusal(extra, /unexpected argument "more"/);
    expectRefusal(option, /unknown option '--bogus'/);
    expectRefusal(noEmail, /^parley admin create: missing --email/);
    // Nothing was changed on the way: bob still signs in.
    expect((await login(bob.username, bob.password)).status).toBe(200);
  });
});

describe('parley errors and help', () => {
  it('refuses a DATABASE_URL it cannot use, naming it', async () => {
    // This server, a database it does not have; on SQLite, a PostgreSQL that is not there.
    const url = new URL(t.db.url ?? 'postgres://127.0.0.1:1/parley');
    if (t.db.url) url.pathname = '/parley_no_such_db';
    const missing = url.toString();
    const [bad, unreachable] = await Promise.all([
      inProcess(['user', 'disable', 'someone'], '', { DATABASE_URL: 'sqlite:///tmp/x.db' }),
      parley(['user', 'disable', 'someone'], undefined, { DATABASE_URL: missing }),
    ]);
    expectRefusal(bad, /DATABASE_URL must start with postgres:\/\//);
    expectRefusal(unreachable, /^parley user disable: cannot reach the database at /);
    if (kind === 'postgres') expect(unreachable.stderr).toMatch(/does not exist/);
    if (kind === 'mysql') expect(unreachable.stderr).toMatch(/Unknown database/);
    if (kind === 'sqlite') expect(unreachable.stderr).toMatch(/ECONNREFUSED/);
  });

  if (kind === 'sqlite') {
    it('lists the commands, explains each, and refuses an unknown one', async () => {
      const commands = [
        ['admin', 'create'],
        ['user', 'reset-password'],
        ['user', 'disable'],
        ['user', 'enable'],
        ['backup'],
        ['restore'],
      ];
      const [list, unknown, group, ...helps] = await Promise.all([
        parley(['--help']),
        parley(['frobnicate', '--now']),
        inProcess(['user']),
        ...commands.map((c) => inProcess([...c, '--help'])),
      ]);
      expect(list.code).toBe(0);
      // What `npx parley` runs: package.json's bin names the program these tests run.
      const root = path.resolve(path.dirname(PARLEY_BIN), '..');
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
      expect(path.resolve(root, pkg.bin.parley)).toBe(PARLEY_BIN);
      for (const c of commands) expect(list.stdout).toContain(`parley ${c.join(' ')} `);
      expectRefusal(unknown, /^parley: unknown command "frobnicate"/);
      expectRefusal(group, /^parley user: which one\? .*reset-password.*disable.*enable/);
      helps.forEach((h, i) => {
        expect(h.code, h.stderr).toBe(0);
        expect(h.stdout).toMatch(new RegExp(`^Usage: parley ${commands[i]!.join(' ')}`));
      });
    });
  } else {
    it('refuses backup and restore, naming the tool for this database', async () => {
      const tool = kind === 'postgres' ? /pg_dump/ : /mariadb-dump/;
      const [backup, restore] = await Promise.all([
        inProcess(['backup', '/tmp/parley-never-written.db']),
        inProcess(['restore', '/tmp/parley-never-read.db']),
      ]);
      expectRefusal(backup, tool);
      expectRefusal(restore, kind === 'postgres' ? /pg_restore/ : /mariadb client/);
    });
  }
});
