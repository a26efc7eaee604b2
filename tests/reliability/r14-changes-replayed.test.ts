import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import {
  checkMessageStates,
  checkOracle,
  OracleError,
  stateDiff,
  stateOfWire,
  storedStates,
  type FullMessage,
  type MessageState,
} from '../helpers/oracle.js';
import { FaultProxy } from '../helpers/proxy.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import {
  between,
  clientFor,
  createRoom,
  pause,
  registerMany,
  reliabilityDbs,
  settleAll,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// R14: edits and deletes replayed. Alice (owner), Bob (admin) and Carol share a group, Alice
// and Bob a direct conversation; a few hundred random changes are made (edits, second edits
// with the same body, deletions by the sender and by the owner or admin of someone else's
// message, second deletions, reactions set and removed, pins and unpins, replies whose
// excerpt follows what they answer; some in bursts of three at once, so the server emits
// them out of order). Three ways of receiving them must each end in the database's state,
// message by message (seq, version, body, deletedAt, editedAt, reactions, pin, reply excerpt),
// with no deleted message ever shown again:
//  1. Replay: the live `message:new`/`message:updated` of two observer sockets are replayed,
//     on top of the history loaded before the changes, in order, in reverse, and twenty times
//     shuffled with every event delivered one to three times, into a client merge that keeps
//     per message the copy with the highest version. Also: two copies of one message at one
//     version never differ in content, and the last event of each changed message is its
//     stored state.
//  2. Through the fault proxy: a ChatClient (v1.1 sync: live events plus
//     GET …/changes?since= when its version cursor shows a hole or the conversation's
//     lastVersion moved past it) behind the TCP proxy, which holds back a third of the
//     `message:updated` frames and drops a fifth of the rest, resets the connection (the
//     held frames are then delivered on the new connection, shuffled and twice each, after the
//     client caught up), and refuses connections for a while (changes made meanwhile come
//     only through the change feed), and at the end delivers what it still holds, twice.
//  3. The change feed alone: the history loaded before the changes plus
//     GET …/changes?since=<version then>, in pages of 7, both after the run (pages ascending
//     by version, each message once, lastVersion steady) and while changes keep happening
//     between pages.

const CHANGES = Number(process.env.PARLEY_R14_CHANGES ?? 600);
const EMOJI = ['👍', '🎉', '😂', '👀', '🔥', '🙏'];

let w: World;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let group: number;
let direct: number;
/** Sockets that act (one per user), and observers that only record. */
const actors = new Map<number, TestSocket>();
let observerCarol: TestSocket;
let observerAlice: TestSocket;
let proxy: FaultProxy;
let viaProxy: ChatClient;
/** What a client loaded before the changes (history), and each conversation's version then. */
let before: Map<number, FullMessage[]>;
let versionBefore: Map<number, number>;
/** Where each observer's record of this run starts. */
let observedFrom: Map<TestSocket, number>;
const done = new Map<string, number>();
const note = (what: string) => done.set(what, (done.get(what) ?? 0) + 1);

async function historyOf(conversationId: number, token: string): Promise<FullMessage[]> {
  const out: FullMessage[] = [];
  let after = 0;
  for (;;) {
    const res = await w.proc.api.get(
      `/api/conversations/${conversationId}/messages?after=${after}&limit=200`,
      { token },
    );
    expect(res.status).toBe(200);
    out.push(...res.body.messages);
    if (!res.body.hasMore || res.body.messages.length === 0) return out;
    after = res.body.messages[res.body.messages.length - 1].seq;
  }
}

async function lastVersionOf(conversationId: number): Promise<number> {
  const r = await w.store.db
    .selectFrom('conversations')
    .select('last_version')
    .where('id', '=', conversationId)
    .executeTakeFirstOrThrow();
  return Number(r.last_version);
}

async function isDeleted(messageId: number): Promise<boolean> {
  const r = await w.store.db
    .selectFrom('messages')
    .select('deleted_at')
    .where('id', '=', messageId)
    .executeTakeFirst();
  return !!r && r.deleted_at !== null;
}

