import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { now, sleep } from '../lib/clock.js';
import { subtitle, writeResults, type Context } from '../lib/report.js';
import { startParley, type ServerProc } from '../lib/servers.js';
import { chart, COLORS } from '../lib/svg.js';

const MiB = 1024 * 1024;
/** s3rver's one account: it checks every request's signature against these. */
const S3_KEY = 'S3RVER';

interface Rate {
  seconds: number;
  mbPerSec: number;
}

interface StoreResult {
  parley: Rate & { rssBeforeMiB: number; rssPeakMiB: number; rssGrowthMiB: number };
  raw: Rate;
  ratio: number;
}

const rate = (bytes: number, ms: number): Rate => ({
  seconds: Math.round(ms) / 1000,
  mbPerSec: Math.round((bytes / MiB / (ms / 1000)) * 10) / 10,
});

/** Runs `fn` while sampling the server's RSS every 20 ms; answers the peak (bytes). */
async function peakRss<T>(server: ServerProc, fn: () => Promise<T>): Promise<[T, number]> {
  let peak = server.rss();
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, server.rss());
      await sleep(20);
    }
  })();
  try {
    return [await fn(), peak];
  } finally {
    running = false;
    await sampler;
  }
}

/** A user of the server, signed up through the API: its access token. */
async function signUp(url: string): Promise<string> {
  const name = `bench${randomBytes(3).toString('hex')}`;
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: name,
      email: `${name}@bench.example`,
      password: 'a long bench passphrase',
    }),
  });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** `count` concurrent POST /api/uploads of `bytes`; answers the wall time (ms). */
async function uploadAll(
  url: string,
  token: string,
  bytes: Buffer,
  count: number,
): Promise<number> {
  const t0 = now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), `file-${i}.bin`);
      const res = await fetch(`${url}/api/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }),
  );
  return now() - t0;
}

/** `count` concurrent `cp` of one file into a folder on the same disk; answers the wall time. */
async function copyAll(file: string, dir: string, count: number): Promise<number> {
  const t0 = now();
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const cp = spawn('cp', [file, path.join(dir, `copy-${i}`)], { stdio: 'ignore' });
          cp.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cp: ${code}`))));
        }),
    ),
  );
  // cp returns when the data is in the page cache, as Parley's writes do.
  return now() - t0;
}

/**
 * Uploads: `count` (10) concurrent files of `--mb` (16) MiB through POST /api/uploads, to the
 * local disk store and to an S3-compatible server (s3rver, in this process), against the same
 * bytes copied with `cp` and PUT straight to the same S3 server; and the server's RSS growth
 * while it streams them (goal: under 64 MiB).
 */
export async function runUploads(ctx: Context): Promise<void> {
  const mb = ctx.num('mb', 16);
  const count = ctx.num('count', 10);
  const bytes = randomBytes(mb * MiB);
  const total = bytes.length * count;
  const work = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-uploads-'));
  const results: Partial<Record<'local' | 's3', StoreResult>> = {};
  const s3dir = path.join(work, 's3');
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: 'bench' }],
  });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    for (const store of ['local', 's3'] as const) {
      await ctx.settle(`uploads ${store}`);
      const dataDir = path.join(work, `data-${store}`);
      const server = await startParley({
        dataDir,
        log: ctx.log,
        env: {
          MAX_UPLOAD_MB: String(mb * 2),
          UPLOAD_QUOTA_MB: String(mb * count * 4),
          RATE_LIMIT_ATTACHMENTS_PER_HOUR: '100000',
          ...(store === 's3'
            ? {
                FILE_STORE: 's3',
                S3_ENDPOINT: endpoint,
                S3_BUCKET: 'bench',
                S3_REGION: 'us-east-1',
                S3_ACCESS_KEY_ID: S3_KEY,
                S3_SECRET_ACCESS_KEY: S3_KEY,
                S3_FORCE_PATH_STYLE: 'true',
              }
            : {}),
        },
      });
      try {
        const token = await signUp(server.url);
        // Warm the route (and the SDK's connections) with one small upload.
        await uploadAll(server.url, token, randomBytes(1024), 1);
        await sleep(500);
        const before = server.rss();
        const [ms, peak] = await peakRss(server, () => uploadAll(server.url, token, bytes, count));
        let raw: number;
        if (store === 'local') {
          const file = path.join(work, 'source.bin');
          writeFileSync(file, bytes);
          const dir = mkdtempSync(path.join(dataDir, 'cp-'));
          raw = await copyAll(file, dir, count);
        } else {
          const client = new S3Client({
            endpoint,
            region: 'us-east-1',
            forcePathStyle: true,
            credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
            requestChecksumCalculation: 'WHEN_REQUIRED',
          });
          const t0 = now();
          await Promise.all(
            Array.from({ length: count }, (_, i) =>
              client.send(new PutObjectCommand({ Bucket: 'bench', Key: `raw-${i}`, Body: bytes })),
            ),
          );
          raw = now() - t0;
          client.destroy();
        }
        const r: StoreResult = {
          parley: {
            ...rate(total, ms),
            rssBeforeMiB: Math.round(before / MiB),
            rssPeakMiB: Math.round(peak / MiB),
            rssGrowthMiB: Math.round((peak - before) / MiB),
          },
          raw: rate(total, raw),
          ratio: Math.round((raw / ms) * 100) / 100,
        };
        results[store] = r;
        ctx.log(
          `${store}: ${count} × ${mb} MiB through Parley in ${r.parley.seconds} s (${r.parley.mbPerSec} MiB/s), ${store === 'local' ? 'cp' : 'raw PUT'} ${r.raw.mbPerSec} MiB/s (${r.ratio} ×); server RSS ${r.parley.rssBeforeMiB} → ${r.parley.rssPeakMiB} MiB (+${r.parley.rssGrowthMiB})`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await s3.close();
    rmSync(work, { recursive: true, force: true });
  }
  const stores = (['local', 's3'] as const).filter((s) => results[s]);
  const svg = chart({
    title: `uploads: ${count} concurrent files of ${mb} MiB`,
    subtitle: subtitle(ctx),
    panels: [
      {
        kind: 'bar' as const,
        title: 'throughput (MiB/s)',
        yLabel: 'MiB/s',
        categories: stores.map((s) => (s === 'local' ? 'local disk' : 'S3 (s3rver)')),
        series: [
          {
            label: 'Parley',
            color: COLORS.parley,
            values: stores.map((s) => results[s]!.parley.mbPerSec),
          },
          {
            label: 'cp / raw PUT',
            color: COLORS.baseline,
            values: stores.map((s) => results[s]!.raw.mbPerSec),
          },
        ],
        hlines: [],
      },
      {
        kind: 'bar' as const,
        title: 'server RSS growth while streaming (MiB)',
        yLabel: 'MiB',
        categories: stores.map((s) => (s === 'local' ? 'local disk' : 'S3 (s3rver)')),
        series: [
          {
            label: 'Parley',
            color: COLORS.parley,
            values: stores.map((s) => results[s]!.parley.rssGrowthMiB),
          },
        ],
        hlines: [{ y: 64, label: 'goal 64 MiB' }],
      },
    ],
  });
  await writeResults(ctx, ctx.str('name', 'uploads'), { mb, count, results }, svg);
}
