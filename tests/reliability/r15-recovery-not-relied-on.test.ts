import { describe, expect, it } from 'vitest';
import { runSeed } from '../helpers/oracle.js';
import { runKillUnderLoad, type LoadResult, type LoadSpec } from './load.js';

// R15: Socket.IO connection-state recovery is not relied on. The R5 scenario, smaller, runs
// twice on the same seed: once with a client that always catches up, once with a client that
// offers its old session on reconnect (pid and offset, as recovery does) and would skip the
// catch-up whenever the server says `recovered`. Parley does not enable recovery, so the
// server must never claim it, and both runs must end identical for the oracle. Each run also
// has a client that loses its connection before it has received a single event (the zero-event
// reconnect of socket.io#5538): it must reconnect, catch up and keep getting live events.

describe('R15 connection-state recovery not relied on', () => {
  it('gives identical oracle results with recovery attempted and without', async () => {
    const seed = runSeed('R15');
    const spec = (recovery: LoadSpec['recovery']): LoadSpec => ({
      label: `R15 recovery=${recovery}`,
      clients: 20,
      rooms: 4,
      perClient: 100,
      rate: 20,
      killAfter: [2500, 4500],
      downFor: [1000, 2000],
      recovery,
      zeroEventClient: true,
      seed,
    });
    const results: LoadResult[] = [];
    for (const recovery of ['off', 'attempt'] as const) {
      const r = await runKillUnderLoad(spec(recovery));
      console.log(
        `[R15] recovery=${recovery} seed ${seed}: kill at ${r.killAtMs} ms, ready again after ` +
          `${r.outageMs} ms, ${r.reconnects} reconnects, done in ${r.elapsedMs} ms`,
      );
      expect(r.textRows).toBe(20 * 100);
      expect(r.integrity).toBe('ok');
      expect(r.recovered).toBe(0);
      expect(r.serverTrouble).toEqual([]);
      // The zero-event client: nothing received before its drop, and it came back (after the
      // drop and after the restart) with a catch-up each time.
      expect(r.zeroEvent!.eventsBeforeDrop).toBe(0);
      expect(r.zeroEvent!.connects).toBeGreaterThanOrEqual(3);
      expect(r.zeroEvent!.catchUps).toBeGreaterThanOrEqual(r.zeroEvent!.connects);
      results.push(r);
    }
    const [off, attempt] = results as [LoadResult, LoadResult];
    const shape = (r: LoadResult) => ({
      messages: r.summary.messages,
      conversations: r.summary.conversations,
      acks: r.summary.acks,
      textRows: r.textRows,
      timelines: [...r.timelines.entries()],
    });
    expect(shape(attempt)).toEqual(shape(off));
  });
});
