/**
 * The benchmark suite: `npm run bench -- <scenario> [--option value …]`.
 * Scenarios: dm, fanout, connections, history, reactions, search, sync, uploads, lighthouse, move-db; `profile <file.cpuprofile>`
 * summarizes a V8 CPU profile. Results go to bench/results/<scenario>.json and .svg; see bench/RESULTS.md.
 */
import { summarizeProfile, profileText } from './lib/profile.js';
import { makeContext, type Options } from './lib/report.js';
import { runConnections } from './scenarios/connections.js';
import { runDm } from './scenarios/dm.js';
import { runFanout } from './scenarios/fanout.js';
import { runHistory } from './scenarios/history.js';
import { runLighthouse } from './scenarios/lighthouse.js';
import { runMoveDb } from './scenarios/move-db.js';
import { runReactions } from './scenarios/reactions.js';
import { runSearch } from './scenarios/search.js';
import { runSync } from './scenarios/sync.js';
import { runUploads } from './scenarios/uploads.js';
import { writeResultsMd } from './lib/results-md.js';

/**
 * Every scenario with its baseline, sized to finish in about a quarter of an hour on two cores,
 * then bench/RESULTS.md. Options given to `all` apply to every scenario.
 */
async function runAll(rest: string[], opts: Options): Promise<void> {
  const started = Date.now();
  const command = `npm run bench -- all${rest.length ? ' ' + rest.join(' ') : ''}`;
  const plan: Array<[string, Options, (ctx: ReturnType<typeof makeContext>) => Promise<void>]> = [
    [
      'dm',
      { rates: '1000,2500,5000,7500,10000,12500,15000,17500,20000,25000', measure: '4' },
      runDm,
    ],
    ['sync', { rates: '2500,5000,7500,10000,12500,15000,17500', measure: '3' }, runSync],
    ['fanout', { measure: '4' }, runFanout],
    ['connections', { count: '20000' }, runConnections],
    ['history', {}, runHistory],
    ['reactions', {}, runReactions],
    ['search', {}, runSearch],
    ['uploads', {}, runUploads],
  ];
  for (const [scenario, defaults, run] of plan) {
    const o: Options = { 'max-wait': '60', ...defaults, ...opts };
    const ctx = makeContext(scenario, o, [
      scenario,
      ...Object.entries(o).map(([k, v]) => (v === true ? `--${k}` : `--${k} ${String(v)}`)),
    ]);
    ctx.command = command;
    ctx.log(`== ${scenario} (${Math.round((Date.now() - started) / 1000)} s into the run)`);
    await run(ctx);
  }
  const file = await writeResultsMd(command);
  process.stdout.write(`wrote ${file} after ${Math.round((Date.now() - started) / 1000)} s\n`);
}

const USAGE = `usage: npm run bench -- <scenario> [options]

scenarios
  all          every scenario below with its baseline, then bench/RESULTS.md (about 15 minutes)
  results      rewrite bench/RESULTS.md from bench/results/*.json
  dm           direct conversations, a ramp of send rates (Parley and the bare relay)
  fanout       one group of --members (1000) all online, --senders posting into it
  connections  --count (5000; the issue's size is 20000, capped by the open-file limit) idle sockets,
               then a reconnect storm
  history      pages of a 1,000,000-message database while dm runs at half load
  reactions    reaction changes on one message of a --members (1000) group at --rates, messages flowing
  search       GET /api/search on a --messages (1,000,000) corpus, --dbs sqlite,postgres
  sync         dm with SQLITE_SYNCHRONOUS=FULL and NORMAL, and fsyncs per message (strace)
  uploads      --count (10) concurrent --mb (16) MiB uploads to local disk and to S3 (s3rver),
               against cp and a raw PUT of the same bytes; the server's RSS growth
  move-db      parley move-db from a --messages (1,000,000) SQLite corpus to a fresh database of
               each of --dbs (postgres; postgres,mysql): wall time and peak RSS; not part of \`all\`
  lighthouse   Lighthouse 12 (mobile: performance, accessibility) on the sign-in page and a
               signed-in chat in Debian's Chromium, and the JavaScript each loads; --web DIR
               (dist/web), --runs N per page (3, the median counts), --load L (wait for a load
               average ≤ 2); not part of \`all\`
  profile <f>  summarize a .cpuprofile (self time per function and package)

common options
  --only parley|baseline   one system only         --no-baseline   Parley only
  --warm S --measure S     seconds per ramp step (1, 5)     --drain S   wait for stragglers (10)
  --rates a,b,c            offered rates (messages/s)       --workers N generator processes
  --p99 MS                 latency limit for "sustained" (200)
  --no-wait                do not wait for the machine's load average to drop below 1.0
  --max-wait S             wait at most S seconds for it (600; 60 under all)
  --cpu-prof               (dm) profile the Parley server and summarize it
  --search-off             (dm) run Parley with SEARCH_ENABLED=false (the price of indexing)
`;

function parse(argv: string[]): { scenario: string; rest: string[]; opts: Options } {
  const [scenario = '', ...rest] = argv;
  const opts: Options = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      opts[key] = next;
      i++;
    } else opts[key] = true;
  }
  return { scenario, rest, opts };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { scenario, rest, opts } = parse(argv);
  const ctx = makeContext(scenario, opts, argv);
  switch (scenario) {
    case 'dm':
      return runDm(ctx);
    case 'fanout':
      return runFanout(ctx);
    case 'connections':
      return runConnections(ctx);
    case 'history':
      return runHistory(ctx);
    case 'reactions':
      return runReactions(ctx);
    case 'search':
      return runSearch(ctx);
    case 'sync':
      return runSync(ctx);
    case 'uploads':
      return runUploads(ctx);
    case 'lighthouse':
      return runLighthouse(ctx);
    case 'move-db':
      return runMoveDb(ctx);
    case 'all':
      return runAll(argv.slice(1), opts);
    case 'results': {
      const file = await writeResultsMd(ctx.str('command', 'npm run bench -- all'));
      ctx.log(`wrote ${file}`);
      return;
    }
    case 'profile': {
      const file = rest[0];
      if (!file) throw new Error('profile needs a .cpuprofile file');
      process.stdout.write(profileText(summarizeProfile(file, 40)));
      return;
    }
    default:
      process.stdout.write(USAGE);
      process.exitCode = scenario === '' || scenario === 'help' ? 0 : 2;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
