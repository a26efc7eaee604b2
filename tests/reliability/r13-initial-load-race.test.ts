import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import {
  checkMessageStates,
  checkOracle,
  stateDiff,
  stateOfWire,
  type MessageState,
} from '../helpers/oracle.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import {
  between,
  clientFor,
  createRoom,
  registerMany,
  settleAll,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// R13, the initial-load race (Zulip's verify_action pattern). A client connects and loads its
// conversations and their history page by page; at every step of that load the test changes
// things at once — new messages and replies, edits, deletions (by the sender, and by a group's
// owner of someone else's message), reactions set and removed, pins and unpins, people joining
// and leaving, the client's user added to a group, removed from one, joining or leaving one
// from another device. The client keeps, per message, the copy with the highest version from
// its pages and its live `message:new` and `message:updated` events, and catches up (v1.1)
// through GET …/changes?since= when a conversation's lastVersion moved past its version cursor
// (for instance when it is added back to a group). Rounds alternate its first load: history
// pages (then the changes since the lastVersion the list showed), or the change feed alone
// from version 0, in small pages. After the load and the events it buffered, the client's
// state must equal what a fresh full load shows, message by message (id, seq, version, body,
// deletedAt, editedAt, reactions, pin, reply excerpt), and the database.

const ROUNDS = 8;
const PAGE = 40;
/** Small change pages, so that the change-feed load takes many steps to race with. */
const CHANGES_PAGE = 25;
const EMOJI = ['👍', '🎉', '😂', '👀', '🔥'];

let w: World;
let carol: TestUser;
let dave: TestUser;
let erin: TestUser;
let frank: TestUser;
/** Public, with history: Carol, Dave and Erin. */
let g1: number;
/** Private: Erin and Carol. */
let g2: number;
/** Public, Frank's: Carol joins and leaves it from another device. */
let g3: number;
/** Private, Dave's: Dave adds and removes Carol. */
let g4: number;
let direct: number;
const sockets: TestSocket[] = [];
let socketOf: Map<number, TestSocket>;

beforeAll(async () => {
  w = await startWorld('R13');
  [carol, dave, erin, frank] = (await registerMany(w.proc.api, 4)) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ];
  g1 = await createRoom(w.proc.api, dave, [dave, carol, erin], { isPrivate: false, name: 'g1' });
  g2 = await createRoom(w.proc.api, erin, [erin, carol], { name: 'g2' });
  g3 = await createRoom(w.proc.api, frank, [frank], { isPrivate: false, name: 'g3' });
  g4 = await createRoom(w.proc.api, dave, [dave, frank], { name: 'g4' });
  const d = await w.proc.api.post(
    '/api/conversations/direct',
    { userId: frank.id },
    { token: carol.token },
  );
  direct = d.body.id;
  socketOf = new Map();
  for (const u of [carol, dave, erin, frank]) {
    const s = await connectSocket(w.proc.url, u.token);
    sockets.push(s);
    socketOf.set(u.id, s);
  }
  // Some history, so the load takes several pages.
  for (let k = 0; k < 90; k++) await say(k % 2 ? dave : erin, g1, `history ${k}`);
  for (let k = 0; k < 45; k++) await say(erin, g2, `history ${k}`);
  for (let k = 0; k < 10; k++) await say(frank, direct, `history ${k}`);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await stopWorld(w);
});

let said = 0;
async function say(
  u: TestUser,
  conversationId: number,
  body: string,
  replyToId?: number,
): Promise<void> {
  const ack = await socketOf.get(u.id)!.request('message:send', {
    conversationId,
    clientId: `r13-${said++}`,
    body,
    ...(replyToId === undefined ? {} : { replyToId }),
  });
  // A refusal is fine (the sender may have just left, the message answered may have just been
  // deleted); anything else is not.
  if (!ack.ok && !['forbidden', 'not_found', 'validation_failed'].includes(ack.error.code)) {
    throw new Error(`send: ${JSON.stringify(ack)}`);
  }
}

/** A text message of a conversation, chosen at random (optionally only one user's). */
async function anyText(
  conversationId: number,
  senderId?: number,
): Promise<{ id: number; deleted: boolean; pinned: boolean } | null> {
  let q = w.store.db
    .selectFrom('messages')
    .select(['id', 'deleted_at', 'pinned_at'])
    .where('conversation_id', '=', conversationId)
    .where('kind', '=', 'text');
  if (senderId !== undefined) q = q.where('sender_id', '=', senderId);
  const rows = await q.orderBy('seq').execute();
  if (rows.length === 0) return null;
  const r = rows[between(w.rand, 0, rows.length - 1)]!;
  return { id: Number(r.id), deleted: r.deleted_at !== null, pinned: r.pinned_at !== null };
}

/**
 * A change of a message over the socket of `u`; refusals that a race explains (forbidden: the
 * message was deleted or the user left; not_found) are fine, anything else is not.
 */
