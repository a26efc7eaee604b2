import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A web root like the Vite build's: hashed assets with .br and .gz beside them. */
function fakeBuild(): { root: string; files: Record<string, Buffer> } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'parley-static-'));
  const files: Record<string, Buffer> = {
    'index.html': Buffer.from(
      '<!doctype html><html lang="en"><head><meta charset="utf-8" /><title>Parley</title>' +
        '<script type="module" crossorigin src="/assets/index-D4c5Ab9x.js"></script>' +
        '<link rel="stylesheet" crossorigin href="/assets/index-Q1w2E3r4.css" /></head>' +
        '<body><div id="root"></div><noscript>Parley needs JavaScript to run.</noscript></body></html>\n',
    ),
    'assets/index-D4c5Ab9x.js': Buffer.from(
      Array.from({ length: 200 }, (_, i) => `export const line${i} = "value ${i}";`).join('\n'),
    ),
    'assets/index-Q1w2E3r4.css': Buffer.from(
      Array.from({ length: 100 }, (_, i) => `.c${i} { color: #${i}${i}${i}; }`).join('\n'),
    ),
    'assets/index-D4c5Ab9x.js.map': Buffer.from('{"version":3,"sources":["secret.ts"]}'),
    'assets/logo-Zx81Kq0p.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]),
    'favicon.svg': Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#2563eb"/><circle cx="32" cy="32" r="20" fill="#ffffff"/></svg>\n',
    ),
  };
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), data);
  }
  // As the build writes them; the stylesheet has only a .gz (a variant the build left out).
  for (const name of ['index.html', 'assets/index-D4c5Ab9x.js', 'favicon.svg']) {
    writeFileSync(path.join(root, `${name}.br`), brotliCompressSync(files[name]!));
  }
  for (const name of ['index.html', 'assets/index-D4c5Ab9x.js', 'assets/index-Q1w2E3r4.css']) {
    writeFileSync(path.join(root, `${name}.gz`), gzipSync(files[name]!));
  }
  return { root, files };
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request exactly as given (fetch would add Accept-Encoding, decode, and normalize paths). */
function raw(
  base: string,
  target: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, path: target, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const BROWSER = { 'accept-encoding': 'gzip, deflate, br, zstd' };
const GZIP_ONLY = { 'accept-encoding': 'gzip' };

/** The response's Vary names Accept-Encoding. */
const variesOnEncoding = (r: Raw) =>
  String(r.headers.vary ?? '')
    .toLowerCase()
    .split(/\s*,\s*/)
    .includes('accept-encoding');

describe('static web client: compression, caching, source maps', () => {
  let t: TestServer;
  let build: ReturnType<typeof fakeBuild>;

  beforeAll(async () => {
    build = fakeBuild();
    t = await startTestServer({ WEB_ROOT: build.root });
  });
  afterAll(async () => {
    await t?.close();
    if (build) rmSync(build.root, { recursive: true, force: true });
  });

  const js = '/assets/index-D4c5Ab9x.js';

  it('sends brotli when it is accepted, and the bytes are the file', async () => {
    const r = await raw(t.url, js, { headers: BROWSER });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-type']).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(variesOnEncoding(r)).toBe(true);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(build.files['assets/index-D4c5Ab9x.js']!.length / 3);
    expect(brotliDecompressSync(r.body).equals(build.files['assets/index-D4c5Ab9x.js']!)).toBe(
      true,
    );
  });

  it('sends gzip when only gzip is accepted (or brotli is refused)', async () => {
    for (const headers of [GZIP_ONLY, { 'accept-encoding': 'br;q=0, gzip' }]) {
      const r = await raw(t.url, js, { headers });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding'], headers['accept-encoding']).toBe('gzip');
      expect(variesOnEncoding(r)).toBe(true);
      expect(gunzipSync(r.body).equals(build.files['assets/index-D4c5Ab9x.js']!)).toBe(true);
    }
  });

  it('sends the plain file when no compression is accepted', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'zstd' },
    ];
    for (const headers of cases) {
      const r = await raw(t.url, js, { headers });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.headers['content-type']).toMatch(/javascript; charset=utf-8$/);
      expect(variesOnEncoding(r)).toBe(true);
      expect(r.body.equals(build.files['assets/index-D4c5Ab9x.js']!)).toBe(true);
    }
  });

  it('falls back to the variant that exists, then to the plain file', async () => {
    const css = await raw(t.url, '/assets/index-Q1w2E3r4.css', { headers: BROWSER });
    expect(css.status).toBe(200);
    expect(css.headers['content-encoding']).toBe('gzip');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gunzipSync(css.body).equals(build.files['assets/index-Q1w2E3r4.css']!)).toBe(true);

    const png = await raw(t.url, '/assets/logo-Zx81Kq0p.png', { headers: BROWSER });
    expect(png.status).toBe(200);
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.body.equals(build.files['assets/logo-Zx81Kq0p.png']!)).toBe(true);
  });

  it('caches hashed assets for a year, immutable, whatever the encoding', async () => {
    for (const [target, headers] of [
      [js, BROWSER],
      [js, GZIP_ONLY],
      [js, {}],
      ['/assets/index-Q1w2E3r4.css', BROWSER],
      ['/assets/logo-Zx81Kq0p.png', {}],
    ] as const) {
      const r = await raw(t.url, target, { headers });
      expect(r.headers['cache-control'], target).toBe(IMMUTABLE);
    }
  });

  it('makes browsers revalidate index.html and the pages answered with it', async () => {
    for (const target of ['/', '/index.html', '/login', '/c/12', '/c/12/settings', '/x/y?z=1']) {
      const r = await raw(t.url, target, { headers: BROWSER });
      expect(r.status, target).toBe(200);
      expect(r.headers['cache-control'], target).toBe('no-cache');
      expect(r.headers['content-type'], target).toBe('text/html; charset=utf-8');
      expect(r.headers['content-encoding'], target).toBe('br');
      expect(variesOnEncoding(r), target).toBe(true);
      expect(brotliDecompressSync(r.body).equals(build.files['index.html']!), target).toBe(true);
    }
    const plain = await raw(t.url, '/c/12');
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.body.equals(build.files['index.html']!)).toBe(true);
  });

  it('answers a revalidation of index.html with 304', async () => {
    const first = await raw(t.url, '/', { headers: BROWSER });
    const etag = first.headers.etag;
    expect(etag).toBeTruthy();
    const again = await raw(t.url, '/', { headers: { ...BROWSER, 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers['cache-control']).toBe('no-cache');
  });

  it('gives other public files a short cache', async () => {
    const r = await raw(t.url, '/favicon.svg', { headers: BROWSER });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/svg+xml');
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('never serves source maps or the compressed files under their own names', async () => {
    for (const target of [
      `${js}.map`,
      `${js}.br`,
      `${js}.gz`,
      '/index.html.br',
      '/assets/missing-0a1b2c3d.js',
      '/assets/missing-0a1b2c3d.js.map',
    ]) {
      const r = await raw(t.url, target, { headers: BROWSER });
      expect(r.status, target).toBe(404);
      expect(r.headers['content-type'], target).toMatch(/^application\/json/);
      expect(r.headers['cache-control'], target).not.toBe(IMMUTABLE);
      expect(r.body.toString(), target).not.toContain('secret.ts');
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const asset = await raw(t.url, js, { method: 'HEAD', headers: BROWSER });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toBe(IMMUTABLE);
    expect(Number(asset.headers['content-length'])).toBeGreaterThan(0);
    expect(asset.body.length).toBe(0);

    const page = await raw(t.url, '/c/12', { method: 'HEAD', headers: GZIP_ONLY });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body.length).toBe(0);

    const map = await raw(t.url, `${js}.map`, { method: 'HEAD' });
    expect(map.status).toBe(404);
  });

  it('answers path traversal attempts with 404', async () => {
    const secret = path.join(path.dirname(build.root), 'parley-static-secret.txt');
    writeFileSync(secret, 'do not serve');
    try {
      const name = path.basename(secret);
      for (const target of [
        `/../${name}`,
        `/assets/../../${name}`,
        `/%2e%2e/${name}`,
        `/assets/%2e%2e/%2e%2e/${name}`,
        `/..%2f${name}`,
        `/assets/..%2f..%2f${name}`,
        `/assets/..%5c..%5c${name}`,
        '/..%2f..%2f..%2f..%2fetc%2fpasswd',
        '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/assets/%2e%2e',
        '/%2e%2e',
        '/assets/..%00/index-D4c5Ab9x.js',
      ]) {
        const r = await raw(t.url, target, { headers: BROWSER });
        expect(r.status, target).toBe(404);
        expect(r.body.toString(), target).not.toContain('do not serve');
        expect(r.body.toString(), target).not.toContain('root:');
      }
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it('keeps API paths out of the client fallback', async () => {
    for (const target of ['/api', '/api/nope', '/files/nope']) {
      const r = await raw(t.url, target, { headers: BROWSER });
      expect(r.status, target).toBe(404);
      expect(r.headers['content-type'], target).toMatch(/^application\/json/);
    }
  });
});
