import { randomBytes } from 'node:crypto';
import { AVATAR_SIZES } from '../../../protocol/limits.js';
import type { Deps } from '../../context.js';
import { readAll, type FileStore } from '../../storage/file-store.js';
import type { Rendition } from './images.js';

/** A storage key: 128 random bits in lowercase hex, chosen by the server. */
const KEY_PATTERN = /^[0-9a-f]{32}$/;

/** The only file names ever served as avatars. */
export const AVATAR_FILE_NAME = new RegExp(`^[0-9a-f]{32}-(${AVATAR_SIZES.join('|')})\\.webp$`);

/** A fresh, unguessable storage key. */
export function newStorageKey(): string {
  return randomBytes(16).toString('hex');
}

/** The object of one rendition: `avatars/<key>-<size>.webp` in the file store. */
function objectKey(key: string, size: number): string {
  if (!KEY_PATTERN.test(key)) throw new Error('Invalid avatar storage key');
  return `avatars/${key}-${size}.webp`;
}

/** Writes every rendition of a new avatar; on failure, removes what was written. */
export async function writeAvatarFiles(
  store: FileStore,
  key: string,
  renditions: readonly Rendition[],
): Promise<void> {
  try {
    for (const r of renditions) await store.put(objectKey(key, r.size), r.bytes, 'image/webp');
  } catch (err) {
    await removeAvatarFiles(store, key);
    throw err;
  }
}

/** Removes every rendition of an avatar; missing files are fine. */
export async function removeAvatarFiles(store: FileStore, key: string): Promise<void> {
  if (!KEY_PATTERN.test(key)) return;
  await store.delete(AVATAR_SIZES.map((size) => objectKey(key, size)));
}

/** Removes the files of avatars no longer referenced; a failure is logged, never reported. */
export async function discardAvatarFiles(
  deps: Pick<Deps, 'files' | 'log'>,
  keys: readonly string[],
): Promise<void> {
  for (const key of keys) {
    try {
      await removeAvatarFiles(deps.files, key);
    } catch (err) {
      deps.log.warn({ err, key }, 'could not delete old avatar files');
    }
  }
}

/** The bytes of one served avatar file, or null when the name is not ours or nothing is there. */
export async function readAvatarFile(store: FileStore, name: string): Promise<Buffer | null> {
  // The name is checked against the exact pattern before it comes anywhere near the store.
  if (!AVATAR_FILE_NAME.test(name)) return null;
  const obj = await store.get(`avatars/${name}`);
  return obj && readAll(obj);
}
