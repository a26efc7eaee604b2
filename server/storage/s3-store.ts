import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStoreConfig } from '../config.js';
import { checkKey, type FileStore, type StoredObject } from './file-store.js';

type S3Config = Extract<FileStoreConfig, { kind: 's3' }>;

const MiB = 1024 * 1024;
/** S3's smallest part (but the last). */
export const MIN_PART_BYTES = 5 * MiB;
/** S3's most parts in one upload: very big objects take bigger parts. */
const MAX_PARTS = 10_000;

/** When an object goes up in parts, and how big they are. */
export interface MultipartOptions {
  /** Objects above this size go up as a multipart upload (default 64 MiB), others in one PUT. */
  above: number;
  /** Bytes per part (default 16 MiB; at least 5 MiB, S3's smallest). */
  partBytes: number;
}

const DEFAULT_MULTIPART: MultipartOptions = { above: 64 * MiB, partBytes: 16 * MiB };
/** Parts of one object sent at once. */
const PART_CONCURRENCY = 4;
/** A spool file older than this is left over from a stopped process. */
const STALE_SPOOL_MS = 60 * 60 * 1000;

function isMissing(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return (
      err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404
    );
  }
  return false;
}

/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …).
 *
 * A stream is first spooled to a file on local disk (`<DATA_DIR>/spool`), then sent with its
 * length known: as one PUT up to 64 MiB, else as a multipart upload whose parts are read
 * straight from the spool file, several at once. Memory stays a few stream buffers per upload
 * whatever the object's size (sending a stream of unknown length would need each 5 MiB part in
 * memory), and a slow client never holds an S3 request open. A failed upload is aborted and
 * its spool file removed, so nothing stays behind.
 */
export class S3FileStore implements FileStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private spoolReady: Promise<void> | null = null;

  constructor(
    config: S3Config,
    private readonly spoolDir: string,
    private readonly multipart: MultipartOptions = DEFAULT_MULTIPART,
  ) {
    if (multipart.partBytes < MIN_PART_BYTES) throw new Error('S3 parts are at least 5 MiB');
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint && { endpoint: config.endpoint }),
      ...(config.accessKeyId &&
        config.secretAccessKey && {
          credentials: {
            accessKeyId: config.accessKeyId,
            secretAccessKey: config.secretAccessKey,
          },
        }),
      // Checksums only where S3 requires them: several S3-compatible servers refuse the
      // newer streaming-checksum encoding that the SDK would otherwise use for every upload.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private keyOf(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  /** Makes the spool folder, once, and removes what a stopped process left in it. */
  private spool(): Promise<void> {
    this.spoolReady ??= (async () => {
      await mkdir(this.spoolDir, { recursive: true, mode: 0o700 });
      const cutoff = Date.now() - STALE_SPOOL_MS;
      for (const name of await readdir(this.spoolDir)) {
        const file = path.join(this.spoolDir, name);
        const s = await stat(file).catch(() => null);
        if (s && s.mtimeMs < cutoff) await rm(file, { force: true });
      }
    })().catch((err: unknown) => {
      this.spoolReady = null;
      throw err;
    });
    return this.spoolReady;
  }

  async put(key: string, body: Buffer | Readable, contentType: string): Promise<void> {
    const Key = this.keyOf(key);
    if (Buffer.isBuffer(body)) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentType: contentType }),
      );
      return;
    }
    await this.spool();
    const file = path.join(this.spoolDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      await pipeline(body, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      const { size } = await stat(file);
      if (size <= this.multipart.above) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: createReadStream(file),
            ContentLength: size,
            ContentType: contentType,
          }),
        );
      } else {
        await this.putParts(Key, file, size, contentType);
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  /** A multipart upload of the spool file `file`, aborted if any part fails. */
  private async putParts(
    Key: string,
    file: string,
    size: number,
    contentType: string,
  ): Promise<void> {
    const partBytes = Math.max(this.multipart.partBytes, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partBytes);
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error('S3 started a multipart upload without an upload id');
    try {
      const etags: string[] = new Array<string>(count);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const start = i * partBytes;
          const end = Math.min(size, start + partBytes);
          const r = await this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key,
              UploadId,
              PartNumber: i + 1,
              Body: createReadStream(file, { start, end: end - 1 }),
              ContentLength: end - start,
            }),
          );
          if (!r.ETag) throw new Error(`S3 took part ${i + 1} without an ETag`);
          etags[i] = r.ETag;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<StoredObject | null> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(key),
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      if (!(r.Body instanceof Readable)) throw new Error('S3 answered without a body stream');
      return { body: r.Body, length: Number(r.ContentLength ?? 0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    // One request per key: DeleteObjects needs Content-MD5, which some compatible servers lack.
    await Promise.all(
      keys.map((k) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(k) })),
      ),
    );
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}
