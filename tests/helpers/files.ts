import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Api, ApiResponse, TestUser } from './api.js';
import type { TestS3 } from './s3.js';
import type { TestServer } from './server.js';

/** Where a test server keeps its files, looked at directly (the disk, or the S3 bucket). */
export interface StoreProbe {
  kind: 'local' | 's3';
  /** Whether the object is stored. */
  has(key: string): Promise<boolean>;
  /** The stored bytes of an object. */
  read(key: string): Promise<Buffer>;
  /** Every stored object under `uploads/`, temporary and spool files included. */
  uploads(): Promise<string[]>;
}

function walk(dir: string, base: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name), `${base}${e.name}/`) : [`${base}${e.name}`],
  );
}

/** A probe of the store `t` uses: its DATA_DIR on local disk, else the S3 bucket. */
export function storeProbe(t: TestServer, s3: TestS3 | null): StoreProbe {
  if (s3) {
    const prefix = t.deps.config.fileStore.kind === 's3' ? t.deps.config.fileStore.prefix : '';
    return {
      kind: 's3',
      has: (key) => s3.has(key),
      read: (key) => s3.read(key),
      // Objects in the bucket, and the node's spool files of uploads under way.
      uploads: async () => [
        ...(await s3.keys())
          .filter((k) => k.startsWith(`${prefix}uploads/`))
          .map((k) => k.slice(prefix.length)),
        ...walk(path.join(t.db.dataDir, 'spool'), 'spool/'),
      ],
    };
  }
  const root = t.db.dataDir;
  return {
    kind: 'local',
    has: (key) => Promise.resolve(existsSync(path.join(root, key))),
    read: (key) => Promise.resolve(readFileSync(path.join(root, key))),
    uploads: () => Promise.resolve(walk(path.join(root, 'uploads'), 'uploads/').sort()),
  };
}

/** The row of an upload, straight from the database. */
export function fileRow(t: TestServer, id: number) {
  return t.deps.db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Uploads bytes as multipart/form-data in the field `file`. */
export function upload(
  api: Api,
  user: TestUser | null,
  bytes: Uint8Array,
  filename = 'file.bin',
  type = 'application/octet-stream',
): Promise<ApiResponse> {
  const fd = new FormData();
  fd.append('file', new Blob([bytes], { type }), filename);
  return api.post('/api/uploads', undefined, { ...(user && { token: user.token }), raw: fd });
}

/**
 * A multipart body written by hand, for file names a browser would escape: the name goes in
 * `filename*=UTF-8''…` (RFC 8187), which the server decodes.
 */
export function rawUpload(
  api: Api,
  user: TestUser,
  bytes: Uint8Array,
  name: string,
): Promise<ApiResponse> {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const encoded = Array.from(Buffer.from(name, 'utf8'))
    .map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'))
    .join('');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return api.post('/api/uploads', undefined, {
    token: user.token,
    raw: Buffer.concat([head, bytes, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

/** GETs a URL with a bearer token (or a cookie), returning status, headers and raw bytes. */
export async function fetchBytes(
  t: TestServer,
  url: string,
  opts: { token?: string; cookie?: string; headers?: Record<string, string>; method?: string } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await fetch(t.url + url, { method: opts.method ?? 'GET', headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
}

// ---------- images, made here ----------

export const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } });

export const png = (w = 40, h = 30, color = '#22aa44') => solid(w, h, color).png().toBuffer();
export const jpeg = (w = 40, h = 30, color = '#aa8800') => solid(w, h, color).jpeg().toBuffer();
export const gif = (w = 40, h = 30, color = '#cc3300') => solid(w, h, color).gif().toBuffer();
export const webp = (w = 40, h = 30, color = '#3366ff') => solid(w, h, color).webp().toBuffer();

/** Random bytes behind a plain-text start, so no type detector recognises them. */
export function noise(bytes: number): Buffer {
  const start = Buffer.from('parley test noise\n');
  return Buffer.concat([start, randomBytes(Math.max(0, bytes - start.length))]).subarray(0, bytes);
}
