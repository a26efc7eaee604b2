import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch, type LaunchedChrome } from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';
import { sleep } from '../lib/clock.js';
import { waitForQuietMachine } from '../lib/proc.js';
import { writeResults, type Context } from '../lib/report.js';
import { ROOT, startParley, type ServerProc } from '../lib/servers.js';

/** Debian's Chromium, as in the browser tests. */
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'lighthouse-correct-horse-battery';
/** The targets of issue 14 ("Accessible and fast"). */
export const TARGETS = { performance: 95, accessibility: 100, firstLoadJsKB: 100 };

/**
 * Headless Chromium for Lighthouse. chrome-launcher adds its default flags, which turn off the
 * browser's own traffic (background networking, component and safe-browsing updates, sync,
 * translate, metrics upload): nothing leaves the machine.
 */
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-domain-reliability',
  '--disable-sync',
  '--metrics-recording-only',
];

interface Script {
  url: string;
  /** Bytes on the wire as the browser saw them (headers included; brotli when served so). */
  transferBytes: number;
  /** The file's bytes uncompressed. */
  bytes: number;
  /** The file gzipped (level 9), what the targets count. */
  gzipBytes: number;
}

interface Run {
  performance: number;
  accessibility: number;
  metrics: {
    firstContentfulPaintMs: number;
    largestContentfulPaintMs: number;
    totalBlockingTimeMs: number;
    cumulativeLayoutShift: number;
    speedIndexMs: number;
  };
  scripts: Script[];
  jsGzipBytes: number;
  jsTransferBytes: number;
  loadAverage: number;
  /** Accessibility audits that failed, with their titles. */
  failedAccessibility: string[];
  /** Performance audits scored below 0.9 that have a metric savings (opportunities). */
  opportunities: string[];
}

interface PageResult {
  path: string;
  runs: Run[];
  /** The run with the median performance score. */
  median: Run;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.performance - b.performance);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Gzip size of a script the page loaded, from the file in the web root. */
