// TESTPLAN S20–S25 for message attachments, on local disk and on S3 (s3rver): type spoofing,
// EXIF/GPS, pixel and frame bombs, size and quota while streaming, multipart limits, serving
// headers (RFC 6266 names), path traversal.
import http from 'node:http';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorShape, registerUser, type TestUser } from '../helpers/api.js';
import { Chat } from '../helpers/chat.js';
import {
  fetchBytes,
  fileRow,
  gif,
  noise,
  png,
  rawUpload,
  solid,
  storeProbe,
  upload,
  type StoreProbe,
} from '../helpers/files.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const GENERATED = /^uploads\/[0-9a-f]{2}\/[0-9a-f]{32}(-thumb\.webp)?$/;

/**
 * A 300×200 JPEG stored sideways: left half red, right half blue, EXIF orientation 6 (shown
 * rotated 90° clockwise: upright it is red on top, blue below), with a GPS position and XMP.
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
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>SecretAuthor</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>',
    )
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

/** An animated GIF of `frames` frames. */
async function animatedGif(side: number, frames: number): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * frames * 3);
  for (let f = 0; f < frames; f++) {
    raw.fill(f % 2 === 0 ? 0xe0 : 0x20, f * side * side * 3, (f + 1) * side * side * 3);
  }
  return sharp(raw, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } })
    .gif({ effort: 1 })
    .toBuffer();
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

