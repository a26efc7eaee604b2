import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import { runSeed } from '../helpers/oracle.js';
import { ParleyProcess } from '../helpers/proc.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { registerMany } from './support.js';

// R12: unread counts against a model, with fast-check. Random sequences of send, read-up-to
// (on either of one user's two devices, over the socket or REST), join and leave are replayed
// against the server; after every step each user's unreadCount, myReadSeq, lastSeq and role,
// as seen from every device, equal the model's, and never go negative. A read on device A
// must show on device B at once. The protocol has no edits, deletes or mentions, so the
// plan's "deletion decrements" and mention counts have nothing to test here.

const RUNS = Number(process.env.PARLEY_R12_RUNS ?? 200);

type Person = 0 | 1 | 2;
const PEOPLE: Person[] = [0, 1, 2];

interface Member {
  read: number;
  /** Join order (the server hands ownership to the longest-standing member). */
  order: number;
}

interface Model {
  members: Map<Person, Member>;
  owner: Person | null;
  lastSeq: number;
  texts: Array<{ seq: number; sender: Person }>;
  deleted: boolean;
  nextOrder: number;
}

interface Real {
  conv: number;
}

let db: TestDatabase;
let proc: ParleyProcess;
let people: TestUser[];
/** The second device (session) of person 1. */
let deviceB: string;
const sockets = new Map<string, TestSocket>();
let keySeq = 0;

const tokenOf = (p: Person) => people[p]!.token;
const api = () => proc.api;

function unread(m: Model, p: Person): number {
  const me = m.members.get(p);
  if (!me) return 0;
  return m.texts.filter((t) => t.sender !== p && t.seq > me.read).length;
}

/** Every device's view of the conversation equals the model. */
async function verify(m: Model, r: Real, step: string): Promise<void> {
  const views: Array<[Person, string, string]> = [
    [0, tokenOf(0), 'p0'],
    [1, tokenOf(1), 'p1/A'],
    [1, deviceB, 'p1/B'],
    [2, tokenOf(2), 'p2'],
  ];
  const answers = await Promise.all(
    views.map(([, token]) => api().get(`/api/conversations/${r.conv}`, { token })),
  );
  for (const [i, [p, , label]] of views.entries()) {
    const res = answers[i]!;
    const where = `${step}: ${label}`;
    if (m.deleted) {
      expect(res.status, where).toBe(404);
      continue;
    }
    expect(res.status, where).toBe(200);
    const c = res.body;
    const me = m.members.get(p);
    expect(c.lastSeq, where).toBe(m.lastSeq);
    expect(c.memberCount, where).toBe(m.members.size);
    expect(c.unreadCount, where).toBeGreaterThanOrEqual(0);
    if (me) {
      expect(c.myRole, where).toBe(m.owner === p ? 'owner' : 'member');
      expect(c.myReadSeq, where).toBe(me.read);
      expect(c.unreadCount, where).toBe(unread(m, p));
    } else {
      expect(c.myRole, where).toBeNull();
      expect(c.unreadCount, where).toBe(0);
    }
  }
}

/** The server's error status for an action a non-member (or anyone, once deleted) may not do. */
const refusal = (m: Model) => (m.deleted ? 404 : 403);

class Send implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: Person,
    readonly overSocket: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const body = `text ${keySeq}`;
    const clientId = `r12-${keySeq++}`;
    let status: number;
    let seq: number | undefined;
    if (this.overSocket) {
      const ack = await sockets
        .get(`p${this.p}`)!
        .request('message:send', { conversationId: r.conv, clientId, body });
      status = ack.ok ? 201 : ack.error.code === 'not_found' ? 404 : 403;
      seq = ack.ok ? ack.data.seq : undefined;
    } else {
      const res = await api().post(
        `/api/conversations/${r.conv}/messages`,
        { clientId, body },
        { token: tokenOf(this.p) },
      );
      status = res.status;
      seq = res.body?.seq;
    }
    const me = m.members.get(this.p);
    if (!me || m.deleted) {
      expect(status).toBe(refusal(m));
    } else {
      expect(status).toBe(201);
      m.lastSeq++;
      expect(seq).toBe(m.lastSeq);
      m.texts.push({ seq: m.lastSeq, sender: this.p });
      me.read = m.lastSeq;
    }
    await verify(m, r, this.toString());
  }
  toString() {
    return `send(p${this.p}${this.overSocket ? ', socket' : ''})`;
  }
}

class Read implements fc.AsyncCommand<Model, Real> {
  /** `device` B is person 1's second session; reads on A go over the socket. */
  constructor(
    readonly p: Person,
    readonly device: 'A' | 'B',
    readonly at: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    // Anywhere from 0 to two past the end (the server caps a read at the last seq).
    const seq = Math.floor(this.at * (m.lastSeq + 3));
    let status: number;
    if (this.device === 'A') {
      const ack = await sockets
        .get(`p${this.p}`)!
        .request('conversation:read', { conversationId: r.conv, seq });
      status = ack.ok ? 204 : ack.error.code === 'not_found' ? 404 : 403;
    } else {
      const token = this.p === 1 ? deviceB : tokenOf(this.p);
      status = (await api().post(`/api/conversations/${r.conv}/read`, { seq }, { token })).status;
    }
    const me = m.members.get(this.p);
    if (!me || m.deleted) {
      expect(status).toBe(refusal(m));
    } else {
      expect(status).toBe(204);
      me.read = Math.max(me.read, Math.min(seq, m.lastSeq));
    }
    await verify(m, r, this.toString());
  }
  toString() {
    return `read(p${this.p}/${this.device}, ${this.at.toFixed(2)})`;
  }
}

