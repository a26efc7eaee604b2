import { describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../server/config.js';
import { runKillUnderLoad } from './load.js';
import { reliabilityDbs } from './support.js';

// R19, changes survive everything: R5's load (50 clients in 5 rooms send 10,000 messages, 200
// each at 20/s, UUID clientIds, acks awaited 2 s and retried with the same key; some sends
// answer an earlier message of the room) plus changes of existing messages making about 10 %
// of all operations: the sender edits (now and then with the same body, a no-op) or deletes
// their message, each room's owner and admin also delete others' messages and pin or unpin,
// everyone sets and removes reactions. Each change goes over the socket and is retried after
// an ack timeout until answered (every change is idempotent). Twice the server is SIGKILLed
// mid-run and started again on the same database. Clients rebuild their state from live
// `message:new`/`message:updated` (keeping per message the copy with the highest version)
// plus GET …/changes?since=<version cursor> after each reconnect and whenever their cursor
// shows a missed version. Afterwards: R5's oracle (every acked message stored exactly once,
// 10,000 rows, seq dense, every member holds every message once and in order, unread counts
// equal the model recomputed from the database, deleted messages not counted); every client's
// final state equals the database message by message (seq, version, body, deletedAt,
// editedAt, reactions, pin, reply excerpt); no deleted message was ever shown again; every
// change was answered, and refused only as `forbidden` on a message that is deleted now.
// Mentions are not implemented by the server yet (no mentionCount), so there is no mention
// count to model. On the databases the reliability suite runs on (PARLEY_RELIABILITY_DBS;
// SQLite always).
const kinds = [...new Set<DatabaseKind>(['sqlite', ...reliabilityDbs()])];

describe.each(kinds)('R19 changes survive kill -9 under load (%s)', (kind) => {
  it('every client ends with the stored state of every message', async () => {
    const r = await runKillUnderLoad({
      kind,
      label: `R19 ${kind}`,
      clients: 50,
      rooms: 5,
      perClient: 200,
      rate: 20,
      killAfter: [2000, 6000],
      downFor: [1000, 2000],
      kills: 2,
      recovery: 'off',
      changes: { share: 0.1, replies: 0.05 },
    });
    const c = r.changes!;
    const ok = Object.entries(c.outcomes)
      .filter(([k]) => k.endsWith(' ok'))
      .reduce((n, [, v]) => n + v, 0);
    console.log(
      `[R19 ${kind}] seed ${r.seed}: ${r.summary.acks} sends (${c.replies} replies, ` +
        `${c.replyDropped} sent plain as their message was deleted) and ${c.planned} changes ` +
        `planned (${c.skipped} found nothing to change yet; answered: ` +
        `${Object.entries(c.outcomes)
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}); ` +
        `${r.kills.length} kills (${r.kills
          .map((k) => `at ${k.atMs} ms, ready ${k.outageMs} ms later`)
          .join('; ')}); ${r.reconnects} reconnects, ${r.ackTimeouts} send ack timeouts, ` +
        `${c.ackTimeouts} change ack timeouts; ${r.summary.received} deliveries, of them ` +
        `${c.updates} message:updated; ${c.changesPages} changes pages (${c.gapFetches} gap ` +
        `fetches); ${c.replaced} copies replaced by a higher version, ${c.stale} stale copies ` +
        `ignored, ${c.conflicts} same-version conflicts; state: ${c.state.messages} messages ` +
        `compared over ${c.state.clients} clients (stored: ${c.state.deleted} deleted, ` +
        `${c.state.edited} edited, ${c.state.withReactions} with reactions, ${c.state.pinned} ` +
        `pinned, ${c.state.replies} replies); ${r.summary.unreadChecked} unread counts checked; ` +
        `done in ${r.elapsedMs} ms`,
    );
    if (c.conflictSamples.length)
      console.log(`[R19 ${kind}] conflicts: ${c.conflictSamples.join('\n')}`);
    expect(r.textRows).toBe(10_000);
    expect(r.summary.acks).toBe(10_000);
    if (kind === 'sqlite') expect(r.integrity).toBe('ok');
    expect(r.kills.length).toBe(2);
    expect(r.reconnects).toBeGreaterThanOrEqual(50);
    for (const [name, seqs] of r.timelines) {
      // room_created, role_changed (the admin), then 2,000 messages: seq 1..2002, in order.
      expect(seqs.length, name).toBe(2002);
      expect(seqs[seqs.length - 1], name).toBe(2002);
    }
    expect(c.unexplained).toEqual([]);
    expect(c.resurrected).toBe(0);
    // The changes really happened (a few are refused: their message was deleted meanwhile).
    expect(ok).toBeGreaterThanOrEqual(c.planned * 0.7);
    expect(c.state.deleted).toBeGreaterThan(50);
    expect(c.state.edited).toBeGreaterThan(50);
    expect(c.state.withReactions).toBeGreaterThan(50);
    expect(c.state.pinned).toBeGreaterThan(0);
    expect(c.updates).toBeGreaterThan(1000);
    expect(r.serverTrouble).toEqual([]);
    expect(r.elapsedMs).toBeLessThanOrEqual(120_000);
  });
});
