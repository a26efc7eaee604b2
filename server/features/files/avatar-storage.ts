import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AVATAR_SIZES } from '../../../protocol/limits.js';
import type { Config } from '../../config.js';
import type { Deps } from '../../context.js';
import type { Rendition } from './images.js';

/** A storage key: 128 random bits in lowercase hex, chosen by the server. */
const KEY_PATTERN = /^[0-9a-f]{32}$/;

/** The only file names ever served from the avatar directory. */
export const AVATAR_FILE_NAME = new RegExp(`^[0-9a-f]{32}-(${AVATAR_SIZES.join('|')})\\.webp$`);

/** A fresh, unguessable storage key. */
export function newStorageKey(): string {
  return randomBytes(16).toString('hex');
}

/** Where avatars live: `<DATA_DIR>/avatars`. */
export function avatarDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'avatars');
}

function fileName(key: string, size: number): string {
  if (!KEY_PATTERN.test(key)) throw new Error('Invalid avatar storage key');
  return `${key}-${size}.webp`;
}

/** Writes every rendition of a new avatar; on failure, removes what was written. */
export async function writeAvatarFiles(
  config: Pick<Config, 'dataDir'>,
  key: string,
  renditions: readonly Rendition[],
): Promise<void> {
  const dir = avatarDir(config);
  await mkdir(dir, { recursive: true });
  try {
    for (const r of renditions) {
      // `wx`: a new key never overwrites anything, even if randomness were to repeat.
      await writeFile(path.join(dir, fileName(key, r.size)), r.bytes, { flag: 'wx', mode: 0o644 });
    }
  } catch (err) {
    await removeAvatarFiles(config, key);
    throw err;
  }
}

/** Removes every rendition of an avatar; missing files are fine. */
export async function removeAvatarFiles(
  config: Pick<Config, 'dataDir'>,
  key: string,
): Promise<void> {
  if (!KEY_PATTERN.test(key)) return;
  const dir = avatarDir(config);
  await Promise.all(
    AVATAR_SIZES.map((size) => rm(path.join(dir, fileName(key, size)), { force: true })),
  );
}

/** Removes the files of avatars no longer referenced; a failure is logged, never reported. */
export async function discardAvatarFiles(
  deps: Pick<Deps, 'config' | 'log'>,
  keys: readonly string[],
): Promise<void> {
  for (const key of keys) {
    try {
      await removeAvatarFiles(deps.config, key);
    } catch (err) {
      deps.log.warn({ err, key }, 'could not delete old avatar files');
    }
  }
}

/** The bytes of one served avatar file, or null when the name is not ours or nothing is there. */
export async function readAvatarFile(
  config: Pick<Config, 'dataDir'>,
  name: string,
): Promise<Buffer | null> {
  // The name is checked against the exact pattern before it comes anywhere near a path.
  if (!AVATAR_FILE_NAME.test(name)) return null;
  try {
    return await readFile(path.join(avatarDir(config), name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