function gzipOf(webRoot: string, url: string): { bytes: number; gzipBytes: number } {
  const file = path.join(webRoot, decodeURIComponent(new URL(url).pathname));
  if (!file.startsWith(webRoot + path.sep) || !existsSync(file)) return { bytes: 0, gzipBytes: 0 };
  const data = readFileSync(file);
  return { bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
}

interface Audit {
  title: string;
  score: number | null;
  scoreDisplayMode: string;
  numericValue?: number;
  details?: { type?: string; items?: any[]; overallSavingsMs?: number };
}

/** One Lighthouse navigation (mobile, simulated throttling: Lighthouse's defaults). */
async function runOnce(chrome: LaunchedChrome, url: string, webRoot: string): Promise<Run> {
  const loadAverage = os.loadavg()[0]!;
  const result = await lighthouse(url, {
    port: chrome.port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility'],
    maxWaitForLoad: 60_000,
  });
  if (!result) throw new Error(`Lighthouse gave no result for ${url}`);
  const lhr = result.lhr;
  if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.message}`);
  const audits = lhr.audits as Record<string, Audit>;
  const metric = (id: string) =>
    round(audits[id]?.numericValue ?? NaN, id === 'cumulative-layout-shift' ? 3 : 0);
  const origin = new URL(url).origin;
  const requests = audits['network-requests']?.details?.items ?? [];
  // The page (and Lighthouse) must not reach anything but this server: the network is closed,
  // and a request elsewhere would be a bug (the CSP allows only the page's own origin).
  const elsewhere = requests
    .map((r) => String(r.url))
    .filter((u) => /^(https?|wss?):/.test(u) && new URL(u).origin !== origin);
  if (elsewhere.length > 0) throw new Error(`${url} requested ${elsewhere.join(', ')}`);
  const scripts: Script[] = requests
    .filter((r) => r.resourceType === 'Script' && String(r.url).startsWith(origin))
    .map((r) => ({
      url: String(r.url).slice(origin.length),
      transferBytes: r.transferSize ?? 0,
      ...gzipOf(webRoot, r.url),
    }));
  const finalPath = new URL(lhr.finalDisplayedUrl).pathname;
  if (finalPath !== new URL(url).pathname)
    throw new Error(`${url} ended on ${lhr.finalDisplayedUrl}: not the page meant to be measured`);
  const accessibility = lhr.categories.accessibility!;
  const failedAccessibility = accessibility.auditRefs
    .filter(
      (ref) => ref.weight > 0 && audits[ref.id]?.score !== null && (audits[ref.id]?.score ?? 1) < 1,
    )
    .map((ref) => `${ref.id}: ${audits[ref.id]!.title}`);
  const opportunities = Object.entries(audits)
    .filter(([, a]) => (a.details?.overallSavingsMs ?? 0) > 0 && (a.score ?? 1) < 0.9)
    .map(([id, a]) => `${id}: ${a.title} (${round(a.details!.overallSavingsMs!)} ms)`);
  return {
    performance: Math.round((lhr.categories.performance?.score ?? 0) * 100),
    accessibility: Math.round((accessibility.score ?? 0) * 100),
    metrics: {
      firstContentfulPaintMs: metric('first-contentful-paint'),
      largestContentfulPaintMs: metric('largest-contentful-paint'),
      totalBlockingTimeMs: metric('total-blocking-time'),
      cumulativeLayoutShift: metric('cumulative-layout-shift'),
      speedIndexMs: metric('speed-index'),
    },
    scripts,
    jsGzipBytes: scripts.reduce((s, x) => s + x.gzipBytes, 0),
    jsTransferBytes: scripts.reduce((s, x) => s + x.transferBytes, 0),
    loadAverage: round(loadAverage, 2),
    failedAccessibility,
    opportunities,
  };
}

async function measurePage(
  ctx: Context,
  chrome: LaunchedChrome,
  server: ServerProc,
  pagePath: string,
  webRoot: string,
  runs: number,
): Promise<PageResult> {
  const out: Run[] = [];
  for (let i = 0; i < runs; i++) {
    let r: Run | null = null;
    // Lighthouse now and then fails to record a trace (NO_NAVSTART and the like): try again.
    for (let attempt = 1; !r; attempt++) {
      try {
        r = await runOnce(chrome, server.url + pagePath, webRoot);
      } catch (err) {
        if (attempt >= 3 || !/^Lighthouse: /.test((err as Error).message)) throw err;
        ctx.log(`${pagePath}: ${(err as Error).message}; again`);
      }
    }
    ctx.log(
      `${pagePath} run ${i + 1}/${runs}: performance ${r.performance}, accessibility ${r.accessibility}, ` +
        `FCP ${r.metrics.firstContentfulPaintMs} ms, LCP ${r.metrics.largestContentfulPaintMs} ms, ` +
        `TBT ${r.metrics.totalBlockingTimeMs} ms, CLS ${r.metrics.cumulativeLayoutShift}; ` +
        `JS ${round(r.jsGzipBytes / 1000, 1)} kB gzipped in ${r.scripts.length} scripts ` +
        `(load ${r.loadAverage})`,
    );
    out.push(r);
  }
  return { path: pagePath, runs: out, median: median(out) };
}

async function api(
  server: ServerProc,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
) {
  const res = await fetch(server.url + url, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const LINES = [
  'Morning! Did the new build go out last night?',
  'It did, around eleven. The deploy took four minutes.',
  'Nice. Any errors in the logs since?',
  'Two warnings about slow queries on the search page, nothing else.',
  'I will look at the search ones after lunch.',
  'Can we move the review to Thursday? I am out on Wednesday.',
  'Thursday at ten works for me.',
  'Same here. I will update the invite.',
  'The screenshots for the release notes are in the shared folder.',
  'Thanks, they look great. Maybe crop the second one a little.',
];

/**
 * Two people, a few conversations, and one group with a page of messages; signs `alice` in
 * inside the browser (so its cookie jar holds the refresh cookie, as after a real sign-in).
 * Answers the path of the group's conversation.
 */
async function seed(server: ServerProc, chrome: LaunchedChrome): Promise<string> {
  const register = (username: string, displayName: string) =>
    api(server, 'POST', '/api/auth/register', {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      displayName,
    });
  const alice = await register('alice', 'Alice Martin');
  const bob = await register('bob', 'Bob Okafor');
  const group = await api(
    server,
    'POST',
    '/api/conversations',
    {
      name: 'Design review',
      topic: 'Weekly design review',
      isPrivate: false,
      memberIds: [bob.user.id],
    },
    alice.accessToken,
  );
  for (const name of ['Release', 'Random']) {
    await api(
      server,
      'POST',
      '/api/conversations',
      { name, isPrivate: false, memberIds: [bob.user.id] },
      alice.accessToken,
    );
  }
  await api(
    server,
    'POST',
    '/api/conversations/direct',
    { userId: bob.user.id },
    alice.accessToken,
  );
  for (let i = 0; i < 40; i++) {
    const who = i % 2 === 0 ? alice : bob;
    await api(
      server,
      'POST',
      `/api/conversations/${group.id}/messages`,
      { body: LINES[i % LINES.length]! },
      who.accessToken,
    );
  }
  // Sign in through the form, in the browser Lighthouse will use: its default profile keeps
  // the refresh cookie (and whatever else the client keeps at sign-in), and the client's
  // boot() signs in with it on the next load, as after a reload.
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  try {
    const page = await browser.contexts()[0]!.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Username or email').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/', { timeout: 30_000 });
    await page.close();
  } finally {
    await browser.close();
  }
  return `/c/${group.id}`;
}

/**
 * `npm run bench -- lighthouse [--web DIR] [--runs N] [--load L]`: Lighthouse 12 (mobile,
 * performance and accessibility) on the sign-in page and on a signed-in chat, against a real
 * Parley serving the built client (dist/web, or --web), in Debian's Chromium.
 */
export async function runLighthouse(ctx: Context): Promise<void> {
  const webRoot = path.resolve(ctx.str('web', path.join(ROOT, 'dist', 'web')));
  if (!existsSync(path.join(webRoot, 'index.html')))
    throw new Error(`no built client in ${webRoot}: run npm run build first (or pass --web DIR)`);
  const runs = ctx.num('runs', 3);
  const threshold = ctx.num('load', 2);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-lighthouse-'));
  const profile = path.join(dataDir, 'chromium');
  mkdirSync(profile);
  ctx.log(`web root ${webRoot}; ${runs} Lighthouse runs per page`);
  const server = await startParley({
    dataDir,
    log: ctx.log,
    env: { WEB_ROOT: webRoot, SQLITE_SYNCHRONOUS: 'NORMAL' },
  });
  let chrome: LaunchedChrome | null = null;
  try {
    chrome = await launch({
      chromePath: CHROMIUM,
      chromeFlags: CHROME_FLAGS,
      userDataDir: profile,
      logLevel: 'error',
    });
    const version = (await (
      await fetch(`http://127.0.0.1:${chrome.port}/json/version`)
    ).json()) as { Browser: string };
    const quiet = await waitForQuietMachine({
      threshold,
      skip: ctx.flag('no-wait'),
      maxSeconds: ctx.num('max-wait', 600),
    });
    ctx.quiet['sign-in'] = quiet;
    ctx.log(`load average before the sign-in page: ${quiet.loadAtRun.toFixed(2)}`);
    const signIn = await measurePage(ctx, chrome, server, '/login', webRoot, runs);
    const chatPath = await seed(server, chrome);
    const quiet2 = await waitForQuietMachine({
      threshold,
      skip: ctx.flag('no-wait'),
      maxSeconds: ctx.num('max-wait', 600),
    });
    ctx.quiet['chat'] = quiet2;
    ctx.log(`load average before the signed-in chat: ${quiet2.loadAtRun.toFixed(2)}`);
    const chat = await measurePage(ctx, chrome, server, chatPath, webRoot, runs);
    if (
      chat.median.scripts.length === 0 ||
      !chat.runs.every((r) => r.metrics.largestContentfulPaintMs > 0)
    )
      throw new Error('the signed-in chat did not load');
    const lighthouseVersion = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules/lighthouse/package.json'), 'utf8'),
    ).version;
    await writeResults(ctx, ctx.str('name', 'lighthouse'), {
      lighthouse: lighthouseVersion,
      browser: version.Browser,
      settings: 'its defaults: mobile form factor, simulated throttling',
      loadThreshold: threshold,
      targets: TARGETS,
      webRoot: path.relative(ROOT, webRoot) || webRoot,
      pages: { signIn, chat },
    });
  } finally {
    if (chrome) {
      const exited = new Promise((resolve) => chrome!.process.once('exit', resolve));
      chrome.kill();
      await Promise.race([exited, sleep(5000)]);
    }
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
