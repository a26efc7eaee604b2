import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import type { ChatClient } from '../helpers/chat-client.js';
import { checkMessageStates, checkOracle, OracleLog, type OracleEvent } from '../helpers/oracle.js';
import {
  clientFor,
  createRoom,
  registerMany,
  settleAll,
  startWorld,
  stopWorld,
  type World,
} from './support.js';

// The oracle must be able to fail: a clean run passes, and each kind of broken promise,
// planted in a copy of the log or in the database, is reported with the seed.

let w: World;
let alice: TestUser;
let room: number;
let a: ChatClient;
let b: ChatClient;

beforeAll(async () => {
  w = await startWorld('oracle self-check');
  const [al, bo] = (await registerMany(w.proc.api, 2)) as [TestUser, TestUser];
  alice = al;
  room = await createRoom(w.proc.api, al, [al, bo], { name: 'self-check' });
  a = clientFor(w, al, 'alice');
  b = clientFor(w, bo, 'bob');
  await Promise.all([a.connect(), b.connect()]);
  for (let k = 0; k < 3; k++) await a.send(room, `hello ${k}`);
  await b.read(room, 3);
  expect(await settleAll(w, [a, b])).toEqual([]);
  await a.snapshotUnread();
  await b.snapshotUnread();
});

afterAll(async () => {
  await stopWorld(w);
});

/** A copy of the run's log with one event changed, added or dropped. */
function planted(edit: (events: OracleEvent[]) => void): OracleLog {
  const log = new OracleLog('planted', w.seed);
  const events = structuredClone(w.log.events);
  edit(events);
  log.events.push(...events);
  return log;
}

const lastIndex = (events: OracleEvent[], pred: (e: OracleEvent) => boolean) => {
  for (let i = events.length - 1; i >= 0; i--) if (pred(events[i]!)) return i;
  throw new Error('no such event');
};

describe('the oracle', () => {
  it('passes a clean run', async () => {
    const s = await checkOracle(w.store.db, w.log);
    expect(s.acks).toBe(3);
    expect(s.unreadChecked).toBeGreaterThanOrEqual(2);
  });

  it.each<[string, (events: OracleEvent[]) => void, RegExp]>([
    [
      'an ack naming another seq',
      (ev) => {
        const e = ev[lastIndex(ev, (x) => x.k === 'ack')] as Extract<OracleEvent, { k: 'ack' }>;
        e.seq += 1;
      },
      /acked .* stored as/,
    ],
    [
      'a send never acked',
      (ev) => {
        const send = ev.find((x) => x.k === 'send')!;
        ev.push({ ...send, clientId: 'never-acked' });
      },
      /never-acked.*(not stored|never acked)/,
    ],
    [
      'a received message that is not stored',
      (ev) => {
        const e = ev.find((x) => x.k === 'recv') as Extract<OracleEvent, { k: 'recv' }>;
        ev.push({ ...e, m: { ...e.m, id: 999_999 } });
      },
      /not stored/,
    ],
    [
      'a message received with other content',
      (ev) => {
        const e = ev.find((x) => x.k === 'recv' && x.m.kind === 'text') as Extract<
          OracleEvent,
          { k: 'recv' }
        >;
        e.m.body = 'changed on the way';
      },
      /other fields differ/,
    ],
    [
      'a message applied twice',
      (ev) => {
        const i = lastIndex(ev, (x) => x.k === 'apply' && x.client === 'bob');
        ev.push({ ...ev[i]! });
      },
      /applied .* twice/,
    ],
    [
      'a message missing from a timeline',
      (ev) => {
        ev.splice(
          lastIndex(ev, (x) => x.k === 'apply' && x.client === 'bob'),
          1,
        );
      },
      /holds 1 message\(s\) of c\d+ too few/,
    ],
    [
      'an unread count off by one',
      (ev) => {
        const e = ev[lastIndex(ev, (x) => x.k === 'unread' && x.client === 'bob')] as Extract<
          OracleEvent,
          { k: 'unread' }
        >;
        e.unreadCount += 1;
      },
      /server says unread/,
    ],
  ])('reports %s', async (_name, edit, text) => {
    const log = planted(edit);
    const err = await checkOracle(w.store.db, log).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(text);
    expect(err?.message).toContain(`seed ${w.seed}`);
  });

  it('reports a gap in the stored seqs', async () => {
    const last = await w.store.db
      .selectFrom('conversations')
      .select('last_seq')
      .where('id', '=', room)
      .executeTakeFirstOrThrow();
    const seq = Number(last.last_seq) + 2;
    await w.store.db
      .insertInto('messages')
      .values({
        conversation_id: room,
        seq,
        sender_id: alice.id,
        client_id: null,
        kind: 'text',
        body: 'planted after a gap',
        meta: null,
        created_at: Date.now(),
      })
      .execute();
    await w.store.db
      .updateTable('conversations')
      .set({ last_seq: seq })
      .where('id', '=', room)
      .execute();
    await expect(checkOracle(w.store.db, w.log)).rejects.toThrow(/seq not dense/);
  });
});

