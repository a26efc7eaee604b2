import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FileStoreConfig } from '../config.js';
import { LocalFileStore } from './local-store.js';
import { S3FileStore } from './s3-store.js';

/**
 * Object keys are chosen by the server only, never taken from a request: a folder, an optional
 * two-hex-digit shard, 32 hex digits (128 random bits) and an optional fixed suffix. Every store
 * refuses any other key, so nothing a client sends can name a path or an object.
 */
export const OBJECT_KEY =
  /^(avatars|uploads)\/([0-9a-f]{2}\/)?[0-9a-f]{32}(-[a-z0-9]{1,16})?(\.[a-z]{1,8})?$/;

/** Throws unless the key is one the server could have made. */
export function checkKey(key: string): void {
  if (!OBJECT_KEY.test(key)) throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
}

/** A stored object opened for reading. */
export interface StoredObject {
  body: Readable;
  /** Bytes in `body` (the range's length for a range). */
  length: number;
}

/**
 * Where uploaded bytes live: local disk or an S3-compatible bucket, chosen by FILE_STORE. Writes
 * take a stream and never hold the whole object in memory; a write that fails leaves nothing
 * behind under its key, and no temporary data either.
 */
export interface FileStore {
  readonly kind: 'local' | 's3';
  /** Writes an object under a new key from bytes or a stream; resolves once it is stored. */
  put(key: string, body: Buffer | Readable, contentType: string): Promise<void>;
  /** Opens an object (or the inclusive byte range `start`…`end` of it); null when it is not there. */
  get(key: string, range?: { start: number; end: number }): Promise<StoredObject | null>;
  /** Deletes objects; keys that are not there are fine. */
  delete(keys: readonly string[]): Promise<void>;
  /** Throws when the store cannot be reached (checked once at start-up, to warn). */
  check(): Promise<void>;
  /** Lets go of connections (S3). */
  close(): void;
}

/**
 * The store the configuration names. An S3 store spools uploads under `<dataDir>/spool` before
 * sending them (see S3FileStore).
 */
export function createFileStore(config: FileStoreConfig, dataDir: string): FileStore {
  return config.kind === 'local'
    ? new LocalFileStore(config.dir)
    : new S3FileStore(config, path.join(dataDir, 'spool'));
}

/** Reads a whole (small) object into memory: avatars, never uploads. */
export async function readAll(obj: StoredObject): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of obj.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
