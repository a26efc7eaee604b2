import { parseArgs } from 'node:util';

/** Where a command writes: stdout for results, stderr for errors and progress. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The environment the command reads its configuration from (DATA_DIR, DATABASE_URL…). */
  env: NodeJS.ProcessEnv;
  /** Where `--password-stdin` reads from (process.stdin when not given). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** One `parley` subcommand: its words (e.g. ['user', 'disable']), help text and body. */
export interface CliCommand {
  /** The words that select it, e.g. ['backup'] or ['user', 'reset-password']. */
  words: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text: usage, arguments, options, examples. */
  help: string;
  /** Runs with the arguments after its words; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A mistake of the operator's (bad argument, wrong URL…): printed as it is, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * Parses a command's arguments (node's parseArgs, strict): an unknown option, a missing value
 * or a wrong number of positional arguments is a UsageError naming it.
 */
export function parseOptions<O extends OptionSpec>(
  args: readonly string[],
  options: O,
  positionals: readonly string[],
): {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
} {
  let parsed: { values: unknown; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs explains itself in a sentence with advice about "--"; keep the first clause.
    const message = (err instanceof Error ? err.message : String(err)).split('. ')[0]!;
    throw new UsageError(message.replace(/^Unknown option/, 'unknown option'));
  }
  const given = parsed.positionals;
  if (given.length < positionals.length) {
    throw new UsageError(`missing ${positionals[given.length]} (see --help)`);
  }
  if (given.length > positionals.length) {
    throw new UsageError(`unexpected argument "${given[positionals.length]}" (see --help)`);
  }
  return { values: parsed.values as never, positionals: given };
}