class Join implements fc.AsyncCommand<Model, Real> {
  constructor(readonly p: Person) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await api().post(`/api/conversations/${r.conv}/join`, undefined, {
      token: tokenOf(this.p),
    });
    if (m.deleted) {
      expect(res.status).toBe(404);
    } else {
      expect(res.status).toBe(200);
      if (!m.members.has(this.p)) {
        m.lastSeq++;
        m.members.set(this.p, { read: m.lastSeq, order: m.nextOrder++ });
      }
    }
    await verify(m, r, this.toString());
  }
  toString() {
    return `join(p${this.p})`;
  }
}

class Leave implements fc.AsyncCommand<Model, Real> {
  constructor(readonly p: Person) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await api().post(`/api/conversations/${r.conv}/leave`, undefined, {
      token: tokenOf(this.p),
    });
    if (m.deleted || !m.members.has(this.p)) {
      expect(res.status).toBe(refusal(m));
    } else {
      expect(res.status).toBe(204);
      leave(m, this.p);
    }
    await verify(m, r, this.toString());
  }
  toString() {
    return `leave(p${this.p})`;
  }
}

/** The server's leave: the last member deletes the group; an owner hands over to the longest member. */
function leave(m: Model, p: Person): void {
  m.members.delete(p);
  if (m.members.size === 0) {
    m.deleted = true;
    return;
  }
  m.lastSeq++; // member_left
  if (m.owner === p) {
    const next = [...m.members.entries()].sort(
      (a, b) => a[1].order - b[1].order || people[a[0]]!.id - people[b[0]]!.id,
    )[0]![0];
    m.owner = next;
    m.lastSeq++; // role_changed
  }
}

const commands = [
  fc.tuple(fc.constantFrom(...PEOPLE), fc.boolean()).map(([p, s]) => new Send(p, s)),
  fc
    .tuple(
      fc.constantFrom(...PEOPLE),
      fc.constantFrom('A' as const, 'B' as const),
      fc.double({ min: 0, max: 0.999, noNaN: true }),
    )
    .map(([p, d, at]) => new Read(p, d, at)),
  fc.constantFrom(...PEOPLE).map((p) => new Join(p)),
  fc.constantFrom(...PEOPLE).map((p) => new Leave(p)),
];

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  proc = await ParleyProcess.start({ db });
  people = await registerMany(proc.api, 3);
  const login = await proc.api.post('/api/auth/login', {
    login: people[1]!.username,
    password: people[1]!.password,
  });
  expect(login.status).toBe(200);
  deviceB = login.body.accessToken;
  for (const p of PEOPLE) sockets.set(`p${p}`, await connectSocket(proc.url, tokenOf(p)));
});

afterAll(async () => {
  for (const s of sockets.values()) s.close();
  await proc?.stop();
  await db?.drop();
});

describe('R12 unread-count model', () => {
  it('matches the model after every step of random send/read/join/leave sequences', async () => {
    const seed = runSeed('R12');
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 12 }), async (cmds) => {
        runs++;
        // A fresh public group owned by person 0 with person 1; person 2 outside.
        const res = await api().post(
          '/api/conversations',
          { name: `model-${runs}`, isPrivate: false, memberIds: [people[1]!.id] },
          { token: tokenOf(0) },
        );
        expect(res.status).toBe(201);
        const model: Model = {
          members: new Map([
            [0, { read: 1, order: 0 }],
            [1, { read: 1, order: 0 }],
          ]),
          owner: 0,
          lastSeq: 1,
          texts: [],
          deleted: false,
          nextOrder: 1,
        };
        const real: Real = { conv: res.body.id };
        await verify(model, real, 'created');
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // The conversation list tells each device the same as the single view.
        for (const [p, token] of [
          [0, tokenOf(0)],
          [1, tokenOf(1)],
          [1, deviceB],
          [2, tokenOf(2)],
        ] as Array<[Person, string]>) {
          const list = await api().get('/api/conversations', { token });
          const entry = (list.body as any[]).find((c) => c.id === real.conv);
          const me = model.members.get(p);
          if (!me || model.deleted) expect(entry).toBeUndefined();
          else {
            expect(entry?.unreadCount).toBe(unread(model, p));
            expect(entry?.myReadSeq).toBe(me.read);
          }
        }
        // Leave the group behind so the next runs' lists stay short.
        for (const p of [...model.members.keys()]) {
          await api().post(`/api/conversations/${real.conv}/leave`, undefined, {
            token: tokenOf(p),
          });
        }
      }),
      { seed, numRuns: RUNS, endOnFailure: true },
    );
    console.log(`[R12] seed ${seed}: ${runs} sequences`);
  });
});
