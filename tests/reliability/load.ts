import type { DatabaseKind } from '../../server/config.js';
import {
  checkMessageStates,
  checkOracle,
  uuidFrom,
  type OracleSummary,
  type StateSummary,
} from '../helpers/oracle.js';
import type { ChangeOp, ChangeResult, ChatClient, WireMessage } from '../helpers/chat-client.js';
import {
  between,
  clientFor,
  createRoom,
  pause,
  registerMany,
  settleAll,
  sqliteIntegrity,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

/** The kill -9 under load scenario (R5), in any size (R15 runs a smaller one twice). */
export interface LoadSpec {
  label: string;
  clients: number;
  rooms: number;
  perClient: number;
  /** Messages per second per client. */
  rate: number;
  /** The SIGKILL comes this long after the load starts (ms, inclusive range). */
  killAfter: [number, number];
  /** The new process is started this long after the kill (ms, inclusive range). */
  downFor: [number, number];
  recovery: 'off' | 'attempt';
  /** Adds a client that receives no event at all before its connection drops (socket.io#5538). */
  zeroEventClient?: boolean;
  seed?: number;
  /** The database under the server (SQLite when not given). */
  kind?: DatabaseKind;
  /** How many SIGKILLs (default 1); each later one 4–6 s after the previous restart. */
  kills?: number;
  /**
   * v1.1 (R19): changes of existing messages mixed into the sends, and clients that follow
   * them (sync 'changes': live message:new/message:updated plus GET …/changes?since=). Each
   * room's first member owns it and its second is an admin.
   */
  changes?: ChangesSpec;
}

export interface ChangesSpec {
  /** The share of all operations that are changes (edits, deletes, reactions, pins). */
  share: number;
  /** The share of sends that answer an earlier message of the room (replyToId). */
  replies: number;
}

export interface LoadResult {
  seed: number;
  summary: OracleSummary;
  /** From the first send to the oracle passing. */
  elapsedMs: number;
  killAtMs: number;
  downMs: number;
  /** From the kill until the restarted server answered /readyz. */
  outageMs: number;
  textRows: number;
  integrity: string | null;
  /** Per client: the seqs of its room it holds, in order. */
  timelines: Map<string, number[]>;
  reconnects: number;
  recovered: number;
  ackTimeouts: number;
  zeroEvent: { eventsBeforeDrop: number; connects: number; catchUps: number } | null;
  serverTrouble: string[];
  /** Every kill: when (ms after the load started) and how long until ready again. */
  kills: Array<{ atMs: number; downMs: number; outageMs: number }>;
  /** With `changes`: what was done and what the clients hold. */
  changes: ChangesResult | null;
}

export interface ChangesResult {
  /** Changes planned, and per kind and outcome how many were made (after retries). */
  planned: number;
  outcomes: Record<string, number>;
  /** Planned changes that found nothing to change yet (no message of their kind held). */
  skipped: number;
  /** Change requests sent, including retries, and their ack timeouts. */
  attempts: number;
  ackTimeouts: number;
  /** Refusals a race does not explain (not `forbidden` on a message that is now deleted). */
  unexplained: string[];
  /** Sends that answered a message; sent plain because it was deleted meanwhile. */
  replies: number;
  replyDropped: number;
  /** Live message:updated events received, copies replaced and stale copies ignored. */
  updates: number;
  replaced: number;
  stale: number;
  /** Two copies of one message at one version with different content (all clients). */
  conflicts: number;
  conflictSamples: string[];
  changesPages: number;
  gapFetches: number;
  /** The state oracle: every client's messages equal the database. */
  state: StateSummary;
  /** Messages a client showed as deleted and later as not deleted (must be 0). */
  resurrected: number;
}

export async function runKillUnderLoad(spec: LoadSpec): Promise<LoadResult> {
  const w: World = await startWorld(spec.label, { seed: spec.seed, kind: spec.kind });
  try {
    return await drive(w, spec);
  } finally {
    await stopWorld(w);
  }
}

async function drive(w: World, spec: LoadSpec): Promise<LoadResult> {
  const { rand } = w;
  const per = spec.clients / spec.rooms;
  const users = await registerMany(w.proc.api, spec.clients + (spec.zeroEventClient ? 1 : 0));
  const rooms: number[] = [];
  for (let r = 0; r < spec.rooms; r++) {
    const members = users.slice(r * per, (r + 1) * per);
    rooms.push(await createRoom(w.proc.api, members[0]!, members, { name: `load-${r}` }));
  }
  if (spec.changes) {
    // The second member of each room is an admin: owner and admin delete others' messages and pin.
    for (let r = 0; r < spec.rooms; r++) {
      const [owner, admin] = users.slice(r * per, r * per + 2);
      const res = await w.proc.api.patch(
        `/api/conversations/${rooms[r]}/members/${admin!.id}`,
        { role: 'admin' },
        { token: owner!.token },
      );
      if (res.status !== 200) throw new Error(`promote: ${res.status} ${res.text}`);
    }
  }
  const clients: ChatClient[] = users.slice(0, spec.clients).map((u, i) =>
    clientFor(w, u, `u${i}`, {
      recovery: spec.recovery,
      ...(spec.changes ? { sync: 'changes' as const } : {}),
    }),
  );
  const roomOf = (i: number) => rooms[Math.floor(i / per)]!;
  /** Owner (first member) or admin (second) of its room. */
  const manages = (i: number) => i % per < 2;

  // Every random choice is drawn up front from the seed, so a failing run can be replayed.
  const killAtMs = between(rand, spec.killAfter[0], spec.killAfter[1]);
  const downMs = between(rand, spec.downFor[0], spec.downFor[1]);
  const plan = clients.map((_, i) =>
    Array.from({ length: spec.perClient }, (_, k) => ({
      clientId: uuidFrom(rand),
      body: `u${i} #${k} ${Math.floor(rand() * 1e9).toString(36)}`,
    })),
  );
  const readEvery = clients.map(() => between(rand, 1500, 2500));
  // Later kills (drawn only when asked for, so that R5's draws stay as they were).
  const laterKills = Array.from({ length: Math.max(0, (spec.kills ?? 1) - 1) }, () => ({
    afterMs: between(rand, 4000, 6000),
    downMs: between(rand, spec.downFor[0], spec.downFor[1]),
  }));
  const changePlan = spec.changes ? planChanges(rand, clients.length, spec) : null;
  /** Per send: whether it answers a message, and which (drawn only with `changes`). */
  const replyPlan = spec.changes
    ? clients.map(() =>
        Array.from({ length: spec.perClient }, () => ({ reply: rand(), pick: rand() })),
      )
    : null;
  w.log.note(
    `plan: kill at ${killAtMs} ms, down ${downMs} ms` +
      laterKills.map((k) => `; again ${k.afterMs} ms after ready, down ${k.downMs} ms`).join('') +
      (changePlan ? `; ${changePlan.flat().length} changes` : ''),
  );

  await Promise.all(clients.map((c) => c.connect()));

  let zero: { client: ChatClient; events: number; room: number; token: string } | null = null;
  if (spec.zeroEventClient) {
    const u = users[spec.clients]!;
    const room = await createRoom(w.proc.api, u, [u], { name: 'quiet' });
    const client = clientFor(w, u, 'quiet', { recovery: spec.recovery });
    const z = { client, events: 0, room, token: u.token };
    client.socket.onAny(() => {
      z.events++;
    });
    await client.connect();
    zero = z;
  }

  const started = Date.now();
  const readTimers = clients.map((c, i) =>
    setInterval(() => {
      if (c.connected) void c.read(roomOf(i));
    }, readEvery[i]),
  );
  const changeResults: Array<{ kind: string; result: ChangeResult | null }> = [];
  const changing: Array<Promise<void>> = [];
  let replies = 0;
  const sending = clients.map(async (c, i) => {
    const acks: Array<Promise<unknown>> = [];
    const gap = 1000 / spec.rate;
    const mine = changePlan?.[i] ?? [];
    let next = 0;
    for (let k = 0; k < spec.perClient; k++) {
      const due = started + k * gap;
      if (due > Date.now()) await pause(due - Date.now());
      // The changes due before this send, fired without waiting (each retries until answered).
      while (next < mine.length && mine[next]!.at <= k) {
        const planned = mine[next++]!;
        const op = chooseChange(c, roomOf(i), manages(i), planned);
        if (!op) {
          changeResults.push({ kind: planned.kind, result: null });
          continue;
        }
        changing.push(
          c.change(op).then((result) => {
            changeResults.push({ kind: op.kind, result });
          }),
        );
      }
      const r = replyPlan?.[i]![k];
      const target =
        r && r.reply < spec.changes!.replies ? pickMessage(c, roomOf(i), r.pick, () => true) : null;
      if (target) replies++;
      acks.push(
        c.send(
          roomOf(i),
          plan[i]![k]!.body,
          plan[i]![k]!.clientId,
          target ? { replyToId: target.id } : {},
        ),
      );
    }
    await Promise.all(acks);
  });

  const kills: LoadResult['kills'] = [];
  const chaos = (async () => {
    let at = started + killAtMs;
    for (const [n, down] of [downMs, ...laterKills.map((k) => k.downMs)].entries()) {
      await pause(Math.max(0, at - Date.now()));
      const killedAt = Date.now();
      w.log.note(`SIGKILL #${n + 1}`);
      await w.proc.kill('SIGKILL');
      await pause(down);
      w.log.note('restart');
      await w.proc.start();
      const outage = Date.now() - killedAt;
      w.log.note(`ready again after ${outage} ms`);
      kills.push({ atMs: killedAt - started, downMs: down, outageMs: outage });
      at = Date.now() + (laterKills[n]?.afterMs ?? 0);
    }
  })();

  let eventsBeforeDrop = 0;
  if (zero) {
    // The zero-event reconnect: drop the quiet client's connection before it got any event.
    await pause(300);
    eventsBeforeDrop = zero.events;
    zero.client.dropConnection();
  }

  await chaos;
  await Promise.all(sending);
  await Promise.all(changing);
  for (const t of readTimers) clearInterval(t);

  if (zero) {
    // After its reconnects the quiet client still gets live events.
    const res = await w.proc.api.post(
      `/api/conversations/${zero.room}/messages`,
      { body: 'still here', clientId: 'quiet-1' },
      { token: zero.token },
    );
    if (res.status !== 201) throw new Error(`quiet send: ${res.status} ${res.text}`);
  }

  const all = zero ? [...clients, zero.client] : clients;
  const lagging = await settleAll(w, all, 45_000, { versions: !!spec.changes });
  if (lagging.length) {
    w.log.note(`not settled: ${lagging.join(', ')}`);
    for (const c of all) if (lagging.includes(c.name)) w.log.note(c.describe());
  }
  for (const c of all) await c.snapshotUnread();

  const summary = await checkOracle(w.store.db, w.log);
  const changes = spec.changes
    ? await checkChanges(w, clients, changePlan!, changeResults, replies)
    : null;
  const elapsedMs = Date.now() - started;

  const text = await w.store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'text')
    .where('conversation_id', 'in', rooms)
    .executeTakeFirstOrThrow();
  const timelines = new Map<string, number[]>();
  clients.forEach((c, i) =>
    timelines.set(
      c.name,
      c.timeline(roomOf(i)).map((m) => m.seq),
    ),
  );
  await w.proc.stop();
  return {
    seed: w.seed,
    summary,
    elapsedMs,
    killAtMs,
    downMs,
    outageMs: kills[0]?.outageMs ?? 0,
    kills,
    changes,
    textRows: Number(text.n),
    integrity: w.db.kind === 'sqlite' ? sqliteIntegrity(w.db) : null,
    timelines,
    reconnects: clients.reduce((n, c) => n + c.stats.connects - 1, 0),
    recovered: all.reduce((n, c) => n + c.stats.recovered, 0),
    ackTimeouts: clients.reduce((n, c) => n + c.stats.ackTimeouts, 0),
    zeroEvent: zero
      ? {
          eventsBeforeDrop,
          connects: zero.client.stats.connects,
          catchUps: zero.client.stats.catchUps,
        }
      : null,
    serverTrouble: w.proc.troubleLines(),
  };
}

