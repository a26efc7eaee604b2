import type { Deps } from '../../context.js';
import { claimExpired, expiredUploads, objectKeysOf } from './attachments.queries.js';
import { discardObjects } from './discard.js';

const BATCH = 100;
/** Batches one sweep takes at most; the rest waits for the next sweep. */
const MAX_BATCHES = 50;

/**
 * Removes uploads that expired without being attached to a message, rows first, then their
 * objects. Safe with several nodes sweeping at once, and against a send attaching an upload at
 * that moment: each row is claimed by a conditional DELETE (still unattached, still expired),
 * which exactly one of them wins. Returns how many this call removed.
 */
export async function sweepExpiredUploads(deps: Deps): Promise<number> {
  const now = deps.now();
  let removed = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await expiredUploads(deps.db, now, BATCH);
    for (const row of rows) {
      if (await claimExpired(deps.db, row.id, now)) {
        await discardObjects(deps, objectKeysOf([row]));
        removed++;
      }
    }
    if (rows.length < BATCH) break;
  }
  return removed;
}

/** Sweeps every UPLOAD_SWEEP_SECONDS, one sweep at a time; a failure is logged and retried. */
export function startUploadSweeper(deps: Deps): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpiredUploads(deps)
      .then((n) => {
        if (n > 0) deps.log.info({ removed: n }, 'expired uploads removed');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'sweeping expired uploads failed'))
      .finally(() => {
        running = false;
      });
  }, deps.config.uploads.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