/** GET with the path sent exactly as written (fetch would normalise `..` and `%2e`). */
function rawGet(t: TestServer, rawPath: string, token: string) {
  const { hostname, port } = new URL(t.url);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        path: rawPath,
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Decodes an RFC 8187 `filename*=UTF-8''…` value. */
function extValue(header: string): string {
  const m = /filename\*=UTF-8''([^;\s]+)$/.exec(header);
  if (!m) throw new Error(`no filename* in ${header}`);
  return decodeURIComponent(m[1]!);
}

// Generated once: the bombs take a moment to make.
let pixelBomb: Buffer;
let frameBomb: Buffer;
beforeAll(async () => {
  pixelBomb = await solid(14000, 14000, '#ffffff').png({ compressionLevel: 9 }).toBuffer();
  // 3000 frames of 128×128 (49 megapixels in all).
  frameBomb = await animatedGif(128, 3000);
}, 120_000);

describe.each(['local', 's3'] as const)('attachment security on %s storage', (kind) => {
  let t: TestServer;
  let s3: TestS3 | null = null;
  let store: StoreProbe;
  let chat: Chat;

  beforeAll(async () => {
    if (kind === 's3') s3 = await startTestS3();
    t = await startTestServer({ ...s3?.env, MESSAGES_PER_SECOND: '10000' });
    store = storeProbe(t, s3);
    chat = new Chat(t.api);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  const users = (n: number) => Promise.all(Array.from({ length: n }, () => registerUser(t.api)));
  const rowsOf = (u: TestUser) =>
    t.deps.db.selectFrom('files').selectAll().where('owner_id', '=', u.id).execute();

  /** Every header a served file must carry. */
  function expectSafeHeaders(h: Headers, inline: boolean): void {
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    const cd = h.get('content-disposition') ?? '';
    expect(cd.startsWith(inline ? 'inline; ' : 'attachment; '), cd).toBe(true);
    expect(cd).toMatch(/^(inline|attachment); filename="[\x20-\x7e]*"; filename\*=UTF-8''\S+$/);
    expect(h.get('set-cookie')).toBeNull();
    if (!inline) expect(h.get('content-type')).toBe('application/octet-stream');
  }

  describe('S20 type spoofing', () => {
    it('judges by the bytes: HTML, SVG and executables are never served inline', async () => {
      const [a] = await users(1);
      const cases: Array<[string, Buffer, string, string]> = [
        [
          'HTML named .png',
          Buffer.from(
            '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
          ),
          'cute.png',
          'image/png',
        ],
        [
          'SVG with script',
          Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
          ),
          'icon.svg',
          'image/svg+xml',
        ],
        ['EXE named .jpg', fakeExe(), 'holiday.jpg', 'image/jpeg'],
      ];
      for (const [what, bytes, name, type] of cases) {
        const res = await upload(t.api, a!, bytes, name, type);
        expect(res.status, what).toBe(201);
        expect(res.body.mime, what).not.toMatch(/^image\/|html|svg|xml|javascript/);
        expect([res.body.width, res.body.height, res.body.thumbnailUrl], what).toEqual([
          null,
          null,
          null,
        ]);
        const got = await fetchBytes(t, res.body.url, { token: a!.token });
        expect(got.status, what).toBe(200);
        expectSafeHeaders(got.headers, false);
        expect(got.bytes.equals(bytes), what).toBe(true);
      }
      const exe = await upload(t.api, a!, fakeExe(), 'x.jpg', 'image/jpeg');
      expect(exe.body.mime).toBe('application/x-msdownload');
    });

    it('re-encodes a GIF/JS polyglot into a clean GIF', async () => {
      const poly = await gifJsPolyglot();
      expect(poly.toString('latin1', 0, 8)).toBe('GIF89a/*');
      expect((await sharp(poly).metadata()).format).toBe('gif');
      const [a] = await users(1);
      const res = await upload(t.api, a!, poly, 'innocent.gif', 'image/gif');
      expect(res.status, res.text).toBe(201);
      expect(res.body.mime).toBe('image/gif');
      const got = await fetchBytes(t, res.body.url, { token: a!.token });
      expectSafeHeaders(got.headers, true);
      expect(got.headers.get('content-type')).toBe('image/gif');
      expect(got.bytes.equals(poly)).toBe(false);
      expect(got.bytes.toString('latin1', 0, 6)).toBe('GIF89a');
      expect(got.bytes.includes('alert')).toBe(false);
      expect(got.bytes.includes('/*')).toBe(false);
      expect((await sharp(got.bytes).metadata()).width).toBe(16);
    });

    it('refuses an image it cannot decode with 415 and keeps nothing', async () => {
      const [a] = await users(1);
      const broken = Buffer.concat([
        Buffer.from(await png(300, 200)).subarray(0, 60),
        Buffer.from('x'.repeat(200)),
      ]);
      const before = await store.uploads();
      const res = await upload(t.api, a!, broken, 'broken.png', 'image/png');
      expect(res.status, res.text).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
      expect(await store.uploads()).toEqual(before);
      expect(await rowsOf(a!)).toEqual([]);
    });
  });

  it('S21 strips EXIF, GPS and XMP and turns the image upright', async () => {
    const jpeg = await sidewaysJpegWithGps();
    // The fixture really carries what must not leak.
    expect((await exifr.gps(jpeg))?.latitude).toBeCloseTo(48.8567, 3);
    expect((await exifr.parse(jpeg, ['Orientation']))?.Orientation).toBe('Rotate 90 CW');
    expect(jpeg.includes('SecretAuthor')).toBe(true);

    const [a] = await users(1);
    const res = await upload(t.api, a!, jpeg, 'holiday.jpg', 'image/jpeg');
    expect(res.status, res.text).toBe(201);
    // Upright: 200 wide, 300 high.
    expect(res.body).toMatchObject({ mime: 'image/jpeg', width: 200, height: 300 });
    const row = await fileRow(t, res.body.id);
    for (const [url, stored] of [
      [res.body.url, await store.read(row!.storage_key)],
      [res.body.thumbnailUrl, await store.read(row!.thumb_key!)],
    ] as const) {
      const got = await fetchBytes(t, url, { token: a!.token });
      expect(got.status).toBe(200);
      expect(got.bytes.equals(stored)).toBe(true);
      expect(got.bytes.equals(jpeg)).toBe(false);
      expect(await exifr.parse(got.bytes, true).catch(() => undefined)).toBeFalsy();
      expect(await exifr.gps(got.bytes).catch(() => undefined)).toBeFalsy();
      for (const leak of ['GPS', 'TestCam', 'SecretAuthor', 'Exif', 'xmpmeta']) {
        expect(got.bytes.includes(leak), leak).toBe(false);
      }
      const meta = await sharp(got.bytes).metadata();
      expect([meta.exif, meta.xmp, meta.iptc, meta.orientation]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      // Red on top, blue below (unrotated it would be red left, blue right).
      const w = meta.width;
      const h = meta.height;
      expect(h).toBeGreaterThan(w);
      const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60;
      const isBlue = ([r, g, b]: number[]) => r! < 60 && g! < 60 && b! > 200;
      expect(isRed(await pixel(got.bytes, Math.floor(w / 4), Math.floor(h / 8)))).toBe(true);
      expect(isRed(await pixel(got.bytes, Math.floor((3 * w) / 4), Math.floor(h / 8)))).toBe(true);
      expect(isBlue(await pixel(got.bytes, Math.floor(w / 4), Math.floor((7 * h) / 8)))).toBe(true);
      expect(isBlue(await pixel(got.bytes, Math.floor((3 * w) / 4), Math.floor((7 * h) / 8)))).toBe(
        true,
      );
    }
  });

  describe('S22 pixel and frame bombs', () => {
    it('refuses a 14000×14000 PNG with 413 before decoding it', async () => {
      expect(pixelBomb.length).toBeLessThan(2 * 1024 * 1024);
      const [a] = await users(1);
      const before = await store.uploads();
      const { result: res, growthMb } = await withRssPeak(() =>
        upload(t.api, a!, pixelBomb, 'bomb.png', 'image/png'),
      );
      expect(res.status, res.text).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
      expect(res.body.error.message).toMatch(/14000×14000.*megapixels/);
      expect(growthMb).toBeLessThan(150);
      expect(await store.uploads()).toEqual(before);
      expect(await rowsOf(a!)).toEqual([]);
    });

    it('refuses an animated GIF of thousands of frames with 413, keeps a small animation animated', async () => {
      expect((await sharp(frameBomb).metadata()).pages).toBe(3000);
      const [a] = await users(1);
      const before = await store.uploads();
      const { result: res, growthMb } = await withRssPeak(() =>
        upload(t.api, a!, frameBomb, 'anim.gif', 'image/gif'),
      );
      expect(res.status, res.text).toBe(413);
      expect(res.body.error.message).toMatch(/3000 frames/);
      expect(growthMb).toBeLessThan(150);
      expect(await store.uploads()).toEqual(before);

      const small = await animatedGif(64, 12);
      const ok = await upload(t.api, a!, small, 'small.gif', 'image/gif');
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body).toMatchObject({ mime: 'image/gif', width: 64, height: 64 });
      const got = await fetchBytes(t, ok.body.url, { token: a!.token });
      expect((await sharp(got.bytes).metadata()).pages).toBe(12);
      const thumb = await fetchBytes(t, ok.body.thumbnailUrl, { token: a!.token });
      expect((await sharp(thumb.bytes).metadata()).pages ?? 1).toBe(1);
    });
  });

  describe('S23 size, quota and multipart limits', () => {
    let limited: TestServer;
    let limitedStore: StoreProbe;
    beforeAll(async () => {
      limited = await startTestServer({ ...s3?.env, MAX_UPLOAD_MB: '6', UPLOAD_QUOTA_MB: '7' });
      limitedStore = storeProbe(limited, s3);
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('refuses a file over MAX_UPLOAD_MB with 413 while streaming, leaving nothing behind', async () => {
      const u = await registerUser(limited.api);
      const before = await limitedStore.uploads();
      // On S3, the upload's spool file is being written when the limit is hit.
      for (const size of [6 * 1024 * 1024 + 1, 8 * 1024 * 1024]) {
        const res = await upload(limited.api, u, noise(size), 'huge.bin');
        expect(res.status, res.text).toBe(413);
        expect(res.body.error.code).toBe('payload_too_large');
        expect(res.body.error.message).toMatch(/MAX_UPLOAD_MB/);
        expect(await limitedStore.uploads()).toEqual(before);
      }
      // Nor an image read whole before decoding.
      const bigPng = Buffer.concat([await png(10, 10), noise(6 * 1024 * 1024)]);
      expect((await upload(limited.api, u, bigPng, 'big.png', 'image/png')).status).toBe(413);
      expect(await limitedStore.uploads()).toEqual(before);
      expect(
        await limited.deps.db
          .selectFrom('files')
          .selectAll()
          .where('owner_id', '=', u.id)
          .execute(),
      ).toEqual([]);
      // The control: just under the limit passes.
      const ok = await upload(limited.api, u, noise(6 * 1024 * 1024 - 1000), 'fits.bin');
      expect(ok.status, ok.text).toBe(201);
      expect(await limitedStore.uploads()).toHaveLength(before.length + 1);
    });

    it('enforces UPLOAD_QUOTA_MB per user, naming the quota, also in the middle of a stream', async () => {
      const [u, other] = await Promise.all([registerUser(limited.api), registerUser(limited.api)]);
      const first = await upload(limited.api, u, noise(4 * 1024 * 1024), 'one.bin');
      expect(first.status, first.text).toBe(201);
      const before = await limitedStore.uploads();
      // 4 + 4 MB > 7 MB: refused once the stream passes the room left.
      const second = await upload(limited.api, u, noise(4 * 1024 * 1024), 'two.bin');
      expect(second.status, second.text).toBe(413);
      expect(second.body.error.code).toBe('payload_too_large');
      expect(second.body.error.message).toMatch(/quota of 7 MB \(UPLOAD_QUOTA_MB\)/);
      expect(await limitedStore.uploads()).toEqual(before);
      // The quota is per user.
      expect((await upload(limited.api, other, noise(4 * 1024 * 1024), 'o.bin')).status).toBe(201);
      // Taking the first back frees its room.
      expect(
        (await limited.api.delete(`/api/uploads/${first.body.id}`, { token: u.token })).status,
      ).toBe(204);
      expect((await upload(limited.api, u, noise(4 * 1024 * 1024), 'two.bin')).status).toBe(201);
    });

    it('refuses extra files and fields, and takes back a file stored before them', async () => {
      const [a] = await users(1);
      const before = await store.uploads();
      const file = noise(1000);
      const post = (raw: FormData | string, headers: Record<string, string> = {}) =>
        t.api.post('/api/uploads', undefined, { token: a!.token, raw, headers });
      const fd = (...parts: Array<[string, string | Blob, string?]>) => {
        const f = new FormData();
        for (const [name, value, filename] of parts) {
          if (typeof value === 'string') f.append(name, value);
          else f.append(name, value, filename);
        }
        return f;
      };
      const blob = new Blob([file]);
      const manyFields = new FormData();
      for (let i = 0; i < 6; i++) manyFields.append(`f${i}`, 'x');
      const cases: Array<[string, Promise<{ status: number; body: any }>, number]> = [
        ['two files', post(fd(['file', blob, 'a.bin'], ['file', blob, 'b.bin'])), 400],
        ['file then a field', post(fd(['file', blob, 'a.bin'], ['caption', 'hi'])), 400],
        ['a field then the file', post(fd(['caption', 'hi'], ['file', blob, 'a.bin'])), 400],
        ['file under another name', post(fd(['upload', blob, 'a.bin'])), 400],
        ['text in the file field', post(fd(['file', 'just text'])), 400],
        ['no parts', post(new FormData()), 400],
        ['an empty file', post(fd(['file', new Blob([]), 'empty.bin'])), 400],
        ['too many fields', post(manyFields), 413],
        ['JSON', post('{"file":"x"}', { 'content-type': 'application/json' }), 415],
        ['multipart without boundary', post('abc', { 'content-type': 'multipart/form-data' }), 400],
      ];
      for (const [what, pending, status] of cases) {
        const res = await pending;
        expect(res.status, what).toBe(status);
        expect(isErrorShape(res.body), what).toBe(true);
      }
      expect(await store.uploads()).toEqual(before);
      expect(await rowsOf(a!)).toEqual([]);
    });

    it('throttles uploads per user (RATE_LIMIT_ATTACHMENTS_PER_HOUR) with 429', async () => {
      const throttled = await startTestServer({ ...s3?.env, RATE_LIMIT_ATTACHMENTS_PER_HOUR: '2' });
      try {
        const [u, v] = await Promise.all([
          registerUser(throttled.api),
          registerUser(throttled.api),
        ]);
        expect((await upload(throttled.api, u, noise(10))).status).toBe(201);
        expect((await upload(throttled.api, u, noise(10))).status).toBe(201);
        const third = await upload(throttled.api, u, noise(10));
        expect(third.status).toBe(429);
        expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await upload(throttled.api, v, noise(10))).status).toBe(201);
        // Avatars keep their own budget (RATE_LIMIT_UPLOADS_PER_HOUR).
        const fd = new FormData();
        fd.append('file', new Blob([await png()], { type: 'image/png' }), 'a.png');
        const avatar = await throttled.api.put('/api/users/me/avatar', undefined, {
          token: u.token,
          raw: fd,
        });
        expect(avatar.status).toBe(200);
      } finally {
        await throttled.close();
      }
    });
  });

  describe('S24 serving headers', () => {
    it('every file response: nosniff, CSP sandbox, inline only for the image allowlist', async () => {
      const [a, b, outsider] = await users(3);
      const dm = await chat.direct(a!, b!);
      const img = (await upload(t.api, a!, await png(50, 50), 'p.png', 'image/png')).body;
      const doc = (await upload(t.api, a!, noise(300), 'd.bin')).body;
      const sent = await t.api.post(
        `/api/conversations/${dm.id}/messages`,
        { body: 'files', attachmentIds: [img.id, doc.id] },
        { token: a!.token },
      );
      expect(sent.status).toBe(201);
      const responses: Array<[string, Awaited<ReturnType<typeof fetchBytes>>, boolean]> = [
        ['image', await fetchBytes(t, img.url, { token: b!.token }), true],
        ['thumbnail', await fetchBytes(t, img.thumbnailUrl, { token: b!.token }), true],
        ['download', await fetchBytes(t, doc.url, { token: b!.token }), false],
        [
          'range',
          await fetchBytes(t, doc.url, { token: b!.token, headers: { range: 'bytes=0-9' } }),
          false,
        ],
        ['HEAD', await fetchBytes(t, doc.url, { token: b!.token, method: 'HEAD' }), false],
      ];
      for (const [what, res, inline] of responses) {
        expect(res.status, what).toBeLessThan(300);
        expectSafeHeaders(res.headers, inline);
      }
      expect(responses[0]![1].headers.get('content-type')).toBe('image/png');
      expect(responses[1]![1].headers.get('content-type')).toBe('image/webp');
      // Non-members: 404, the same as for a file that does not exist.
      const none = await fetchBytes(t, '/api/files/99999999', { token: outsider!.token });
      for (const url of [img.url, img.thumbnailUrl, doc.url]) {
        const res = await fetchBytes(t, url, { token: outsider!.token });
        expect(res.status).toBe(404);
        expect(res.text).toBe(none.text);
      }
    });

    it('encodes names with quotes, CRLF and Unicode by RFC 6266: nothing injects a header', async () => {
      const [a] = await users(1);
      const names: Array<[string, string]> = [
        ['say "hi".txt', 'say "hi".txt'],
        ['x"; filename="evil.html', 'x"; filename="evil.html'],
        ['résumé 📄 日本.pdf', 'résumé 📄 日本.pdf'],
        ['100% \\back\\slash;semi=colon.txt', '100% _back_slash;semi=colon.txt'],
        ['tab\tand\u202Egnp.exe', 'tabandgnp.exe'],
      ];
      for (const [sent, shown] of names) {
        const res = await rawUpload(t.api, a!, noise(64), sent);
        expect(res.status, res.text).toBe(201);
        expect(res.body.name).toBe(shown);
        const got = await fetchBytes(t, res.body.url, { token: a!.token });
        expect(got.status).toBe(200);
        expectSafeHeaders(got.headers, false);
        const cd = got.headers.get('content-disposition')!;
        expect(extValue(cd)).toBe(shown);
        expect(got.headers.get('set-cookie')).toBeNull();
        // One quoted ASCII filename and one encoded filename*, nothing more.
        expect(cd).toMatch(
          /^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]+$/,
        );
        const fallback = /filename="([^"]*)"/.exec(cd)![1]!;
        expect(fallback).not.toMatch(/["\\;%]/);
      }
      // A name with a line break never gets here: the multipart parser drops the part.
      const before = await store.uploads();
      for (const name of ['evil\r\nSet-Cookie: stolen=1.txt', 'a\nb', 'a\rb']) {
        const res = await rawUpload(t.api, a!, noise(64), name);
        expect(res.status, JSON.stringify(name)).toBe(400);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      expect(await store.uploads()).toEqual(before);
    });
  });

  describe('S25 path traversal', () => {
    it('stores every name under a generated key and keeps the name for display only', async () => {
      const [a] = await users(1);
      const names: Array<[string, string]> = [
        ['../../etc/passwd', '.._.._etc_passwd'],
        ['..%2f..%2fparley.db', '..%2f..%2fparley.db'],
        ['a\0.png', 'a.png'],
        ['CON', 'CON'],
        ['C:\\Windows\\system32\\evil.exe', 'C:_Windows_system32_evil.exe'],
        ['/absolute/path', '_absolute_path'],
        ['x'.repeat(300), 'x'.repeat(255)],
        ['\u0001\u0002', 'file'],
      ];
      for (const [sent, shown] of names) {
        const res = await rawUpload(t.api, a!, noise(32), sent);
        expect(res.status, res.text).toBe(201);
        expect(res.body.name).toBe(shown);
        const row = await fileRow(t, res.body.id);
        expect(row!.storage_key).toMatch(GENERATED);
        expect(await store.has(row!.storage_key)).toBe(true);
      }
      for (const key of await store.uploads()) expect(key).toMatch(GENERATED);
    });

    it('answers 404 in the error shape for traversal and any id that is not a plain number', async () => {
      const [a] = await users(1);
      const f = (await upload(t.api, a!, noise(100), 'ok.bin')).body;
      expect((await rawGet(t, `/api/files/${f.id}`, a!.token)).status).toBe(200);
      const paths = [
        '/api/files/../../etc/passwd',
        '/api/files/..%2f..%2f..%2fetc%2fpasswd',
        '/api/files/%2e%2e%2f%2e%2e%2fparley.db',
        '/api/files/..%252fparley.db',
        '/api/files/..%5c..%5cparley.db',
        `/api/files/${f.id}%00`,
        `/api/files/${f.id}%2f..`,
        `/api/files/${f.id}/..%2fthumbnail`,
        `/api/files/${f.id}/thumbnail/..`,
        `/api/files/0${f.id}`,
        `/api/files/-${f.id}`,
        `/api/files/${f.id}.0`,
        '/api/files/0x1',
        '/api/files/1e3',
        '/api/files/CON',
        '/api/files/99999999999999999999',
        '/api/files/',
      ];
      for (const p of paths) {
        const res = await rawGet(t, p, a!.token);
        expect(res.status, p).toBe(404);
        expect(res.type, p).toContain('application/json');
        expect(isErrorShape(JSON.parse(res.body)), p).toBe(true);
        expect(res.body, p).not.toMatch(/root:|SQLite format/);
      }
    });
  });
});
