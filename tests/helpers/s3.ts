import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** s3rver's one account: it checks every request's signature against these. */
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/** A real S3-compatible server (s3rver) in this process, on a free port, with one bucket. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** Environment for a Parley that keeps its files there. */
  env: Record<string, string>;
  /** A client of our own, to look at the bucket directly. */
  client: S3Client;
  /** Whether an object is there (key as Parley names it, before S3_PREFIX). */
  has(key: string): Promise<boolean>;
  /** The bytes of an object. */
  read(key: string): Promise<Buffer>;
  /** Every key in the bucket. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestS3(prefix = 'parley-test/'): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'parley-s3-'));
  const bucket = `parley-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    bucket,
    env: {
      FILE_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: SECRET_KEY,
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: prefix,
    },
    client,
    async has(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }));
        return true;
      } catch (err) {
        if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
        throw err;
      }
    },
    async read(key) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    },
    async keys() {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
