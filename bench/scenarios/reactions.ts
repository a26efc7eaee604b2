import { rmSync } from 'node:fs';
import { now } from '../lib/clock.js';
import { Hist, type Summary } from '../lib/hist.js';
import { split } from '../lib/pool.js';
import { subtitle, writeResults, type Context } from '../lib/report.js';
import { prepare, startGenerators } from '../lib/setup.js';
import { round, waitServerIdle } from '../lib/step.js';
import { chart, COLORS } from '../lib/svg.js';

const EMOJIS = ['👍', '🎉', '❤️', '😂', '👀', '🚀', '🙏', '🔥'];

interface ReactionStep {
  /** Reaction changes per second offered. */
  rate: number;
  ok: number;
  refused: number;
  unanswered: number;
  /** Scheduled send → ack of each reaction change in the measured window (ms). */
  ack: Summary;
  /** `message:updated` frames received by all members per second in the window. */
  updatesPerSec: number;
  /** Of the messages flowing meanwhile: scheduled send → every recipient (ms). */
  messageDelivery: Summary;
  messagesPerSec: number;
}

/**
 * One group of `members` members, all online; a hot message gets reaction changes (toggles of
 * a few emoji by `reactors` members) at each rate while `message-rate` messages per second
 * flow into the group. Every change is a new version of the message sent to every member.
 */
export async function runReactions(ctx: Context): Promise<void> {
  const members = ctx.num('members', 1000);
  const reactorCount = ctx.num('reactors', 200);
  const workers = ctx.num('workers', 2);
  const rates = ctx.list('rates', [100, 250, 500]);
  const messageRate = ctx.num('message-rate', 20);
  const warmMs = ctx.num('warm', 1) * 1000;
  const measureMs = ctx.num('measure', 5) * 1000;
  const users = Array.from({ length: members }, (_, i) => i);
  const slices = split(users, workers);
  await ctx.settle('reactions');
  const p = await prepare(
    'parley',
    { users: members, directs: [], groups: [users] },
    {
      log: ctx.log,
      keep: true,
    },
  );
  const steps: ReactionStep[] = [];
  const gensRef: { gens: Awaited<ReturnType<typeof startGenerators>>['gens'] } = { gens: [] };
  try {
    const { gens } = await startGenerators(p, slices, { log: ctx.log });
    gensRef.gens = gens;
    await waitServerIdle(p.server);
    const group = p.groupIds[0]!;
    const res = await fetch(`${p.server.url}/api/conversations/${group}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.tokens[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'hot', body: 'react to this' }),
    });
    if (res.status !== 201) throw new Error(`hot message: ${res.status} ${await res.text()}`);
    const hot = ((await res.json()) as { id: number }).id;
    await waitServerIdle(p.server);
    ctx.log(`${members} members online; hot message ${hot}`);
    // Reactors and message senders spread evenly over the generators, by local index.
    const perWorker = (n: number) =>
      slices.map((slice, w) =>
        Array.from({ length: Math.ceil(n / workers) }, (_, i) => (i * workers + w) % slice.length),
      );
    const reactors = perWorker(reactorCount);
    const senders = perWorker(10).map((ids) => ids.map((i) => [i + 1, group] as [number, number]));
    for (const [i, rate] of rates.entries()) {
      const startAt = now() + 500;
      const common = { startAt, warmMs, measureMs, drainMs: ctx.num('drain', 10) * 1000 };
      const [reacted, flowed] = await Promise.all([
        Promise.all(
          gens.map((g, w) =>
            g.call({
              op: 'react',
              ...common,
              rate: rate / workers,
              reactors: reactors[w],
              messageId: hot,
              emojis: EMOJIS,
            }),
          ),
        ),
        Promise.all(
          gens.map((g, w) =>
            g.call({
              op: 'load',
              ...common,
              tag: `r${i}x`,
              rate: messageRate / workers,
              senders: senders[w],
              bodyBytes: 100,
            }),
          ),
        ),
      ]);
      const ack = new Hist();
      for (const r of reacted) ack.merge(r.ack);
      const delivery = new Hist();
      for (const f of flowed) delivery.merge(f.delivery);
      const step: ReactionStep = {
        rate,
        ok: reacted.reduce((a, r) => a + r.ok, 0),
        refused: reacted.reduce((a, r) => a + r.refused, 0),
        unanswered: reacted.reduce((a, r) => a + r.unanswered, 0),
        ack: round(ack.summary()),
        updatesPerSec: Math.round(
          reacted.reduce((a, r) => a + r.updatedInWindow, 0) / (measureMs / 1000),
        ),
        messageDelivery: round(delivery.summary()),
        messagesPerSec: messageRate,
      };
      steps.push(step);
      ctx.log(
        `${rate} reactions/s: ack p50 ${step.ack.p50} ms, p99 ${step.ack.p99} ms; ${step.updatesPerSec} message:updated deliveries/s; messages meanwhile p99 ${step.messageDelivery.p99} ms; refused ${step.refused}, unanswered ${step.unanswered}`,
      );
      await waitServerIdle(p.server);
    }
  } finally {
    await Promise.all(gensRef.gens.map((g) => g.close()));
    await p.server.stop();
    rmSync(p.dataDir, { recursive: true, force: true });
  }
  const svg = chart({
    title: `reactions: one hot message in a group of ${members} members, all online, ${messageRate} messages/s flowing`,
    subtitle: subtitle(ctx),
    panels: [
      {
        kind: 'line' as const,
        title: 'reaction ack latency',
        xLabel: 'reaction changes/s offered',
        yLabel: 'ms',
        series: [
          {
            label: 'p99',
            color: COLORS.parley,
            points: steps.map((s) => ({ x: s.rate, y: s.ack.p99 })),
          },
          {
            label: 'p50',
            color: COLORS.baseline,
            points: steps.map((s) => ({ x: s.rate, y: s.ack.p50 })),
          },
        ],
      },
      {
        kind: 'line' as const,
        title: 'message:updated deliveries per second',
        xLabel: 'reaction changes/s offered',
        yLabel: 'deliveries/s',
        series: [
          {
            label: 'Parley',
            color: COLORS.parley,
            points: steps.map((s) => ({ x: s.rate, y: s.updatesPerSec })),
          },
        ],
      },
    ],
  });
  await writeResults(
    ctx,
    ctx.str('name', 'reactions'),
    { members, reactors: reactorCount, messageRate, steps },
    svg,
  );
}
