import type { Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import { readAvatarFile } from './avatar-storage.js';

/**
 * The bytes of one avatar file, by its public name. No sign-in is needed (an <img> cannot send
 * a bearer token); the 128-bit key in the name is what keeps it unguessable.
 */
export async function getAvatarFile(deps: Deps, name: string): Promise<Buffer> {
  const bytes = await readAvatarFile(deps.files, name);
  if (!bytes) throw notFound('No such file');
  return bytes;
}
