import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { CliCommand, CliIo } from './command.js';
import { UsageError } from './command.js';

/**
 * The `parley` command. Each subcommand lives in a module of its own, loaded only when it is
 * the one asked for, so `parley --help` starts fast.
 */
const COMMANDS: ReadonlyArray<{ words: readonly string[]; load: () => Promise<CliCommand> }> = [
  // Subcommands are added here: { words: ['backup'], load: async () => (await import('./backup.js')).backupCommand },
  {
    words: ['admin', 'create'],
    load: async () => (await import('./accounts.js')).adminCreateCommand,
  },
  {
    words: ['user', 'reset-password'],
    load: async () => (await import('./accounts.js')).resetPasswordCommand,
  },
  { words: ['user', 'disable'], load: async () => (await import('./accounts.js')).disableCommand },
  { words: ['user', 'enable'], load: async () => (await import('./accounts.js')).enableCommand },
  { words: ['backup'], load: async () => (await import('./backup.js')).backupCommand },
  { words: ['restore'], load: async () => (await import('./restore.js')).restoreCommand },
  { words: ['move-db'], load: async () => (await import('./move-db.js')).moveDbCommand },
];

const USAGE = 'Usage: parley <command> [options]   (parley <command> --help for one command)';

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/** The command list, one line each, of all commands or of those under a first word. */
async function commandList(prefix: readonly string[] = []): Promise<string[]> {
  const chosen = COMMANDS.filter((c) => prefix.every((w, i) => c.words[i] === w));
  const list = await Promise.all(chosen.map((c) => c.load()));
  return list.map((c) => `  parley ${c.words.join(' ').padEnd(24)} ${c.summary}`);
}

/** Runs one `parley` command line; resolves to the exit code (0 done, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const match = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort(
    (a, b) => b.words.length - a.words.length,
  )[0];
  if (!match) {
    if (argv.length === 0 || isHelp(argv[0])) {
      io.out([USAGE, '', 'Commands:', ...(await commandList())].join('\n'));
      return 0;
    }
    // A first word that starts commands (`parley user`): list those.
    const group = COMMANDS.some((c) => c.words.length > 1 && c.words[0] === argv[0]);
    if (group && (argv.length === 1 || isHelp(argv[1]))) {
      const lines = [
        `Usage: parley ${argv[0]} <command> [options]`,
        '',
        ...(await commandList([argv[0]!])),
      ];
      if (argv.length > 1) {
        io.out(lines.join('\n'));
        return 0;
      }
      io.err(
        `parley ${argv[0]}: which one? ` +
          lines
            .slice(2)
            .map((l) => l.trim().split(/\s{2,}/)[0])
            .join(', '),
      );
      return 2;
    }
    const wanted = argv
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    io.err(`parley: unknown command "${wanted || argv[0]}" (parley --help lists the commands)`);
    return 2;
  }
  const command = await match.load();
  const args = argv.slice(match.words.length);
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`parley ${command.words.join(' ')}: ${err.message}`);
      return err.exitCode;
    }
    io.err(
      `parley ${command.words.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
}

/**
 * `parley` as a program (bin/parley.js, or `node dist/server/cli/main.js`): reads an optional
 * .env in the working directory as the server does (variables already set win), runs the
 * command line and exits with its code.
 */
export async function runProgram(argv: readonly string[]): Promise<never> {
  let code: number;
  try {
    if (existsSync('.env')) process.loadEnvFile('.env');
    code = await runCli(argv, {
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
      env: process.env,
      stdin: process.stdin,
    });
  } catch (err) {
    process.stderr.write(`parley: ${err instanceof Error ? err.stack : String(err)}\n`);
    code = 1;
  }
  // Let what was written reach a pipe before exiting (process.exit does not wait for it).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

// Run as a program (not when imported by bin/parley.js or a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runProgram(process.argv.slice(2));
}