let sent = 0;
async function send(u: TestUser, conversationId: number, replyToId?: number): Promise<string> {
  const ack = await actors.get(u.id)!.request('message:send', {
    conversationId,
    clientId: `r14-${sent}`,
    body: `message ${sent++} from ${u.username.slice(0, 6)}`,
    ...(replyToId === undefined ? {} : { replyToId }),
  });
  if (ack.ok) return 'ok';
  // Answering a message that is deleted is refused; nothing else may be.
  if (
    replyToId !== undefined &&
    ack.error.code === 'validation_failed' &&
    (await isDeleted(replyToId))
  )
    return 'refused';
  throw new Error(`send: ${JSON.stringify(ack)}`);
}

interface Target {
  id: number;
  sender: number;
  deleted: boolean;
  pinned: boolean;
  body: string;
  reactions: Array<{ emoji: string; user: number }>;
}

async function targets(conversationId: number): Promise<Target[]> {
  const rows = await w.store.db
    .selectFrom('messages')
    .select(['id', 'sender_id', 'deleted_at', 'pinned_at', 'body'])
    .where('conversation_id', '=', conversationId)
    .where('kind', '=', 'text')
    .orderBy('seq')
    .execute();
  const reactions = rows.length
    ? await w.store.db
        .selectFrom('reactions')
        .select(['message_id', 'user_id', 'emoji'])
        .where(
          'message_id',
          'in',
          rows.map((r) => Number(r.id)),
        )
        .execute()
    : [];
  return rows.map((r) => ({
    id: Number(r.id),
    sender: Number(r.sender_id),
    deleted: r.deleted_at !== null,
    pinned: r.pinned_at !== null,
    body: r.body,
    reactions: reactions
      .filter((x) => Number(x.message_id) === Number(r.id))
      .map((x) => ({ emoji: x.emoji, user: Number(x.user_id) })),
  }));
}

/**
 * A change over a socket. The only refusal allowed is `forbidden` for a message that is deleted
 * (chosen so, or deleted by a change of the same burst); anything else fails the test.
 */
async function alter(
  u: TestUser,
  event: string,
  payload: { messageId: number; [k: string]: unknown },
  what: string,
): Promise<void> {
  const ack = await actors.get(u.id)!.request(event, payload);
  if (ack.ok) {
    note(what);
    return;
  }
  if (ack.error.code !== 'forbidden' || !(await isDeleted(payload.messageId)))
    throw new Error(`${what}: ${event} ${JSON.stringify(payload)} → ${JSON.stringify(ack)}`);
  note(`${what} refused (${ack.error.code})`);
}

const rnd = () => w.rand();
const oneOf = <T>(list: readonly T[]): T => list[between(w.rand, 0, list.length - 1)]!;

/** One random change, drawn from the run's seed. */
async function change(): Promise<void> {
  const conv = rnd() < 0.75 ? group : direct;
  const members = conv === group ? [alice, bob, carol] : [alice, bob];
  const list = await targets(conv);
  const t = oneOf(list);
  const roll = rnd();
  if (roll < 0.3) {
    // The sender edits: a new body, sometimes the same body again (no-op); deleted: forbidden.
    const u = members.find((m) => m.id === t.sender)!;
    const same = rnd() < 0.15;
    const body = same ? t.body : `edited ${sent++}`;
    await alter(
      u,
      'message:edit',
      { messageId: t.id, body },
      t.deleted ? 'edit of a deleted message' : same ? 'edit, same body' : 'edit',
    );
  } else if (roll < 0.45) {
    // The sender deletes, or in the group the owner or the admin deletes anyone's.
    const u =
      conv === group && rnd() < 0.5 ? oneOf([alice, bob]) : members.find((m) => m.id === t.sender)!;
    await alter(
      u,
      'message:delete',
      { messageId: t.id },
      t.deleted ? 'second delete' : u.id === t.sender ? 'delete' : 'delete of another',
    );
  } else if (roll < 0.75) {
    // A reaction set or removed (mostly the opposite of what is there).
    const u = oneOf(members);
    const emoji = oneOf(EMOJI);
    const has = t.reactions.some((x) => x.emoji === emoji && x.user === u.id);
    const on = rnd() < 0.85 ? !has : has;
    await alter(
      u,
      'reaction:set',
      { messageId: t.id, emoji, on },
      t.deleted ? 'reaction on a deleted message' : on === has ? 'reaction no-op' : 'reaction',
    );
  } else if (roll < 0.85) {
    // A pin or unpin by the owner or the admin (in the direct conversation, either member).
    const u = oneOf([alice, bob]);
    await alter(
      u,
      'message:pin',
      { messageId: t.id, pinned: !t.pinned },
      t.deleted ? 'pin of a deleted message' : t.pinned ? 'unpin' : 'pin',
    );
  } else {
    const r = await send(oneOf(members), conv, t.id);
    note(r === 'ok' ? 'reply' : 'reply to a deleted message refused');
  }
}

