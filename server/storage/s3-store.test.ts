// The S3 store against a real S3-compatible server (s3rver, in this process): how a stream goes
// up (one PUT, or a multipart upload read from the spool file), and that a failure leaves
// nothing behind, in the bucket or in the spool folder.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestS3, type TestS3 } from '../../tests/helpers/s3.js';
import { MIN_PART_BYTES, S3FileStore } from './s3-store.js';

/** Small parts, so that a test object of a few MiB goes up in several. */
const PART_BYTES = MIN_PART_BYTES;
const multipart = { above: PART_BYTES, partBytes: PART_BYTES };

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `bytes` as a stream of 64 KiB chunks, failing with `failAt` bytes sent if given. */
function chunked(bytes: Buffer, failAt?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += 64 * 1024) {
        if (failAt !== undefined && at >= failAt) throw new Error('the client went away');
        yield bytes.subarray(at, at + 64 * 1024);
        await new Promise((r) => setImmediate(r));
      }
    })(),
  );
}

describe('S3 file store', () => {
  let s3: TestS3;
  let spool: string;
  let store: S3FileStore;
  /** The S3 commands the store sent, by name. */
  let commands: string[] = [];

  function storeOn(bucket: string): S3FileStore {
    const s = new S3FileStore(
      {
        kind: 's3',
        bucket,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        prefix: 'store-test/',
      },
      spool,
      multipart,
    );
    (s as unknown as { client: S3Client }).client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize' },
    );
    return s;
  }

  beforeAll(async () => {
    s3 = await startTestS3('store-test/');
    spool = path.join(mkdtempSync(path.join(tmpdir(), 'parley-spool-')), 'spool');
    store = storeOn(s3.bucket);
  });
  afterAll(async () => {
    store.close();
    await s3.close();
    rmSync(path.dirname(spool), { recursive: true, force: true });
  });
  beforeEach(() => {
    commands = [];
  });

  const key = () => `uploads/ab/${randomBytes(16).toString('hex')}`;

  it('sends a stream of up to one part as a single PUT', async () => {
    const bytes = randomBytes(PART_BYTES);
    const k = key();
    await store.put(k, chunked(bytes), 'application/octet-stream');
    expect(commands).toEqual(['PutObjectCommand']);
    expect(sha(await s3.read(k))).toBe(sha(bytes));
    expect(readdirSync(spool)).toEqual([]);
  });

  it('sends a bigger stream as a multipart upload, parts read from the spool file', async () => {
    const bytes = randomBytes(3 * PART_BYTES + 12345);
    const k = key();
    await store.put(k, chunked(bytes), 'application/octet-stream');
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(4);
    expect(commands[0]).toBe('CreateMultipartUploadCommand');
    expect(commands.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(sha(await s3.read(k))).toBe(sha(bytes));
    // The ranged read back matches too (parts joined in order).
    const part = await store.get(k, { start: PART_BYTES - 5, end: PART_BYTES + 4 });
    const got: Buffer[] = [];
    for await (const c of part!.body) got.push(c as Buffer);
    expect(Buffer.concat(got).equals(bytes.subarray(PART_BYTES - 5, PART_BYTES + 5))).toBe(true);
    expect(readdirSync(spool)).toEqual([]);
  });

  it('a source that fails midway stores nothing and leaves no spool file', async () => {
    const k = key();
    await expect(
      store.put(
        k,
        chunked(randomBytes(2 * PART_BYTES), PART_BYTES + MiB),
        'application/octet-stream',
      ),
    ).rejects.toThrow(/went away/);
    expect(commands).toEqual([]);
    expect(await s3.has(k)).toBe(false);
    expect(readdirSync(spool)).toEqual([]);
  });

  it('a refused upload (no such bucket) fails, aborting and cleaning up', async () => {
    const missing = storeOn('no-such-bucket-here');
    try {
      for (const size of [MiB, 2 * PART_BYTES]) {
        await expect(
          missing.put(key(), chunked(randomBytes(size)), 'application/octet-stream'),
        ).rejects.toThrow();
        expect(readdirSync(spool)).toEqual([]);
      }
      expect(commands).toContain('CreateMultipartUploadCommand');
    } finally {
      missing.close();
    }
  });

  it('removes spool files a stopped process left behind, and only old ones', async () => {
    const dir = path.join(path.dirname(spool), 'spool-2');
    mkdirSync(dir);
    const stale = path.join(dir, 'stale.part');
    const fresh = path.join(dir, 'fresh.part');
    writeFileSync(stale, 'left over');
    writeFileSync(fresh, 'being written by another process');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const s = new S3FileStore(
      {
        kind: 's3',
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        prefix: 'store-test/',
      },
      dir,
      multipart,
    );
    try {
      await s.put(key(), chunked(randomBytes(1000)), 'application/octet-stream');
      expect(existsSync(stale)).toBe(false);
      expect(readdirSync(dir)).toEqual(['fresh.part']);
    } finally {
      s.close();
    }
  });
});