async function alter(u: TestUser, event: string, payload: object): Promise<string> {
  const ack = await socketOf.get(u.id)!.request(event, payload);
  if (ack.ok) return 'ok';
  if (['forbidden', 'not_found'].includes(ack.error.code)) return ack.error.code;
  throw new Error(`${event}: ${JSON.stringify(ack)}`);
}

let edits = 0;

const isMember = async (conversationId: number, userId: number) =>
  !!(await w.store.db
    .selectFrom('members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst());

/** One random change, chosen from the run's seed. */
async function change(): Promise<string> {
  const pick = between(w.rand, 0, 17);
  const api = w.proc.api;
  switch (pick) {
    case 9:
    case 10: {
      // The sender edits one of their messages (Dave or Erin in g1, Erin in g2, Frank in the
      // direct conversation).
      const [u, conv] = (
        [
          [dave, g1],
          [erin, g1],
          [erin, g2],
          [frank, direct],
        ] as const
      )[between(w.rand, 0, 3)]!;
      const m = await anyText(conv, u.id);
      if (!m) return 'nothing to edit';
      const r = await alter(u, 'message:edit', { messageId: m.id, body: `edit ${edits++}` });
      return `edit in c${conv}: ${r}`;
    }
    case 11: {
      // Erin deletes one of her g1 messages, or Dave (g1's owner) deletes anyone's.
      const owner = w.rand() < 0.5;
      const m = await anyText(g1, owner ? undefined : erin.id);
      if (!m) return 'nothing to delete';
      const r = await alter(owner ? dave : erin, 'message:delete', { messageId: m.id });
      return `${owner ? 'owner ' : ''}delete in g1: ${r}${m.deleted ? ' (again)' : ''}`;
    }
    case 12: {
      // Frank deletes one of his direct messages.
      const m = await anyText(direct, frank.id);
      if (!m) return 'nothing to delete';
      return `delete in direct: ${await alter(frank, 'message:delete', { messageId: m.id })}`;
    }
    case 13:
    case 14: {
      // A reaction set or removed: Dave or Erin in g1, Frank in the direct conversation, or
      // Carol from another device (REST).
      const who = between(w.rand, 0, 3);
      const conv = who === 2 ? direct : who === 3 ? [g1, g2, direct][between(w.rand, 0, 2)]! : g1;
      const m = await anyText(conv);
      if (!m) return 'nothing to react to';
      const emoji = EMOJI[between(w.rand, 0, EMOJI.length - 1)]!;
      const on = w.rand() < 0.7;
      if (who === 3) {
        const path = `/api/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
        const res = on
          ? await api.put(path, undefined, { token: carol.token })
          : await api.delete(path, { token: carol.token });
        if (![200, 403, 404].includes(res.status))
          throw new Error(`reaction: ${res.status} ${res.text}`);
        return `carol ${on ? 'reacts' : 'unreacts'} in c${conv} (another device): ${res.status}`;
      }
      const u = [dave, erin, frank][who]!;
      const r = await alter(u, 'reaction:set', { messageId: m.id, emoji, on });
      return `reaction ${on ? 'on' : 'off'} in c${conv}: ${r}`;
    }
    case 15: {
      // Dave pins or unpins in g1 (he owns it); Frank in the direct conversation.
      const [u, conv] = w.rand() < 0.5 ? [dave, g1] : [frank, direct];
      const m = await anyText(conv);
      if (!m) return 'nothing to pin';
      const r = await alter(u, 'message:pin', { messageId: m.id, pinned: !m.pinned });
      return `${m.pinned ? 'unpin' : 'pin'} in c${conv}: ${r}`;
    }
    case 16: {
      // A reply, whose excerpt changes with the message it answers.
      const m = await anyText(g1);
      if (!m) return 'nothing to reply to';
      await say(dave, g1, 'a reply during load', m.id);
      return 'g1 reply';
    }
    case 17: {
      // Dave edits in his private group, whose history Carol may be out of right now.
      const m = await anyText(g4, dave.id);
      if (!m) return 'nothing to edit in g4';
      return `edit in g4: ${await alter(dave, 'message:edit', { messageId: m.id, body: `edit ${edits++}` })}`;
    }
    case 0:
    case 1:
      await say(pick ? dave : erin, g1, 'during load');
      return 'g1 message';
    case 2:
      await say(erin, g2, 'during load');
      return 'g2 message';
    case 3:
      await say(frank, direct, 'during load');
      return 'direct message';
    case 4: {
      // Erin leaves the public group, or comes back to it.
      const path = (await isMember(g1, erin.id)) ? 'leave' : 'join';
      await api.post(`/api/conversations/${g1}/${path}`, undefined, { token: erin.token });
      return `erin ${path}s g1`;
    }
    case 5: {
      // Carol joins or leaves Frank's public group from another device.
      const path = (await isMember(g3, carol.id)) ? 'leave' : 'join';
      await api.post(`/api/conversations/${g3}/${path}`, undefined, { token: carol.token });
      return `carol ${path}s g3`;
    }
    case 6: {
      // Dave adds Carol to his private group, or removes her.
      if (await isMember(g4, carol.id)) {
        await api.delete(`/api/conversations/${g4}/members/${carol.id}`, { token: dave.token });
        return 'carol removed from g4';
      }
      await api.post(
        `/api/conversations/${g4}/members`,
        { userIds: [carol.id] },
        { token: dave.token },
      );
      return 'carol added to g4';
    }
    case 7:
      await say(dave, g4, 'during load');
      return 'g4 message';
    default:
      await api.post(
        `/api/conversations/${g1}/messages`,
        { body: 'from carol on another device' },
        { token: carol.token },
      );
      return 'carol sends from another device';
  }
}

/**
 * The client's state: the conversations it believes it is in, each with its messages in seq
 * order, each as its latest copy shows it.
 */
function stateOf(c: ChatClient): Record<number, MessageState[]> {
  const out: Record<number, MessageState[]> = {};
  const held = c.heldState().conversations;
  for (const h of [...held].sort((x, y) => x.conversationId - y.conversationId))
    out[h.conversationId] = h.messages.map((m) => stateOfWire(m));
  return out;
}

/** Where two states differ, in words. */
function diff(got: Record<number, MessageState[]>, want: Record<number, MessageState[]>): string {
  const out: string[] = [];
  for (const id of new Set([...Object.keys(got), ...Object.keys(want)].map(Number))) {
    const g = got[id];
    const x = want[id];
    if (!g) out.push(`c${id}: not held, fresh load has ${x!.length} messages`);
    else if (!x) out.push(`c${id}: held with ${g.length} messages, not in a fresh load`);
    else {
      const gIds = g.map((m) => m.id);
      const xIds = x.map((m) => m.id);
      if (gIds.join() !== xIds.join()) {
        const missing = xIds.filter((m) => !gIds.includes(m));
        const extra = gIds.filter((m) => !xIds.includes(m));
        out.push(`c${id}: missing ids [${missing.join(',')}], extra ids [${extra.join(',')}]`);
      }
      const byId = new Map(g.map((m) => [m.id, m]));
      for (const m of x) {
        const mine = byId.get(m.id);
        const d = mine ? stateDiff(mine, m) : '';
        if (d) out.push(`c${id} seq ${m.seq} (id ${m.id}): ${d}`);
      }
    }
  }
  return out.slice(0, 20).join('\n');
}

describe('R13 initial-load race', () => {
  it('ends in the state of a fresh full load, whatever happens during the load', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const done: string[] = [];
      let loading = true;
      const initialLoad = round % 2 === 0 ? 'history' : 'changes';
      const racing = clientFor(w, carol, `racing${round}`, {
        pageSize: PAGE,
        sync: 'changes',
        initialLoad,
        changesPageSize: CHANGES_PAGE,
        duringCatchUp: async () => {
          // Only the initial load races; later catch-ups (gaps) run undisturbed.
          if (!loading || done.length > 40) return;
          // One to three changes at the same moment, racing each other and the load.
          const n = between(w.rand, 1, 3);
          done.push(...(await Promise.all(Array.from({ length: n }, () => change()))));
        },
      });
      await racing.connect(30_000);
      loading = false;
      const lagging = await settleAll(w, [racing], 20_000, { versions: true });
      expect(lagging, `round ${round}: ${done.join(', ')}\n${racing.describe()}`).toEqual([]);

      const fresh = clientFor(w, carol, `fresh${round}`, { pageSize: 200 });
      await fresh.connect(30_000);
      expect(await settleAll(w, [fresh], 20_000)).toEqual([]);
      const got = stateOf(racing);
      const want = stateOf(fresh);
      expect(got, `round ${round}: ${done.join(', ')}\n${diff(got, want)}`).toEqual(want);

      for (const c of [racing, fresh]) await c.snapshotUnread();
      await checkOracle(w.store.db, w.log);
      // And both equal the database, message by message; nothing deleted came back.
      await checkMessageStates(w.store.db, w.log, [racing.heldState(), fresh.heldState()]);
      expect(racing.resurrected).toEqual([]);
      racing.close({ leftRun: true });
      fresh.close({ leftRun: true });
      const kinds = new Map<string, number>();
      for (const d of done) {
        const k = d.replace(/ in c\d+/, '').replace(/:.*/, '');
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      console.log(
        `[R13] round ${round} (first load by ${initialLoad}): ${done.length} changes during ` +
          `the load (${[...kinds.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}); ` +
          `${racing.stats.pages} history pages, ${racing.stats.changesPages} changes pages, ` +
          `${racing.stats.updates} message:updated, ${racing.stats.replaced} copies replaced`,
      );
    }
  });
});
