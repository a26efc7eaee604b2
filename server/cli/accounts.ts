import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { CliCommand, CliIo } from './command.js';
import { parseOptions, UsageError } from './command.js';

// The database, drivers and use cases are imported inside `run`, so that `parley --help`, which
// loads every command for its summary, stays fast.

const CONFIG_NOTE = `Configuration: the server's own (DATA_DIR, DATABASE_URL, … from the environment or a
.env file in the working directory); run it where you run the server, as the same user.`;

const PASSWORD_RULES = `Passwords follow the sign-up rules: 8 to 128 characters, and not one of the 10,000 most
common leaked passwords.`;

/** How a revoked session's live connections end, for the messages and help texts. */
function sessionNote(checkSeconds: number | null): string {
  const within = checkSeconds === null ? 'SESSION_CHECK_SECONDS' : `${checkSeconds} s`;
  return (
    `Requests with those sessions' tokens are refused at once; their open connections are ` +
    `closed at the server's next session check (within ${within}).`
  );
}

const SESSION_HELP = `Every session of the user is revoked: REST calls with its tokens fail at once, and the
server, which re-checks the sessions of its open sockets every SESSION_CHECK_SECONDS (30 by
default, and on socket activity every 10 s at most), disconnects them within that time.`;

/** The password from stdin (to its end, or its first line on a terminal), or a generated one. */
async function passwordFrom(
  io: CliIo,
  fromStdin: boolean,
): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(15).toString('base64url'), generated: true };
  const input = io.stdin ?? process.stdin;
  let text: string;
  if (input.isTTY) {
    const rl = createInterface({ input, output: process.stderr });
    text = await new Promise<string>((resolve) =>
      rl.question('New password (shown as typed): ', resolve),
    );
    rl.close();
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    text = Buffer.concat(chunks).toString('utf8');
  }
  // One final line break is the one `echo` or a here-string adds, not part of the password.
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin read an empty password');
  return { password, generated: false };
}

function printPassword(io: CliIo, p: { password: string; generated: boolean }): void {
  if (!p.generated) return;
  io.out(`Password: ${p.password}`);
  io.out('(generated; shown only now: hand it over safely, and have it changed after sign-in)');
}

export const adminCreateCommand: CliCommand = {
  words: ['admin', 'create'],
  summary: 'create an active server admin',
  help: `Usage: parley admin create --username NAME --email EMAIL [--password-stdin] [--display-name TEXT]

Creates an active server admin, whatever the registration settings. Without
--password-stdin a password is generated and printed once.

Options:
  --username NAME      3 to 32 letters, digits, "_", "." or "-"; unique, ignoring case
  --email EMAIL        unique, ignoring case
  --password-stdin     read the password from standard input (a final line break is dropped)
  --display-name TEXT  defaults to the username

${PASSWORD_RULES}

Works before the first start too: on SQLite it creates the database in DATA_DIR.
${CONFIG_NOTE}

Examples:
  parley admin create --username alice --email alice@example.com
  printf '%s' "$PASSWORD" | parley admin create --username alice --email alice@example.com --password-stdin`,
  async run(args, io) {
    const { values } = parseOptions(
      args,
      {
        username: { type: 'string' },
        email: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'display-name': { type: 'string' },
      },
      [],
    );
    if (values.username === undefined) throw new UsageError('missing --username (see --help)');
    if (values.email === undefined) throw new UsageError('missing --email (see --help)');
    const { RegisterInput } = await import('../../protocol/schemas/auth.js');
    const secret = await passwordFrom(io, values['password-stdin'] === true);
    const parsed = RegisterInput.safeParse({
      username: values.username,
      email: values.email,
      password: secret.password,
      ...(values['display-name'] !== undefined && { displayName: values['display-name'] }),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${issue.path.join('.') || 'input'} ${issue.message}`);
    }
    const { withCli } = await import('./context.js');
    const { createAccount } = await import('../features/auth/create-account.js');
    return withCli(io, { create: true }, async ({ deps }) => {
      const id = await createAccount(deps, parsed.data, { isAdmin: true });
      io.out(`Created server admin "${parsed.data.username}" <${parsed.data.email}> (id ${id}).`);
      printPassword(io, secret);
      return 0;
    });
  },
};

export const resetPasswordCommand: CliCommand = {
  words: ['user', 'reset-password'],
  summary: 'set a new password and sign the user out everywhere',
  help: `Usage: parley user reset-password <username|email> [--password-stdin]

Sets a new password for a user (for someone locked out, or an account at risk). Without
--password-stdin a password is generated and printed once.

${SESSION_HELP}

${PASSWORD_RULES}
${CONFIG_NOTE}

Examples:
  parley user reset-password alice
  printf '%s' "$PASSWORD" | parley user reset-password alice@example.com --password-stdin`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { 'password-stdin': { type: 'boolean' } }, [
      '<username|email>',
    ]);
    const secret = await passwordFrom(io, values['password-stdin'] === true);
    const { withCli, findUser } = await import('./context.js');
    const { resetPassword } = await import('../features/admin/reset-password.js');
    return withCli(io, {}, async ({ deps, config }) => {
      const user = await findUser(deps, positionals[0]!);
      const { data } = await resetPassword(deps, user.id, secret.password);
      io.out(
        `Password of "${user.username}" (id ${user.id}) reset; ${plural(data.sessionsRevoked, 'session')} revoked.`,
      );
      printPassword(io, secret);
      if (data.sessionsRevoked) io.out(sessionNote(config.socket.sessionCheckSeconds));
      return 0;
    });
  },
};

const DISABLE_HELP = `Deactivates a user, as PATCH /api/admin/users/:id {"isActive": false} does: sign-in is
refused and every session of the user is revoked. REST calls with its tokens fail at once; the
server re-checks the sessions of its open sockets every SESSION_CHECK_SECONDS (30 by default,
and on socket activity every 10 s at most) and disconnects them within that time. The account
and its messages stay; undo with parley user enable.`;

const ENABLE_HELP = `Activates a user again, as PATCH /api/admin/users/:id {"isActive": true} does: they can
sign in with their password (their old sessions stay ended).`;

function statusCommand(active: boolean): CliCommand {
  const verb = active ? 'enable' : 'disable';
  return {
    words: ['user', verb],
    summary: active
      ? 'let a disabled user sign in again'
      : 'stop a user from signing in and end their sessions',
    help: `Usage: parley user ${verb} <username|email>

${active ? ENABLE_HELP : DISABLE_HELP}
${CONFIG_NOTE}

Example:
  parley user ${verb} alice`,
    async run(args, io) {
      const { positionals } = parseOptions(args, {}, ['<username|email>']);
      const { withCli, findUser } = await import('./context.js');
      const { setUserStatus } = await import('../features/admin/update-user.js');
      return withCli(io, {}, async ({ deps, config }) => {
        const user = await findUser(deps, positionals[0]!);
        const already = (user.is_active === 1) === active ? ' (it already was)' : '';
        const { sessionsRevoked } = await setUserStatus(deps, user.id, { isActive: active }, null);
        if (active) {
          io.out(`Enabled "${user.username}" (id ${user.id})${already}: they can sign in again.`);
        } else {
          io.out(
            `Disabled "${user.username}" (id ${user.id})${already}: sign-in refused; ${plural(sessionsRevoked, 'session')} revoked.`,
          );
          if (sessionsRevoked) io.out(sessionNote(config.socket.sessionCheckSeconds));
        }
        return 0;
      });
    },
  };
}

export const disableCommand = statusCommand(false);
export const enableCommand = statusCommand(true);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