/** Shuffles a copy with the run's random source. */
function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = between(w.rand, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The client merge: per message, the copy with the highest version. Records resurrections. */
function merge(
  base: readonly FullMessage[],
  events: readonly FullMessage[],
): { state: Map<number, FullMessage>; resurrected: number[]; conflicts: string[] } {
  const state = new Map(base.map((m) => [m.id, m]));
  const resurrected: number[] = [];
  const conflicts: string[] = [];
  for (const m of events) {
    const held = state.get(m.id);
    if (!held || m.version > held.version) {
      if (held?.deletedAt && !m.deletedAt) resurrected.push(m.id);
      state.set(m.id, m);
    } else if (m.version === held.version) {
      const d = stateDiff(stateOfWire(m), stateOfWire(held));
      if (d) conflicts.push(`id ${m.id} v${m.version}: ${d}`);
    }
  }
  return { state, resurrected, conflicts };
}

/** Where a merged state differs from the stored one, in words ('' when equal). */
function differences(state: Map<number, FullMessage>, stored: readonly MessageState[]): string {
  const out: string[] = [];
  const ids = new Set(state.keys());
  for (const want of stored) {
    ids.delete(want.id);
    const got = state.get(want.id);
    if (!got) {
      out.push(`seq ${want.seq} (id ${want.id}) missing`);
      continue;
    }
    const d = stateDiff(stateOfWire(got), want);
    if (d) out.push(`seq ${want.seq} (id ${want.id}): ${d}`);
  }
  for (const id of ids) out.push(`id ${id} held, not stored`);
  return out.slice(0, 8).join('\n');
}

beforeAll(async () => {
  w = await startWorld('R14');
  [alice, bob, carol] = (await registerMany(w.proc.api, 3)) as [TestUser, TestUser, TestUser];
  group = await createRoom(w.proc.api, alice, [alice, bob, carol], { name: 'r14' });
  const promoted = await w.proc.api.patch(
    `/api/conversations/${group}/members/${bob.id}`,
    { role: 'admin' },
    { token: alice.token },
  );
  expect(promoted.status).toBe(200);
  const d = await w.proc.api.post(
    '/api/conversations/direct',
    { userId: bob.id },
    { token: alice.token },
  );
  direct = d.body.id;
  for (const u of [alice, bob, carol]) actors.set(u.id, await connectSocket(w.proc.url, u.token));
  observerCarol = await connectSocket(w.proc.url, carol.token);
  observerAlice = await connectSocket(w.proc.url, alice.token);
  for (let k = 0; k < 45; k++) await send(oneOf([alice, bob, carol]), group);
  for (let k = 0; k < 15; k++) await send(oneOf([alice, bob]), direct);
  // What a client loaded before the changes, and the versions then.
  before = new Map([
    [group, await historyOf(group, carol.token)],
    [direct, await historyOf(direct, alice.token)],
  ]);
  versionBefore = new Map([
    [group, await lastVersionOf(group)],
    [direct, await lastVersionOf(direct)],
  ]);
  observedFrom = new Map([
    [observerCarol, observerCarol.received.length],
    [observerAlice, observerAlice.received.length],
  ]);
  proxy = await FaultProxy.start(w.proc.port);
  viaProxy = clientFor(w, carol, 'carol-via-proxy', {
    socketUrl: proxy.url,
    apiUrl: w.proc.url,
    sync: 'changes',
    changesPageSize: 20,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
  });
  await viaProxy.connect();
});

afterAll(async () => {
  for (const s of [...actors.values(), observerCarol, observerAlice]) s?.close();
  await proxy?.close();
  await stopWorld(w);
});

const isUpdate = (text: string) => text.startsWith('42["message:updated"');
const isNew = (text: string) => text.startsWith('42["message:new"');

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await pause(20);
  }
}

