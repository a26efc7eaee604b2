import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorShape, registerUser, type TestUser } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const AVATAR_URL = /^\/files\/avatars\/([0-9a-f]{32})-256\.webp$/;
const SIZES = [64, 256, 512];

// ---------- fixtures, all generated here ----------

function solid(width: number, height: number, background: string) {
  return sharp({ create: { width, height, channels: 3, background } });
}

const png = (w = 40, h = 30, color = '#22aa44') => solid(w, h, color).png().toBuffer();
const gif = (w = 40, h = 30, color = '#cc3300') => solid(w, h, color).gif().toBuffer();
const webp = (w = 40, h = 30, color = '#3366ff') => solid(w, h, color).webp().toBuffer();

/**
 * A 300×200 JPEG stored sideways: left half red, right half blue, EXIF orientation 6 (shown
 * rotated 90° clockwise, so upright it is red on top and blue below), with a GPS position.
 */
async function sidewaysJpegWithGps(): Promise<Buffer> {
  const red = await solid(150, 200, '#ff0000').png().toBuffer();
  return solid(300, 200, '#0000ff')
    .composite([{ input: red, left: 0, top: 0 }])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'TestCam', Model: 'Leaky 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2400/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 0/1',
      },
    })
    .toBuffer();
}

/** A valid GIF whose header reads `GIF89a/*` and that ends in JavaScript after the trailer. */
async function gifJsPolyglot(): Promise<Buffer> {
  const base = Buffer.from(await gif(16, 16, '#00ff00'));
  base.write('/*', 6, 'latin1');
  return Buffer.concat([base, Buffer.from('*/=1;alert(document.domain);//', 'latin1')]);
}

/** A minimal PE executable header. */
function fakeExe(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

/** An animated GIF of `frames` frames, the first light grey, the others alternating. */
async function animatedGif(side: number, frames: number): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * frames * 3);
  for (let f = 0; f < frames; f++) {
    raw.fill(f % 2 === 0 ? 0xe0 : 0x20, f * side * side * 3, (f + 1) * side * side * 3);
  }
  return sharp(raw, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } })
    .gif({ effort: 1 })
    .toBuffer();
}

// ---------- helpers ----------

function form(bytes: Uint8Array, filename = 'avatar.png', type = 'image/png', field = 'file') {
  const fd = new FormData();
  fd.append(field, new Blob([bytes], { type }), filename);
  return fd;
}

function upload(
  server: TestServer,
  user: TestUser,
  bytes: Uint8Array,
  filename?: string,
  type?: string,
) {
  return server.api.put('/api/users/me/avatar', undefined, {
    token: user.token,
    raw: form(bytes, filename, type),
  });
}

