import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { FileStoreConfig } from '../config.js';
import { checkKey, type FileStore, type StoredObject } from './file-store.js';

type S3Config = Extract<FileStoreConfig, { kind: 's3' }>;

/** S3's smallest part: a stream is sent in parts of this size, one at a time. */
const PART_BYTES = 5 * 1024 * 1024;

function isMissing(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return (
      err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404
    );
  }
  return false;
}

/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, …). A stream of unknown length
 * goes up as a multipart upload in 5 MiB parts, one part in memory at a time (a stream shorter
 * than one part as a single PUT); a failed upload is aborted, so no part stays behind.
 */
export class S3FileStore implements FileStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(config: S3Config) {
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

  async put(key: string, body: Buffer | Readable, contentType: string): Promise<void> {
    const Key = this.keyOf(key);
    if (Buffer.isBuffer(body)) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentType: contentType }),
      );
      return;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body, ContentType: contentType },
      partSize: PART_BYTES,
      queueSize: 1,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // The source may have failed after a single-part PUT was sent: make sure nothing stays.
      await this.delete([key]).catch(() => undefined);
      if (!body.destroyed) body.destroy();
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
