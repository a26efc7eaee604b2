import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { BENCH_DIR } from './servers.js';
import { RESULTS_DIR } from './report.js';

const read = (name: string): any => {
  const file = path.join(RESULTS_DIR, `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};

const fmt = (n: unknown, digits = 0): string =>
  typeof n === 'number' && Number.isFinite(n)
    ? n.toLocaleString('en', { maximumFractionDigits: digits })
    : 'n/a';

interface Row {
  scenario: string;
  target: string;
  measured: string;
  met: boolean | null;
}

const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**missed**');

function stepAt(steps: any[] | undefined, rate: number): any {
  return steps?.find((s) => s.rate === rate);
}

function dmRows(dm: any, sync: any): Row[] {
  const rows: Row[] = [];
  if (!dm) return rows;
  const p = dm.results?.parley;
  const b = dm.results?.baseline;
  const ratio = p && b?.sustained ? p.sustained / b.sustained : null;
  rows.push({
    scenario: 'dm',
    target: '≥ 10,000 msg/s sustained (p99 < 200 ms, no loss), each message durable before its ack',
    measured: `${fmt(p?.sustained)} msg/s (bare relay ${fmt(b?.sustained)} msg/s)`,
    met: p ? p.sustained >= 10_000 : null,
  });
  rows.push({
    scenario: 'dm',
    target: '≥ 0.5 × the bare relay’s sustained rate',
    measured: ratio === null ? 'n/a' : `${fmt(ratio, 2)} ×`,
    met: ratio === null ? null : ratio >= 0.5,
  });
  const at5k = stepAt(p?.steps, 5000);
  rows.push({
    scenario: 'dm',
    target: 'p50 ≤ 5 ms, p99 ≤ 25 ms at 5,000 msg/s (send → recipient)',
    measured: at5k
      ? `p50 ${fmt(at5k.recipient.p50, 2)} ms, p99 ${fmt(at5k.recipient.p99, 2)} ms (ack p50 ${fmt(at5k.ack.p50, 2)}, p99 ${fmt(at5k.ack.p99, 2)})`
      : 'n/a',
    met: at5k ? at5k.recipient.p50 <= 5 && at5k.recipient.p99 <= 25 : null,
  });
  if (sync) {
    const full = sync.ramps?.FULL?.sustained;
    const normal = sync.ramps?.NORMAL?.sustained;
    rows.push({
      scenario: 'durability',
      target: 'sustained rate with synchronous=FULL ≥ 0.9 × with NORMAL',
      measured: `FULL ${fmt(full)} msg/s, NORMAL ${fmt(normal)} msg/s = ${fmt(sync.fullOverNormal, 2)} ×`,
      met: typeof sync.fullOverNormal === 'number' ? sync.fullOverNormal >= 0.9 : null,
    });
    const w = sync.fsyncWindows?.FULL;
    rows.push({
      scenario: 'durability',
      target: '≤ 0.1 fsync per message at 5,000 msg/s (FULL)',
      measured: w
        ? `${fmt(w.perMessage, 3)} per message (${fmt(w.fsync)} fsync + ${fmt(w.fdatasync)} fdatasync, counted with strace)`
        : 'n/a (strace missing)',
      met: w ? w.perMessage <= 0.1 : null,
    });
  }
  return rows;
}

function fanoutRows(f: any): Row[] {
  if (!f) return [];
  const p = f.results?.parley;
  const b = f.results?.baseline;
  const ratio = p && b?.sustained ? p.sustained / b.sustained : null;
  const best = p?.steps?.filter((s: any) => s.pass && s.rate <= p.sustained).at(-1);
  return [
    {
      scenario: 'fanout',
      target: '≥ 100,000 deliveries/s with send → last recipient p99 ≤ 100 ms',
      measured: `${fmt(p?.sustainedDeliveriesPerSec)} deliveries/s${best ? ` (last-recipient p99 ${fmt(best.lastRecipient?.p99, 1)} ms)` : ''}`,
      met: p ? p.sustainedDeliveriesPerSec >= 100_000 : null,
    },
    {
      scenario: 'fanout',
      target: '≥ 0.85 × the bare broadcast',
      measured:
        ratio === null
          ? 'n/a'
          : `${fmt(ratio, 2)} × (bare: ${fmt(b.sustainedDeliveriesPerSec)} deliveries/s)`,
      met: ratio === null ? null : ratio >= 0.85,
    },
  ];
}

function connectionRows(c: any): Row[] {
  if (!c) return [];
  const p = c.results?.parley;
  const b = c.results?.baseline;
  const ratio = c.parleyOverBaselineBytesPerConnection;
  return [
    {
      scenario: 'connections',
      target: '≥ 50,000 idle authenticated connections per GiB of server RSS',
      measured: `${fmt(p?.connectionsPerGiB)} per GiB (${fmt(p?.bytesPerConnection)} bytes each, ${fmt(p?.connected)} connected; the open-file limit is ${fmt(p?.fdLimit)})`,
      met: p ? p.connectionsPerGiB >= 50_000 : null,
    },
    {
      scenario: 'connections',
      target: '≤ 1.3 × the bare server’s bytes per connection',
      measured:
        typeof ratio === 'number'
          ? `${fmt(ratio, 2)} × (bare: ${fmt(b?.bytesPerConnection)} bytes)`
          : 'n/a',
      met: typeof ratio === 'number' ? ratio <= 1.3 : null,
    },
    {
      scenario: 'connections',
      target: 'all reconnect within 20 s of a storm, nothing lost',
      measured: p
        ? `${fmt(p.storm.allBackSeconds, 1)} s (bare: ${fmt(b?.storm?.allBackSeconds, 1)} s); ${fmt(p.storm.chatter?.acked)} messages sent during it, ${fmt(p.storm.chatter?.lost ?? 0)} lost`
        : 'n/a',
      met: p ? p.storm.allBackSeconds <= 20 && !(p.storm.chatter?.lost > 0) : null,
    },
  ];
}

function historyRows(h: any): Row[] {
  const pages = h?.results?.parley?.pages;
  if (!pages) return [];
  const p99 = (k: string) => pages[k]?.serverP99UpToMs;
  const worst = Math.max(...['newest', 'middle', 'oldest'].map((k) => p99(k) ?? Infinity));
  const ratio = p99('oldest') / p99('newest');
  return [
    {
      scenario: 'history',
      target: 'server-side page p99 ≤ 2 ms (newest, middle, oldest page)',
      measured: ['newest', 'middle', 'oldest'].map((k) => `${k} ≤ ${fmt(p99(k), 2)} ms`).join(', '),
      met: Number.isFinite(worst) ? worst <= 2 : null,
    },
    {
      scenario: 'history',
      target: 'oldest page p99 ≤ 1.5 × the newest',
      measured: Number.isFinite(ratio) ? `${fmt(ratio, 2)} ×` : 'n/a',
      met: Number.isFinite(ratio) ? ratio <= 1.5 : null,
    },
    ...changesRow(p99),
  ];
}

/** The change stream's page (changes?since=), from the same history run. */
function changesRow(p99: (k: string) => number | undefined): Row[] {
  const kinds = ['changes newest', 'changes middle', 'changes oldest'];
  if (kinds.every((k) => p99(k) === undefined)) return [];
  const worst = Math.max(...kinds.map((k) => p99(k) ?? Infinity));
  return [
    {
      scenario: 'history',
      target: 'server-side changes?since= page p99 ≤ 2 ms (100 changes; newest, middle, oldest)',
      measured: kinds.map((k) => `${k.slice(8)} ≤ ${fmt(p99(k), 2)} ms`).join(', '),
      met: Number.isFinite(worst) ? worst <= 2 : null,
    },
  ];
}

function reactionRows(r: any): Row[] {
  const steps: any[] = r?.steps ?? [];
  const at500 = steps.find((s) => s.rate === 500) ?? steps.at(-1);
  if (!at500) return [];
  return [
    {
      scenario: 'reactions',
      target: `reaction ack p99 and deliveries/s at ${at500.rate} reactions/s on one message of a ${r.members}-member group`,
      measured: `ack p50 ${fmt(at500.ack.p50, 1)} ms, p99 ${fmt(at500.ack.p99, 1)} ms; ${at500.updatesPerSec.toLocaleString('en')} message:updated deliveries/s; messages meanwhile p99 ${fmt(at500.messageDelivery.p99, 1)} ms`,
      met: null,
    },
  ];
}

/** Search (bench/scenarios/search.ts): client-observed p50/p99 per query and database. */
function searchRows(sr: any): Row[] {
  const dbs: Array<[string, any]> = Object.entries(sr?.results ?? {});
  return dbs.map(([kind, r]) => {
    const qs: Array<[string, any]> = Object.entries(r.queries ?? {});
    const worst = Math.max(...qs.map(([, q]) => q.client?.p99 ?? Infinity));
    return {
      scenario: 'search',
      target: `${kind}: GET /api/search p99 ≤ 50 ms on ${fmt(r.messages)} messages (page of 20)`,
      measured: qs
        .map(
          ([label, q]) =>
            `${label} "${q.q}" p50 ${fmt(q.client.p50, 1)} / p99 ${fmt(q.client.p99, 1)} ms`,
        )
        .join('; '),
      met: Number.isFinite(worst) ? worst <= 50 : null,
    };
  });
}

/** Uploads (bench/scenarios/uploads.ts): throughput against a raw copy, and memory. */
function uploadRows(u: any): Row[] {
  const stores: Array<[string, any]> = Object.entries(u?.results ?? {});
  return stores.flatMap(([store, r]): Row[] => [
    {
      scenario: 'uploads',
      target: `${store === 's3' ? 'S3 (s3rver)' : 'local disk'}: ${u.count} concurrent ${u.mb} MiB uploads, MiB/s against ${store === 's3' ? 'a raw PUT' : '`cp`'} of the same bytes`,
      measured: `${fmt(r.parley.mbPerSec, 1)} MiB/s against ${fmt(r.raw.mbPerSec, 1)} MiB/s (${fmt(r.ratio, 2)} ×)`,
      met: null,
    },
    {
      scenario: 'uploads',
      target: `${store === 's3' ? 'S3' : 'local disk'}: server RSS growth while streaming < 64 MiB`,
      measured: `+${fmt(r.parley.rssGrowthMiB)} MiB (${fmt(r.parley.rssBeforeMiB)} → ${fmt(r.parley.rssPeakMiB)} MiB)`,
      met: r.parley.rssGrowthMiB < 64,
    },
  ]);
}

const kb = (bytes: number) => `${fmt(bytes / 1000, 1)} kB`;

/** Lighthouse (bench/scenarios/lighthouse.ts): scores and first-load JavaScript per page. */
function lighthouseRows(lh: any): Row[] {
  const pages: Array<[string, any]> = [
    ['sign-in page', lh?.pages?.signIn],
    ['signed-in chat', lh?.pages?.chat],
  ];
  const t = lh?.targets ?? { performance: 95, accessibility: 100, firstLoadJsKB: 100 };
  return pages.flatMap(([name, page]): Row[] => {
    const m = page?.median;
    if (!m) return [];
    const runs = page.runs?.length ?? 1;
    const all = (key: 'performance' | 'accessibility') =>
      runs > 1 ? ` (runs: ${page.runs.map((r: any) => r[key]).join(', ')})` : '';
    const x = m.metrics ?? {};
    return [
      {
        scenario: 'lighthouse',
        target: `${name}: Lighthouse ${lh.lighthouse?.split('.')[0] ?? ''} mobile performance ≥ ${t.performance}`,
        measured: `${m.performance}, median of ${runs}${all('performance')}; FCP ${fmt(x.firstContentfulPaintMs)} ms, LCP ${fmt(x.largestContentfulPaintMs)} ms, TBT ${fmt(x.totalBlockingTimeMs)} ms, CLS ${fmt(x.cumulativeLayoutShift, 3)}`,
        met: m.performance >= t.performance,
      },
      {
        scenario: 'lighthouse',
        target: `${name}: accessibility ${t.accessibility}`,
        measured: `${m.accessibility}${all('accessibility')}${m.failedAccessibility?.length ? `; failing: ${m.failedAccessibility.map((a: string) => a.split(':')[0]).join(', ')}` : ''}`,
        met: m.accessibility >= t.accessibility,
      },
      {
        scenario: 'bundle',
        target: `${name}: first load's JavaScript ≤ ${t.firstLoadJsKB} kB gzipped`,
        measured: `${kb(m.jsGzipBytes)} in ${m.scripts.length} scripts (${kb(m.jsTransferBytes)} on the wire, brotli)`,
        met: m.jsGzipBytes <= t.firstLoadJsKB * 1000,
      },
    ];
  });
}