/** One planned change: when (before which send), what kind, and the draws that pick it. */
interface PlannedChange {
  at: number;
  kind: ChangeOp['kind'];
  /** Draws in [0, 1) for the choices made when it is due. */
  pick: number;
  others: number;
  emoji: number;
  same: number;
}

export const LOAD_EMOJI = ['👍', '🎉', '😂', '👀', '🔥', '🙏'];

/**
 * Every client's changes, drawn from the seed: a share `share` of all its operations, at
 * random points between its sends. Kinds: edits 35 %, deletions 20 %, reactions 30 %, pins
 * 15 % (only the owner and the admin pin; the others react instead).
 */
function planChanges(rand: () => number, clients: number, spec: LoadSpec): PlannedChange[][] {
  const share = spec.changes!.share;
  const count = Math.round((spec.perClient * share) / (1 - share));
  return Array.from({ length: clients }, () =>
    Array.from({ length: count }, () => {
      const roll = rand();
      const kind: ChangeOp['kind'] =
        roll < 0.35 ? 'edit' : roll < 0.55 ? 'delete' : roll < 0.85 ? 'react' : 'pin';
      return {
        at: Math.floor(rand() * spec.perClient),
        kind,
        pick: rand(),
        others: rand(),
        emoji: rand(),
        same: rand(),
      };
    }).sort((a, b) => a.at - b.at),
  );
}

