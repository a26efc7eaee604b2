import type { Deps } from '../../context.js';

/**
 * Removes stored objects whose rows are gone (committed). A failure is logged, never reported:
 * the change it follows has happened, and an object nobody points at is only wasted space.
 */
export async function discardObjects(
  deps: Pick<Deps, 'files' | 'log'>,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  try {
    await deps.files.delete(keys);
  } catch (err) {
    deps.log.warn({ err, keys }, 'could not delete stored files');
  }
}