/** When and how the Lighthouse rows were measured (not with the load scenarios). */
function lighthouseNote(lh: any): string[] {
  const loads = Object.values(lh.loadChecks ?? {}).map((q: any) => fmt(q.loadAtRun, 1));
  return [
    `The lighthouse and bundle rows: \`${lh.command}\` on ${lh.date?.slice(0, 16).replace('T', ' ')} UTC, Lighthouse ${lh.lighthouse} (${lh.settings}) in Debian's Chromium (${lh.browser}, headless) against Parley serving the production build; the load average was ${loads.join(' and ')} before the two pages${lh.measuredOnLoadedMachine ? ` (above ${lh.loadThreshold}: the machine was busy)` : ''}. The JavaScript is every script the page loaded (Lighthouse's network log), each counted gzipped at level 9 (1 kB = 1,000 bytes); raw numbers in \`bench/results/lighthouse.json\`.`,
    '',
  ];
}

/** Writes bench/RESULTS.md from the JSON in bench/results (and bench/NOTES.md, if present). */
export async function writeResultsMd(command: string): Promise<string> {
  const dm = read('dm');
  const sync = read('sync');
  const fanout = read('fanout');
  const connections = read('connections');
  const history = read('history');
  const reactions = read('reactions');
  const lighthouse = read('lighthouse');
  const search = read('search');
  const uploads = read('uploads');
  const any = dm ?? fanout ?? connections ?? history ?? sync;
  const m = any?.machine;
  const rows = [
    ...dmRows(dm, sync),
    ...fanoutRows(fanout),
    ...connectionRows(connections),
    ...historyRows(history),
    ...reactionRows(reactions),
    ...searchRows(search),
    ...uploadRows(uploads),
    ...lighthouseRows(lighthouse),
  ];
  const loaded = [dm, sync, fanout, connections, history].some((r) => r?.measuredOnLoadedMachine);
  const lines = [
    '# Benchmark results',
    '',
    `Measured ${any?.date?.slice(0, 16).replace('T', ' ') ?? '?'} UTC with \`${command}\`, the server and the load generators sharing one machine:`,
    '',
    `- ${m?.cores ?? '?'} cores, ${m?.cpuModel ?? '?'}, ${m?.memoryGiB ?? '?'} GiB, ${m?.kernel ?? '?'}`,
    `- disk: ${m?.disk ?? '?'}`,
    `- Node ${m?.node ?? '?'}; Parley on SQLite (WAL, \`synchronous=FULL\` unless said otherwise)`,
    loaded
      ? '- **The load average was above 1 before at least one system was measured**: see each JSON file’s `loadChecks`.'
      : '- The machine was quiet (load average below 1) before each system was measured.',
    '',
    'Every scenario runs Parley and a bare Socket.IO relay (`bench/baseline-server.ts`: the same Socket.IO version and settings, no authentication, no database, no validation) in the same invocation. Latency is measured from the scheduled send time (open loop), so a server that falls behind shows it. Raw numbers: `bench/results/<scenario>.json`.',
    '',
    '| scenario | target | measured | |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.scenario} | ${r.target} | ${r.measured} | ${mark(r.met)} |`),
    '',
    ...(lighthouse ? lighthouseNote(lighthouse) : []),
    '## Charts',
    '',
    ...[
      ['dm', 'direct messages, a ramp of send rates'],
      ['sync', 'durability: synchronous=FULL against NORMAL'],
      ['fanout', 'one group of 1,000 members, all online'],
      ['connections', 'idle connections, memory, and a reconnect storm'],
      ['history', 'pages of a 1,000,000-message database under dm load'],
      ['reactions', 'reaction changes on one message of a 1,000-member group'],
      ['search', 'message search on 1,000,000 messages'],
      ['uploads', 'concurrent uploads to local disk and S3'],
    ].flatMap(([name, what]) =>
      existsSync(path.join(RESULTS_DIR, `${name}.svg`))
        ? [`### ${name}: ${what}`, '', `![${name}](results/${name}.svg)`, '']
        : [],
    ),
  ];
  const notes = path.join(BENCH_DIR, 'NOTES.md');
  if (existsSync(notes)) lines.push(readFileSync(notes, 'utf8').trim(), '');
  const file = path.join(BENCH_DIR, 'RESULTS.md');
  const config = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(lines.join('\n'), { ...config, parser: 'markdown' }));
  return file;
}