describe('R14 edits and deletes replayed', () => {
  it('ends in the stored state however the changes arrive: replayed, held, dropped, twice', async () => {
    let frames = 0;
    const phase = new Set<string>();
    const duplicated = (list: Array<{ text: string; frame: Buffer }>) =>
      shuffled(list.flatMap((f) => [f, f]));
    for (let step = 0; step < CHANGES; step++) {
      if (!phase.has('holding') && step >= CHANGES * 0.1) {
        phase.add('holding');
        // From here on, hold a third of the message:updated frames and drop a fifth of the
        // others (and a few message:new).
        proxy.set({
          holdDownFrame: (text) => isUpdate(text) && frames++ % 3 === 0,
          dropDownFrame: (text) =>
            (isUpdate(text) && between(w.rand, 0, 4) === 0) ||
            (isNew(text) && between(w.rand, 0, 9) === 0),
        });
      }
      if (!phase.has('reset') && step >= CHANGES * 0.35) {
        phase.add('reset');
        // A reconnect; the frames held on the old connection arrive on the new one, after the
        // client caught up, shuffled and twice each.
        const connects = viaProxy.stats.connects;
        const catchUps = viaProxy.stats.catchUps;
        proxy.resetAll();
        await until('reconnect', () => viaProxy.stats.connects > connects && viaProxy.connected);
        await until('catch-up', () => viaProxy.stats.catchUps > catchUps);
        expect(await settleAll(w, [viaProxy], 10_000, { versions: true })).toEqual([]);
        w.log.note(`releasing ${proxy.held.length} held frames after the reconnect`);
        proxy.releaseHeld(duplicated);
      }
      if (!phase.has('refused') && step >= CHANGES * 0.55) {
        phase.add('refused');
        // Disconnected for a while: what changes meanwhile comes only through the change feed.
        proxy.set({ refuse: true });
        proxy.resetAll();
        w.log.note('connections refused');
      }
      if (!phase.has('accepted') && step >= CHANGES * 0.7) {
        phase.add('accepted');
        proxy.set({ refuse: false });
        w.log.note('connections accepted again');
      }
      if (step % 4 === 3) {
        // A burst: three changes at once, which the server may emit in any order.
        await Promise.all([change(), change(), change()]);
        step += 2;
      } else await change();
    }
    proxy.set({ holdDownFrame: null, dropDownFrame: null, refuse: false });
    await until('connected at the end', () => viaProxy.connected);
    await pause(300);
    const stillHeld = proxy.held.length;
    proxy.releaseHeld(duplicated);

    // 2. The client behind the proxy.
    expect(await settleAll(w, [viaProxy], 20_000, { versions: true }), viaProxy.describe()).toEqual(
      [],
    );
    // Late frames of the last release may still be on their way: let them land, then compare.
    await pause(300);
    const proxied = await checkMessageStates(w.store.db, w.log, [viaProxy.heldState()]);
    expect(viaProxy.resurrected).toEqual([]);
    await viaProxy.snapshotUnread();
    await checkOracle(w.store.db, w.log);
    expect(proxy.released).toBeGreaterThan(0);
    expect(proxy.dropped.length).toBeGreaterThan(0);
    expect(viaProxy.stats.stale).toBeGreaterThan(0);

    // 1. The observers' events, replayed.
    const stored = await storedStates(w.store.db, [group, direct]);
    const replays: Array<[string, TestSocket, number]> = [
      ['carol', observerCarol, group],
      ['alice', observerAlice, group],
      ['alice', observerAlice, direct],
    ];
    let replayed = 0;
    let eventsSeen = 0;
    for (const [name, socket, conv] of replays) {
      const events = socket.received
        .slice(observedFrom.get(socket))
        .filter(
          (e) =>
            (e.event === 'message:new' || e.event === 'message:updated') &&
            e.payload.conversationId === conv,
        )
        .map((e) => e.payload as FullMessage);
      eventsSeen += events.length;
      const base = before.get(conv)!;
      const want = stored.get(conv)!;
      const orders: Array<[string, FullMessage[]]> = [
        ['in order', events],
        ['reversed', [...events].reverse()],
      ];
      for (let k = 0; k < 20; k++) {
        const dup = events.flatMap((e) => Array.from({ length: between(w.rand, 1, 3) }, () => e));
        orders.push([`shuffled #${k}`, shuffled(dup)]);
      }
      for (const [how, list] of orders) {
        const r = merge(base, list);
        const where = `${name}'s events of c${conv}, ${how} (seed ${w.seed})`;
        expect(r.resurrected, `${where}: shown again after deletion`).toEqual([]);
        expect(r.conflicts, `${where}: one version, two contents`).toEqual([]);
        expect(differences(r.state, want), where).toBe('');
        replayed += list.length;
      }
      // The last event of each changed message is its stored state.
      const last = new Map<number, FullMessage>();
      for (const e of events) last.set(e.id, e);
      for (const [id, e] of last) {
        const s = want.find((m) => m.id === id)!;
        expect(stateDiff(stateOfWire(e), s), `${name}: last event of id ${id}`).toBe('');
      }
    }

    console.log(
      `[R14] seed ${w.seed}: ${[...done.entries()]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(
      `[R14] proxy: ${proxy.dropped.length} frames dropped, ${proxy.released} held frames ` +
        `delivered late (twice each; ${stillHeld} at the end); client: ${viaProxy.stats.connects} ` +
        `connects, ${viaProxy.stats.updates} message:updated, ${viaProxy.stats.replaced} copies ` +
        `replaced, ${viaProxy.stats.stale} stale copies ignored, ${viaProxy.stats.gapFetches} ` +
        `gap fetches, ${viaProxy.stats.changesPages} changes pages; state: ${proxied.messages} ` +
        `messages (${proxied.deleted} deleted, ${proxied.edited} edited, ${proxied.withReactions} ` +
        `with reactions, ${proxied.pinned} pinned, ${proxied.replies} replies); replay: ` +
        `${eventsSeen} events, ${replayed} deliveries merged`,
    );
  });

  it('catches up through changes?since= alone to the same state', async () => {
    const stored = await storedStates(w.store.db, [group, direct]);
    let pages = 0;
    for (const conv of [group, direct]) {
      // After the run, quiet: pages of 7 ascending by version, each message once.
      const since0 = versionBefore.get(conv)!;
      const last = await lastVersionOf(conv);
      const got: FullMessage[] = [];
      let since = since0;
      for (;;) {
        const res = await w.proc.api.get(
          `/api/conversations/${conv}/changes?since=${since}&limit=7`,
          { token: alice.token },
        );
        expect(res.status).toBe(200);
        pages++;
        const page = res.body as { messages: FullMessage[]; lastVersion: number; hasMore: boolean };
        expect(page.lastVersion).toBe(last);
        expect(page.messages.length).toBeLessThanOrEqual(7);
        for (const m of page.messages) expect(m.version).toBeGreaterThan(since);
        const vs = page.messages.map((m) => m.version);
        expect(vs).toEqual([...vs].sort((a, b) => a - b));
        got.push(...page.messages);
        if (!page.hasMore) break;
        expect(page.messages.length).toBe(7);
        since = vs[vs.length - 1]!;
      }
      expect(new Set(got.map((m) => m.id)).size, 'each message once').toBe(got.length);
      if (got.length) expect(got[got.length - 1]!.version).toBe(last);
      // Beyond the end: nothing.
      const beyond = await w.proc.api.get(
        `/api/conversations/${conv}/changes?since=${last}&limit=7`,
        { token: alice.token },
      );
      expect(beyond.body).toEqual({ messages: [], lastVersion: last, hasMore: false });
      const r = merge(before.get(conv)!, got);
      expect(r.resurrected).toEqual([]);
      expect(differences(r.state, stored.get(conv)!), `c${conv} from version ${since0}`).toBe('');
    }

    // Again from the history loaded before the run, while changes keep happening between the
    // pages (a message changed meanwhile comes again, at its new version).
    let during = 0;
    for (const conv of [group, direct]) {
      const base = before.get(conv)!;
      const since0 = versionBefore.get(conv)!;
      const got: FullMessage[] = [];
      let since = since0;
      for (;;) {
        const res = await w.proc.api.get(
          `/api/conversations/${conv}/changes?since=${since}&limit=7`,
          { token: alice.token },
        );
        pages++;
        got.push(...res.body.messages);
        if (!res.body.hasMore) break;
        since = res.body.messages[res.body.messages.length - 1].version;
        if (during < 60) {
          during++;
          await change();
        }
      }
      const want = (await storedStates(w.store.db, [conv])).get(conv)!;
      const r = merge(base, got);
      expect(r.resurrected).toEqual([]);
      expect(differences(r.state, want), `c${conv} with changes between pages`).toBe('');
    }
    console.log(`[R14] change feed alone: ${pages} pages, ${during} changes made while paging`);
  });
});

// The state oracle must be able to fail: a planted difference is reported.
describe('R14 state oracle', () => {
  it('reports a message whose copy differs from the database', async () => {
    const held = viaProxy.heldState();
    const conv = held.conversations.find((c) => c.conversationId === group)!;
    const edited = conv.messages.map((m, i) => (i === 3 ? { ...m, body: 'planted' } : m));
    const planted = { ...held, conversations: [{ ...conv, messages: edited }] };
    const err = await checkMessageStates(w.store.db, w.log, [planted]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OracleError);
    expect((err as Error).message).toMatch(/body "planted"/);
  });
});

// Racing changes of one message, on every database of the suite: the sender edits while the
// group's owner deletes it twice over two sockets and reacts to it, all at once, for many
// messages. Whatever order the server takes them in, the rules hold: an edit or a reaction
// that comes after the deletion is `forbidden` (so no stored row is edited after its
// deletion, and no reaction row of a deleted message is left); of the two deletions one
// deletes and the other is a no-op answering the same tombstone; the stored row ends deleted
// with body ""; lastVersion rose by exactly one per real change (edits and reactions that
// succeeded, one deletion per message), and a member's socket heard exactly one
// message:updated per real change.
const raceKinds = [...new Set(['sqlite' as const, ...reliabilityDbs()])];

describe.each(raceKinds)('R14 racing changes of one message (%s)', (kind) => {
  it('follows the rules whatever order the server takes them in', async () => {
    const rw = await startWorld(`R14 race ${kind}`, { kind });
    const socks: TestSocket[] = [];
    try {
      const [owner, sender] = (await registerMany(rw.proc.api, 2)) as [TestUser, TestUser];
      const room = await createRoom(rw.proc.api, owner, [owner, sender], { name: 'race' });
      const [o1, o2, s1, watch] = await Promise.all([
        connectSocket(rw.proc.url, owner.token),
        connectSocket(rw.proc.url, owner.token),
        connectSocket(rw.proc.url, sender.token),
        connectSocket(rw.proc.url, sender.token),
      ]);
      socks.push(o1, o2, s1, watch);
      const ids: number[] = [];
      for (let k = 0; k < 60; k++) {
        const ack = await s1.request('message:send', {
          conversationId: room,
          clientId: `race-${k}`,
          body: `race ${k}`,
        });
        expect(ack.ok).toBe(true);
        ids.push(ack.data.id);
      }
      const v0 = await rw.store.db
        .selectFrom('conversations')
        .select('last_version')
        .where('id', '=', room)
        .executeTakeFirstOrThrow();
      const from = watch.received.length;
      const problems: string[] = [];
      let realChanges = 0;
      const outcomes = new Map<string, number>();
      const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
      for (let i = 0; i < ids.length; i += 10) {
        await Promise.all(
          ids.slice(i, i + 10).map(async (id) => {
            const [edit, del1, del2, react] = await Promise.all([
              s1.request('message:edit', { messageId: id, body: `edited ${id}` }),
              o1.request('message:delete', { messageId: id }),
              o2.request('message:delete', { messageId: id }),
              o1.request('reaction:set', { messageId: id, emoji: '👍', on: true }),
            ]);
            for (const [what, ack] of [
              ['edit', edit],
              ['reaction', react],
            ] as const) {
              // (An answer may show a later state than its own change: the deletion that
              // came right after it.)
              if (ack.ok) {
                realChanges++;
                count(`${what} ok`);
              } else {
                count(`${what} ${ack.error.code}`);
                if (ack.error.code !== 'forbidden')
                  problems.push(`${what} of id ${id}: ${ack.error.code}`);
              }
            }
            if (!del1.ok || !del2.ok) {
              problems.push(`delete of id ${id}: ${JSON.stringify(del1.ok ? del2 : del1)}`);
              return;
            }
            realChanges++;
            if (
              del1.data.deletedAt !== del2.data.deletedAt ||
              del1.data.version !== del2.data.version
            )
              problems.push(
                `two deletions of id ${id} both deleted: v${del1.data.version} at ${del1.data.deletedAt}, v${del2.data.version} at ${del2.data.deletedAt}`,
              );
          }),
        );
      }
      const rows = await rw.store.db
        .selectFrom('messages')
        .select(['id', 'body', 'deleted_at', 'edited_at'])
        .where('id', 'in', ids)
        .execute();
      for (const r of rows) {
        if (r.deleted_at === null) problems.push(`id ${r.id} not deleted`);
        else if (r.edited_at !== null && Number(r.edited_at) > Number(r.deleted_at))
          problems.push(
            `id ${r.id} edited ${Number(r.edited_at) - Number(r.deleted_at)} ms after its deletion`,
          );
        else if (r.body !== '')
          problems.push(`id ${r.id} deleted but its stored body is ${JSON.stringify(r.body)}`);
      }
      const left = await rw.store.db
        .selectFrom('reactions')
        .select(['message_id'])
        .where('message_id', 'in', ids)
        .execute();
      for (const r of left)
        problems.push(`id ${r.message_id} deleted but a reaction row is stored`);
      const v1 = await rw.store.db
        .selectFrom('conversations')
        .select('last_version')
        .where('id', '=', room)
        .executeTakeFirstOrThrow();
      const raised = Number(v1.last_version) - Number(v0.last_version);
      if (raised !== realChanges)
        problems.push(`lastVersion rose by ${raised}, but ${realChanges} changes were real`);
      await pause(500);
      const heard = watch.received
        .slice(from)
        .filter((e) => e.event === 'message:updated' && ids.includes(e.payload.id)).length;
      if (heard !== realChanges)
        problems.push(`${heard} message:updated heard, but ${realChanges} changes were real`);
      console.log(
        `[R14 race ${kind}] ${ids.length} messages, each edited, deleted twice and reacted to at once: ` +
          `${[...outcomes.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}; ${problems.length} problems`,
      );
      if (problems.length) console.log(`[R14 race ${kind}] problems:\n${problems.join('\n')}`);
      expect(problems.slice(0, 15), `seed ${rw.seed}`).toEqual([]);
    } finally {
      for (const s of socks) s.close();
      await stopWorld(rw);
    }
  });
});
