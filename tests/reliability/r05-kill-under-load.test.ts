import { describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../server/config.js';
import { runKillUnderLoad } from './load.js';
import { reliabilityDbs } from './support.js';

// R5, the headline: 50 clients in 5 rooms send 10,000 messages (200 each at 20/s) with UUID
// clientIds, acks awaited 2 s and retried with the same key. Between 2 and 8 s in, the server
// is SIGKILLed and started again on the same SQLite file 1–3 s later; clients reconnect with
// jittered backoff and catch up from their last seq. The oracle must pass: every acked message
// stored exactly once, 10,000 rows, seq dense, every member holds every message of its room
// once and in seq order, unread counts as modelled, and the file passes integrity_check.
// SQLite always (the single-node database); PostgreSQL too when the run reaches it.
const kinds = (['sqlite', 'postgres'] as DatabaseKind[]).filter(
  (k) => k === 'sqlite' || reliabilityDbs().includes(k),
);

describe.each(kinds)('R5 kill -9 under load (%s)', (kind) => {
  it('loses and duplicates nothing across a SIGKILL and restart', async () => {
    const r = await runKillUnderLoad({
      kind,
      label: `R5 ${kind}`,
      clients: 50,
      rooms: 5,
      perClient: 200,
      rate: 20,
      killAfter: [2000, 8000],
      downFor: [1000, 3000],
      recovery: 'off',
    });
    console.log(
      `[R5 ${kind}] seed ${r.seed}: killed at ${r.killAtMs} ms, restarted after ${r.downMs} ms ` +
        `(ready ${r.outageMs} ms after the kill); ${r.reconnects} reconnects, ` +
        `${r.ackTimeouts} ack timeouts; ${r.summary.received} deliveries; done in ${r.elapsedMs} ms`,
    );
    expect(r.textRows).toBe(10_000);
    expect(r.summary.acks).toBe(10_000);
    if (kind === 'sqlite') expect(r.integrity).toBe('ok');
    expect(r.reconnects).toBeGreaterThanOrEqual(50);
    for (const [name, seqs] of r.timelines) {
      // Each room holds its room_created message and 2,000 messages: seq 1..2001, in order.
      expect(seqs.length, name).toBe(2001);
      expect(seqs[0], name).toBe(1);
      expect(seqs[seqs.length - 1], name).toBe(2001);
    }
    expect(r.serverTrouble).toEqual([]);
    expect(r.elapsedMs).toBeLessThanOrEqual(90_000);
  });
});
