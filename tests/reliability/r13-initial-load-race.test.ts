import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkOracle } from '../helpers/oracle.js';
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
// things at once — new messages, people joining and leaving, the client's user added to a
// group, removed from one, joining or leaving one from another device. After the load and
// the events it buffered, the client's state must equal what a fresh full load shows.

const ROUNDS = 6;
const PAGE = 40;

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
async function say(u: TestUser, conversationId: number, body: string): Promise<void> {
  const ack = await socketOf
    .get(u.id)!
    .request('message:send', { conversationId, clientId: `r13-${said++}`, body });
  // A refusal is fine (the sender may have just left); anything else is not.
  if (!ack.ok && !['forbidden', 'not_found'].includes(ack.error.code)) {
    throw new Error(`send: ${JSON.stringify(ack)}`);
  }
}

const isMember = async (conversationId: number, userId: number) =>
  !!(await w.store.db
    .selectFrom('members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst());

/** One random change, chosen from the run's seed. */
async function change(): Promise<string> {
  const pick = between(w.rand, 0, 8);
  const api = w.proc.api;
  switch (pick) {
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

/** The client's state: the conversations it believes it is in, each with its messages. */
function stateOf(c: ChatClient): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const id of c.conversationIds().sort((x, y) => x - y))
    out[id] = c.timeline(id).map((m) => m.id);
  return out;
}

/** Where two states differ, in words. */
function diff(got: Record<number, number[]>, want: Record<number, number[]>): string {
  const out: string[] = [];
  for (const id of new Set([...Object.keys(got), ...Object.keys(want)].map(Number))) {
    const g = got[id];
    const x = want[id];
    if (!g) out.push(`c${id}: not held, fresh load has ${x!.length} messages`);
    else if (!x) out.push(`c${id}: held with ${g.length} messages, not in a fresh load`);
    else if (g.join() !== x.join()) {
      const missing = x.filter((m) => !g.includes(m));
      const extra = g.filter((m) => !x.includes(m));
      out.push(`c${id}: missing ids [${missing.join(',')}], extra ids [${extra.join(',')}]`);
    }
  }
  return out.join('\n');
}

describe('R13 initial-load race', () => {
  it('ends in the state of a fresh full load, whatever happens during the load', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const done: string[] = [];
      let loading = true;
      const racing = clientFor(w, carol, `racing${round}`, {
        pageSize: PAGE,
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
      const lagging = await settleAll(w, [racing], 20_000);
      expect(lagging, `round ${round}: ${done.join(', ')}\n${racing.describe()}`).toEqual([]);

      const fresh = clientFor(w, carol, `fresh${round}`, { pageSize: 200 });
      await fresh.connect(30_000);
      expect(await settleAll(w, [fresh], 20_000)).toEqual([]);
      const got = stateOf(racing);
      const want = stateOf(fresh);
      expect(got, `round ${round}: ${done.join(', ')}\n${diff(got, want)}`).toEqual(want);

      for (const c of [racing, fresh]) await c.snapshotUnread();
      await checkOracle(w.store.db, w.log);
      racing.close({ leftRun: true });
      fresh.close({ leftRun: true });
      console.log(`[R13] round ${round}: ${done.length} changes during the load`);
    }
  });
});