/** A text message the client holds in a room (its latest copy), chosen by `pick`. */
function pickMessage(
  c: ChatClient,
  room: number,
  pick: number,
  ok: (m: WireMessage) => boolean,
): WireMessage | null {
  const list = c.timeline(room).filter((m) => m.kind === 'text' && !m.deletedAt && ok(m));
  return list.length ? list[Math.floor(pick * list.length)]! : null;
}

/**
 * The change a planned one becomes, from what the client holds when it is due: the sender
 * edits one of their messages (now and then with the same body: a no-op) or deletes it; the
 * owner and the admin delete others' messages too, and pin or unpin; anyone sets a reaction
 * or removes theirs. Null when nothing fits yet.
 */
function chooseChange(
  c: ChatClient,
  room: number,
  manager: boolean,
  p: PlannedChange,
): ChangeOp | null {
  const own = (m: WireMessage) => m.senderId === c.userId;
  const base = { conversationId: room };
  switch (p.kind) {
    case 'edit': {
      const m = pickMessage(c, room, p.pick, own);
      if (!m) return null;
      const body =
        p.same < 0.05
          ? m.body
          : `${m.body.replace(/ \(edit \d+\)$/, '')} (edit ${Math.floor(p.same * 1e6)})`;
      return { ...base, kind: 'edit', messageId: m.id, body };
    }
    case 'delete': {
      const m = pickMessage(c, room, p.pick, manager && p.others < 0.5 ? () => true : own);
      return m ? { ...base, kind: 'delete', messageId: m.id } : null;
    }
    case 'pin':
    case 'react': {
      if (p.kind === 'pin' && manager) {
        const m = pickMessage(c, room, p.pick, () => true);
        return m ? { ...base, kind: 'pin', messageId: m.id, pinned: !m.pinned } : null;
      }
      // Others may not pin in a group: they react instead.
      const m = pickMessage(c, room, p.pick, () => true);
      if (!m) return null;
      const emoji = LOAD_EMOJI[Math.floor(p.emoji * LOAD_EMOJI.length)]!;
      const has = (m.reactions ?? []).some(
        (r) => r.emoji === emoji && r.userIds.includes(c.userId),
      );
      return { ...base, kind: 'react', messageId: m.id, emoji, on: !has };
    }
  }
}