// The v1.1 parts: deleted messages leave the unread model, copies are compared at their
// version, and the state oracle compares every client's latest copies with the database.
describe('the oracle, with message changes', () => {
  let cw: World;
  let ca: ChatClient;
  let cb: ChatClient;
  let ids: number[];

  beforeAll(async () => {
    cw = await startWorld('oracle self-check, changes');
    const [al, bo] = (await registerMany(cw.proc.api, 2)) as [TestUser, TestUser];
    const r = await createRoom(cw.proc.api, al, [al, bo], { name: 'self-check-changes' });
    ca = clientFor(cw, al, 'alice', { sync: 'changes' });
    cb = clientFor(cw, bo, 'bob', { sync: 'changes' });
    await Promise.all([ca.connect(), cb.connect()]);
    ids = [];
    for (let k = 0; k < 3; k++) ids.push((await ca.send(r, `hello ${k}`)).id);
    expect((await ca.change({ conversationId: r, kind: 'delete', messageId: ids[1]! })).ok).toBe(
      true,
    );
    expect(
      (await ca.change({ conversationId: r, kind: 'edit', messageId: ids[2]!, body: 'edited' })).ok,
    ).toBe(true);
    expect(await settleAll(cw, [ca, cb], 20_000, { versions: true })).toEqual([]);
    await ca.snapshotUnread();
    await cb.snapshotUnread();
  });

  afterAll(async () => {
    await stopWorld(cw);
  });

  const plantedIn = (edit: (events: OracleEvent[]) => void): OracleLog => {
    const log = new OracleLog('planted', cw.seed);
    const events = structuredClone(cw.log.events);
    edit(events);
    log.events.push(...events);
    return log;
  };

  it('passes a clean run, the deleted message not counted as unread', async () => {
    await checkOracle(cw.store.db, cw.log);
    const bob = cw.log.events.find((e) => e.k === 'unread' && e.client === 'bob');
    expect(bob && bob.k === 'unread' && bob.unreadCount).toBe(2);
    const s = await checkMessageStates(cw.store.db, cw.log, [ca.heldState(), cb.heldState()]);
    expect(s.deleted).toBe(1);
    expect(s.edited).toBe(1);
  });

  it('reports a deleted message counted as unread', async () => {
    const log = plantedIn((ev) => {
      const e = ev[lastIndex(ev, (x) => x.k === 'unread' && x.client === 'bob')] as Extract<
        OracleEvent,
        { k: 'unread' }
      >;
      e.unreadCount = 3;
    });
    await expect(checkOracle(cw.store.db, log)).rejects.toThrow(
      /server says unread 3, model says 2/,
    );
  });

  it('reports a copy of the stored version with another body', async () => {
    const log = plantedIn((ev) => {
      const e = ev[
        lastIndex(ev, (x) => x.k === 'recv' && x.m.id === ids[2] && x.m.body === 'edited')
      ] as Extract<OracleEvent, { k: 'recv' }>;
      e.m.body = 'hello 2';
    });
    await expect(checkOracle(cw.store.db, log)).rejects.toThrow(
      /body "hello 2" \(stored "edited"\)/,
    );
  });

  it('reports a client holding an older copy, and one showing a deleted message again', async () => {
    const held = cb.heldState();
    const stale = {
      ...held,
      conversations: held.conversations.map((c) => ({
        ...c,
        messages: c.messages.map((m) =>
          m.id === ids[1] ? { ...m, deletedAt: null, body: 'hello 1' } : m,
        ),
      })),
    };
    await expect(checkMessageStates(cw.store.db, cw.log, [stale])).rejects.toThrow(
      /body "hello 1" \(stored ""\), deletedAt null/,
    );
    const back = { ...held, resurrected: [{ conversationId: 1, id: ids[1]!, version: 9 }] };
    await expect(checkMessageStates(cw.store.db, cw.log, [back])).rejects.toThrow(
      /again after its deletion/,
    );
  });
});
