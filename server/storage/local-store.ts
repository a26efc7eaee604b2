import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, type FileStore, type StoredObject } from './file-store.js';

/**
 * Objects as files under one folder (FILE_STORE_DIR, by default DATA_DIR): `avatars/…` and
 * `uploads/<shard>/…`. A write goes to a hidden temporary file beside its target and is renamed
 * into place once complete, so a reader never sees half a file; a failed write removes it.
 * Folders are made on the first write into them.
 */
export class LocalFileStore implements FileStore {
  readonly kind = 'local';

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer | Readable, _contentType: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(
      path.dirname(target),
      `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: { start: number; end: number }): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) {
        await handle.close();
        return { body: Readable.from([]), length: 0 };
      }
      const start = range ? Math.min(range.start, size) : 0;
      const end = range ? Math.min(range.end, size - 1) : size - 1;
      // The stream takes the open handle: a file deleted meanwhile is still read whole.
      const body = createReadStream('', { fd: handle, start, end, autoClose: true });
      return { body, length: Math.max(0, end - start + 1) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(this.pathOf(k), { force: true })));
  }

  async check(): Promise<void> {
    await access(this.root);
  }

  close(): void {}
}