/**
 * After the run: every change was answered, refusals only `forbidden` on a message that is
 * deleted now (deleted by someone else while the change was on its way); the state oracle
 * (every client's latest copy of every message equals the database, nothing deleted shown
 * again).
 */
async function checkChanges(
  w: World,
  clients: readonly ChatClient[],
  plan: PlannedChange[][],
  results: ReadonlyArray<{ kind: string; result: ChangeResult | null }>,
  replies: number,
): Promise<ChangesResult> {
  const outcomes: Record<string, number> = {};
  const unexplained: string[] = [];
  const refusedIds = new Set<number>();
  for (const e of w.log.events) {
    if (e.k !== 'change') continue;
    const key = `${e.op} ${e.outcome}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (e.outcome === 'forbidden') refusedIds.add(e.messageId);
    else if (e.outcome !== 'ok')
      unexplained.push(`${e.client} ${e.op} id ${e.messageId}: ${e.outcome}`);
  }
  // A reply is refused only for a message that is deleted now.
  const replyTargets = clients.flatMap((c) => c.replyRefusals);
  if (replyTargets.length) {
    const rows = await w.store.db
      .selectFrom('messages')
      .select(['id', 'deleted_at'])
      .where(
        'id',
        'in',
        replyTargets.map((r) => r.replyToId),
      )
      .execute();
    const deleted = new Set(rows.filter((r) => r.deleted_at !== null).map((r) => Number(r.id)));
    for (const r of replyTargets)
      if (!deleted.has(r.replyToId))
        unexplained.push(
          `reply ${r.clientId} to id ${r.replyToId} refused (${r.message}), not deleted`,
        );
  }
  if (refusedIds.size) {
    const rows = await w.store.db
      .selectFrom('messages')
      .select(['id', 'deleted_at'])
      .where('id', 'in', [...refusedIds])
      .execute();
    for (const r of rows)
      if (r.deleted_at === null) unexplained.push(`change of id ${r.id} refused, not deleted`);
  }
  const state = await checkMessageStates(
    w.store.db,
    w.log,
    clients.map((c) => c.heldState()),
  );
  const sum = (f: (c: ChatClient) => number) => clients.reduce((n, c) => n + f(c), 0);
  return {
    planned: plan.flat().length,
    outcomes,
    skipped: results.filter((r) => r.result === null).length,
    attempts: sum((c) => c.stats.changeAttempts),
    ackTimeouts: sum((c) => c.stats.changeAckTimeouts),
    unexplained,
    replies,
    replyDropped: sum((c) => c.stats.replyDropped),
    updates: sum((c) => c.stats.updates),
    replaced: sum((c) => c.stats.replaced),
    stale: sum((c) => c.stats.stale),
    conflicts: sum((c) => c.stats.conflicts),
    conflictSamples: clients
      .flatMap((c) =>
        c.conflicts.map((x) => `${c.name} id ${x.id} v${x.version}: ${x.held} / ${x.incoming}`),
      )
      .slice(0, 5),
    changesPages: sum((c) => c.stats.changesPages),
    gapFetches: sum((c) => c.stats.gapFetches),
    state,
    resurrected: sum((c) => c.resurrected.length),
  };
}