async function fetchFile(server: TestServer, url: string, method = 'GET') {
  const res = await fetch(server.url + url, { method });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(server: TestServer, rawPath: string) {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const avatarDir = (server: TestServer) => path.join(server.db.dataDir, 'avatars');

function avatarFiles(server: TestServer): string[] {
  const dir = avatarDir(server);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

const filesOfKey = (server: TestServer, key: string) =>
  avatarFiles(server).filter((f) => f.startsWith(key));

function keyOf(avatarUrl: unknown): string {
  const m = AVATAR_URL.exec(String(avatarUrl));
  if (!m) throw new Error(`not an avatar URL: ${String(avatarUrl)}`);
  return m[1]!;
}

function avatarRows(server: TestServer, userId: number) {
  return server.deps.db
    .selectFrom('files')
    .selectAll()
    .where('owner_id', '=', userId)
    .where('kind', '=', 'avatar')
    .execute();
}

/** The FourCC of every chunk of a RIFF/WebP file. */
function webpChunks(b: Buffer): string[] {
  expect(b.toString('latin1', 0, 4)).toBe('RIFF');
  expect(b.toString('latin1', 8, 12)).toBe('WEBP');
  const out: string[] = [];
  for (let o = 12; o + 8 <= b.length;) {
    const size = b.readUInt32LE(o + 4);
    out.push(b.toString('latin1', o, o + 4));
    o += 8 + size + (size & 1);
  }
  return out;
}

/** What exifr reads from a WebP's EXIF chunk (exifr cannot open WebP itself), or undefined. */
async function exifOfWebp(b: Buffer): Promise<Record<string, unknown> | undefined> {
  for (let o = 12; o + 8 <= b.length;) {
    const size = b.readUInt32LE(o + 4);
    if (b.toString('latin1', o, o + 4) === 'EXIF') {
      let tiff = b.subarray(o + 8, o + 8 + size);
      if (tiff.toString('latin1', 0, 6) === 'Exif\0\0') tiff = tiff.subarray(6);
      return (await exifr.parse(tiff, true)) as Record<string, unknown>;
    }
    o += 8 + size + (size & 1);
  }
  return undefined;
}

/** One pixel of an image, as [r, g, b]. */
async function pixel(img: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(img).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

/** Runs `fn` while sampling the process RSS; returns its result and the peak growth in MB. */
async function withRssPeak<T>(fn: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMb: (peak - before) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

// ---------- tests ----------

describe('PUT /api/users/me/avatar', () => {
  it.each([
    ['PNG', png, 'image/png', 'a.png'],
    ['GIF', gif, 'image/gif', 'a.gif'],
    ['WebP', webp, 'image/webp', 'a.webp'],
    ['JPEG', () => solid(40, 30, '#aa8800').jpeg().toBuffer(), 'image/jpeg', 'a.jpg'],
  ])('accepts %s and re-encodes it as square WebPs', async (_name, make, type, filename) => {
    const u = await registerUser(t.api);
    const input = await make();
    const res = await upload(t, u, input, filename, type);
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(u.id);
    expect(res.body.email).toBe(u.email);
    const key = keyOf(res.body.avatarUrl);
    const me = await t.api.get('/api/users/me', { token: u.token });
    expect(me.body.avatarUrl).toBe(res.body.avatarUrl);

    for (const size of SIZES) {
      const file = await fetchFile(t, `/files/avatars/${key}-${size}.webp`);
      expect(file.status).toBe(200);
      expect(webpChunks(file.bytes)).toContain('VP8 ');
      const meta = await sharp(file.bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', size, size]);
      expect(file.bytes.equals(input)).toBe(false);
    }
    expect(filesOfKey(t, key)).toEqual(SIZES.map((s) => `${key}-${s}.webp`).sort());

    const rows = await avatarRows(t, u.id);
    expect(rows).toHaveLength(1);
    const large = await fetchFile(t, `/files/avatars/${key}-512.webp`);
    expect(rows[0]).toMatchObject({
      storage_key: key,
      mime: 'image/webp',
      width: 512,
      height: 512,
      sha256: createHash('sha256').update(large.bytes).digest('hex'),
    });
    expect(Number(rows[0]!.size)).toBe(large.bytes.length);
  });

  it('strips EXIF and GPS and applies the EXIF orientation', async () => {
    const jpeg = await sidewaysJpegWithGps();
    // The fixture really carries what must not leak.
    const inputGps = await exifr.gps(jpeg);
    expect(inputGps?.latitude).toBeCloseTo(48.8567, 3);
    expect((await exifr.parse(jpeg, ['Orientation']))?.Orientation).toBe('Rotate 90 CW');
    // And the checks below do see EXIF in a WebP that kept it.
    const leaky = await sharp(jpeg).keepMetadata().webp().toBuffer();
    expect(webpChunks(leaky)).toContain('EXIF');
    expect((await exifOfWebp(leaky))?.latitude).toBeCloseTo(48.8567, 3);

    const u = await registerUser(t.api);
    const res = await upload(t, u, jpeg, 'holiday.jpg', 'image/jpeg');
    expect(res.status, res.text).toBe(200);
    const key = keyOf(res.body.avatarUrl);
    for (const size of SIZES) {
      const { bytes } = await fetchFile(t, `/files/avatars/${key}-${size}.webp`);
      expect(bytes.equals(jpeg)).toBe(false);
      const chunks = webpChunks(bytes);
      for (const leak of ['EXIF', 'XMP ', 'ICCP']) expect(chunks).not.toContain(leak);
      expect(await exifOfWebp(bytes)).toBeUndefined();
      expect(bytes.includes('GPS')).toBe(false);
      expect(bytes.includes('TestCam')).toBe(false);
      const meta = await sharp(bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.iptc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
    }
    // Upright means red on top and blue below; unrotated it would be red left, blue right.
    const { bytes } = await fetchFile(t, `/files/avatars/${key}-512.webp`);
    const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60;
    const isBlue = ([r, g, b]: number[]) => r! < 60 && g! < 60 && b! > 200;
    expect(isRed(await pixel(bytes, 64, 64))).toBe(true);
    expect(isRed(await pixel(bytes, 448, 64))).toBe(true);
    expect(isBlue(await pixel(bytes, 64, 448))).toBe(true);
    expect(isBlue(await pixel(bytes, 448, 448))).toBe(true);
  });

  it('judges the type by the bytes: fakes, SVG, HTML and executables get 415', async () => {
    const u = await registerUser(t.api);
    const before = avatarFiles(t);
    const truncatedPng = Buffer.concat([
      Buffer.from(await png(300, 200)).subarray(0, 60),
      Buffer.from('x'.repeat(200)),
    ]);
    const cases: Array<[string, Uint8Array, string, string]> = [
      ['text as PNG', Buffer.from('definitely not an image, just text'), 'fake.png', 'image/png'],
      [
        'SVG with script',
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>',
        ),
        'avatar.svg',
        'image/svg+xml',
      ],
      [
        'SVG named .png',
        Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        'avatar.png',
        'image/png',
      ],
      [
        'HTML named .png',
        Buffer.from(
          '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
        ),
        'avatar.png',
        'image/png',
      ],
      ['EXE named .jpg', fakeExe(), 'avatar.jpg', 'image/jpeg'],
      ['PNG signature over garbage', truncatedPng, 'avatar.png', 'image/png'],
    ];
    for (const [name, bytes, filename, type] of cases) {
      const res = await upload(t, u, bytes, filename, type);
      expect(res.status, name).toBe(415);
      expect(res.body.error.code, name).toBe('unsupported_media_type');
      expect(isErrorShape(res.body), name).toBe(true);
    }
    expect((await t.api.get('/api/users/me', { token: u.token })).body.avatarUrl).toBeNull();
    expect(await avatarRows(t, u.id)).toEqual([]);
    expect(avatarFiles(t)).toEqual(before);
  });

  it('never serves a GIF/JS polyglot as it came: rejected or re-encoded to a clean image', async () => {
    const poly = await gifJsPolyglot();
    expect(poly.toString('latin1', 0, 8)).toBe('GIF89a/*');
    expect(poly.includes('alert(')).toBe(true);
    expect((await sharp(poly).metadata()).format).toBe('gif');

    const u = await registerUser(t.api);
    const res = await upload(t, u, poly, 'innocent.gif', 'image/gif');
    expect([200, 415]).toContain(res.status);
    if (res.status === 415) {
      expect(res.body.error.code).toBe('unsupported_media_type');
      return;
    }
    const key = keyOf(res.body.avatarUrl);
    for (const size of SIZES) {
      const file = await fetchFile(t, `/files/avatars/${key}-${size}.webp`);
      expect(file.headers.get('content-type')).toBe('image/webp');
      expect(webpChunks(file.bytes)).toEqual(['VP8 ']);
      expect(file.bytes.includes('alert')).toBe(false);
      expect(file.bytes.includes('GIF89a')).toBe(false);
      expect((await sharp(file.bytes).metadata()).width).toBe(size);
    }
  });

  it('refuses a 14000×14000 pixel bomb with 413 before decoding it', async () => {
    const bomb = await solid(14000, 14000, '#ffffff').png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const u = await registerUser(t.api);
    const before = avatarFiles(t);
    const { result: res, growthMb } = await withRssPeak(() => upload(t, u, bomb));
    expect(res.status, res.text).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toMatch(/14000×14000.*megapixels/);
    expect(growthMb).toBeLessThan(150);
    expect(avatarFiles(t)).toEqual(before);
    expect(await avatarRows(t, u.id)).toEqual([]);
  });

  it('keeps only the first frame of an animation with thousands of frames', async () => {
    // 3000 frames of 128×128 is 49 megapixels in all: more than one decode may hold.
    const anim = await animatedGif(128, 3000);
    expect((await sharp(anim).metadata()).pages).toBe(3000);
    const u = await registerUser(t.api);
    const { result: res, growthMb } = await withRssPeak(() =>
      upload(t, u, anim, 'anim.gif', 'image/gif'),
    );
    expect(res.status, res.text).toBe(200);
    expect(growthMb).toBeLessThan(150);
    const { bytes } = await fetchFile(t, `/files/avatars/${keyOf(res.body.avatarUrl)}-512.webp`);
    expect((await sharp(bytes).metadata()).pages ?? 1).toBe(1);
    expect(webpChunks(bytes)).not.toContain('ANMF');
    const [r, g, b] = await pixel(bytes, 256, 256);
    for (const c of [r, g, b]) expect(Math.abs(c! - 0xe0)).toBeLessThan(12);
  });

  it('replacing an avatar deletes the old files and row', async () => {
    const u = await registerUser(t.api);
    const first = await upload(t, u, await png(50, 50, '#ff00ff'));
    expect(first.status).toBe(200);
    const oldKey = keyOf(first.body.avatarUrl);
    expect(filesOfKey(t, oldKey)).toHaveLength(3);

    const second = await upload(t, u, await webp(60, 40, '#00ffff'), 'b.webp', 'image/webp');
    expect(second.status).toBe(200);
    const newKey = keyOf(second.body.avatarUrl);
    expect(newKey).not.toBe(oldKey);
    expect(filesOfKey(t, oldKey)).toEqual([]);
    expect(filesOfKey(t, newKey)).toHaveLength(3);
    expect((await fetchFile(t, first.body.avatarUrl)).status).toBe(404);
    expect((await fetchFile(t, second.body.avatarUrl)).status).toBe(200);
    const rows = await avatarRows(t, u.id);
    expect(rows.map((r) => r.storage_key)).toEqual([newKey]);
  });

  it('leaves exactly one avatar when one user uploads several at once', async () => {
    const u = await registerUser(t.api);
    const img = await png(30, 30, '#ff0000');
    const results = await Promise.all(Array.from({ length: 8 }, () => upload(t, u, img)));
    for (const r of results) expect(r.status, r.text).toBe(200);
    const keys = results.map((r) => keyOf(r.body.avatarUrl));
    const finalKey = keyOf((await t.api.get('/api/users/me', { token: u.token })).body.avatarUrl);
    expect(keys).toContain(finalKey);
    expect((await avatarRows(t, u.id)).map((r) => r.storage_key)).toEqual([finalKey]);
    for (const key of keys) expect(filesOfKey(t, key)).toHaveLength(key === finalKey ? 3 : 0);
  });

  it('rejects an upload without a valid session with 401 and stores nothing', async () => {
    const before = avatarFiles(t);
    const img = await png();
    const none = await t.api.put('/api/users/me/avatar', undefined, { raw: form(img) });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const bogus = await t.api.put('/api/users/me/avatar', undefined, {
      raw: form(img),
      token: 'not.a.token',
    });
    expect(bogus.status).toBe(401);
    expect(isErrorShape(bogus.body)).toBe(true);
    const del = await t.api.delete('/api/users/me/avatar');
    expect(del.status).toBe(401);
    expect(avatarFiles(t)).toEqual(before);
  });

  it('answers malformed or non-multipart bodies with a 4xx error, never a 500', async () => {
    const u = await registerUser(t.api);
    const img = await png();
    const put = (raw: FormData | string | Uint8Array, headers: Record<string, string> = {}) =>
      t.api.put('/api/users/me/avatar', undefined, { token: u.token, raw, headers });

    const twoFiles = new FormData();
    twoFiles.append('file', new Blob([img], { type: 'image/png' }), 'a.png');
    twoFiles.append('file', new Blob([img], { type: 'image/png' }), 'b.png');
    const wrongField = form(img, 'a.png', 'image/png', 'avatar');
    const textFile = new FormData();
    textFile.append('file', 'just a string');
    const extraField = form(img);
    extraField.append('caption', 'hello');
    const manyFields = new FormData();
    for (let i = 0; i < 6; i++) manyFields.append(`f${i}`, 'x');

    const cases: Array<[string, Promise<{ status: number; body: any }>, number?]> = [
      ['two files', put(twoFiles), 400],
      ['file under another name', put(wrongField), 400],
      ['text in the file field', put(textFile), 400],
      ['an extra text field', put(extraField), 400],
      ['no parts at all', put(new FormData()), 400],
      ['an empty file', put(form(new Uint8Array(0))), 400],
      ['too many fields', put(manyFields)],
      ['JSON body', put('{"file":"x"}', { 'content-type': 'application/json' }), 415],
      ['raw image body', put(img, { 'content-type': 'image/png' }), 415],
      ['urlencoded', put('file=abc', { 'content-type': 'application/x-www-form-urlencoded' }), 415],
      ['no body', put('')],
      [
        'broken multipart',
        put('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc', {
          'content-type': 'multipart/form-data; boundary=xyz',
        }),
      ],
      ['multipart without boundary', put('abc', { 'content-type': 'multipart/form-data' })],
    ];
    for (const [name, pending, expected] of cases) {
      const res = await pending;
      if (expected !== undefined) expect(res.status, name).toBe(expected);
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      expect(isErrorShape(res.body), name).toBe(true);
    }
    expect((await t.api.get('/api/users/me', { token: u.token })).body.avatarUrl).toBeNull();
    expect(await avatarRows(t, u.id)).toEqual([]);
  });
});

describe('DELETE /api/users/me/avatar', () => {
  it('clears the avatar and deletes its files and row', async () => {
    const u = await registerUser(t.api);
    const up = await upload(t, u, await png());
    const key = keyOf(up.body.avatarUrl);
    expect(filesOfKey(t, key)).toHaveLength(3);

    const del = await t.api.delete('/api/users/me/avatar', { token: u.token });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: u.id, avatarUrl: null, email: u.email });
    expect(filesOfKey(t, key)).toEqual([]);
    expect(await avatarRows(t, u.id)).toEqual([]);
    expect((await fetchFile(t, up.body.avatarUrl)).status).toBe(404);
    expect((await t.api.get('/api/users/me', { token: u.token })).body.avatarUrl).toBeNull();
    expect((await t.api.get(`/api/users/${u.id}`, { token: u.token })).body.avatarUrl).toBeNull();

    const again = await t.api.delete('/api/users/me/avatar', { token: u.token });
    expect(again.status).toBe(200);
    expect(again.body.avatarUrl).toBeNull();
  });

  it("leaves other users' avatars alone", async () => {
    const a = await registerUser(t.api);
    const b = await registerUser(t.api);
    const keyA = keyOf((await upload(t, a, await png())).body.avatarUrl);
    const keyB = keyOf((await upload(t, b, await png())).body.avatarUrl);
    expect((await t.api.delete('/api/users/me/avatar', { token: a.token })).status).toBe(200);
    expect(filesOfKey(t, keyA)).toEqual([]);
    expect(filesOfKey(t, keyB)).toHaveLength(3);
    expect((await avatarRows(t, b.id)).map((r) => r.storage_key)).toEqual([keyB]);
  });
});

describe('GET /files/avatars/:name', () => {
  it('serves with nosniff, inline, a sandboxing CSP and immutable caching, without auth', async () => {
    const u = await registerUser(t.api);
    const up = await upload(t, u, await png());
    for (const method of ['GET', 'HEAD']) {
      const res = await fetchFile(t, up.body.avatarUrl, method);
      expect(res.status, method).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toBe('inline');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('set-cookie')).toBeNull();
      if (method === 'GET') expect(res.bytes.toString('latin1', 0, 4)).toBe('RIFF');
    }
  });

  it('answers 404 in the error shape for traversal and any name that is not ours', async () => {
    const u = await registerUser(t.api);
    const up = await upload(t, u, await png());
    const key = keyOf(up.body.avatarUrl);
    // The control: the real name is served over the same raw client.
    expect((await rawGet(t, `/files/avatars/${key}-256.webp`)).status).toBe(200);

    const names = [
      '../../etc/passwd',
      '..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '..%2fparley.db',
      '..%252fparley.db',
      '..%5c..%5cparley.db',
      '....//....//etc/passwd',
      `..%2favatars%2f${key}-256.webp`,
      `${key}-256.webp%00.png`,
      `a%00.png`,
      `${key}-256.webp%00`,
      'CON',
      'con.webp',
      'NUL',
      `${key.toUpperCase()}-256.webp`,
      `${key}-128.webp`,
      `${key}-256.png`,
      `${key}-256.webp.png`,
      `${key}-256.webp%0a`,
      `${key}-256.webp/`,
      `${key.slice(1)}-256.webp`,
      `${'0'.repeat(32)}-256.webp`,
      '',
    ];
    for (const name of names) {
      const res = await rawGet(t, `/files/avatars/${name}`);
      expect(res.status, name).toBe(404);
      expect(res.type, name).toContain('application/json');
      expect(isErrorShape(JSON.parse(res.body)), name).toBe(true);
      expect(res.body, name).not.toMatch(/root:|SQLite format/);
    }
  });
});

describe('API docs', () => {
  it('describe the avatar and file routes', async () => {
    const res = await t.api.get('/api/docs/json');
    expect(res.status).toBe(200);
    const doc = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
    expect(Object.keys(doc.paths['/api/users/me/avatar']).sort()).toEqual(['delete', 'put']);
    expect(doc.paths['/files/avatars/{name}'].get.security).toEqual([]);
  });
});

describe('upload limits', () => {
  it('refuses a file over MAX_UPLOAD_MB with 413 and writes nothing', async () => {
    const small = await startTestServer({ MAX_UPLOAD_MB: '0.05' });
    try {
      const u = await registerUser(small.api);
      const noisy = await sharp({
        create: {
          width: 300,
          height: 300,
          channels: 3,
          background: '#000000',
          noise: { type: 'gaussian', mean: 128, sigma: 60 },
        },
      })
        .png()
        .toBuffer();
      expect(noisy.length).toBeGreaterThan(0.05 * 1024 * 1024 * 2);
      const res = await upload(small, u, noisy);
      expect(res.status, res.text).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
      expect(avatarFiles(small)).toEqual([]);
      expect(await avatarRows(small, u.id)).toEqual([]);
      // Nothing but the database (and the avatar folder, once used) lives in DATA_DIR.
      const allowed = /^(parley\.db(-wal|-shm|-journal)?|avatars)$/;
      expect(readdirSync(small.db.dataDir).filter((f) => !allowed.test(f))).toEqual([]);

      // The control: a small image passes on the same server.
      const ok = await upload(small, u, await png());
      expect(ok.status, ok.text).toBe(200);
      expect(avatarFiles(small)).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it('throttles uploads per user with 429 and Retry-After', async () => {
    const limited = await startTestServer({ RATE_LIMIT_UPLOADS_PER_HOUR: '2' });
    try {
      const u = await registerUser(limited.api);
      const img = await png();
      expect((await upload(limited, u, img)).status).toBe(200);
      const second = await upload(limited, u, img);
      expect(second.status).toBe(200);
      const third = await upload(limited, u, img);
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('rate_limited');
      const retry = Number(third.headers.get('retry-after'));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(3600);
      const me = await limited.api.get('/api/users/me', { token: u.token });
      expect(me.body.avatarUrl).toBe(second.body.avatarUrl);

      // The limit is per user.
      const other = await registerUser(limited.api);
      expect((await upload(limited, other, img)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
