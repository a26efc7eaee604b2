import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import { runSeed } from '../helpers/oracle.js';
import { ParleyProcess } from '../helpers/proc.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { registerMany } from './support.js';

// R12: unread counts against a model, with fast-check. Random sequences of send, read-up-to
// (on either of one user's two devices, over the socket or REST), join, leave, promotion to
// admin and back, edit and delete (v1.1: by the sender, and by the group's owner or an admin
// of someone else's message; over the socket or REST) are replayed against the server. After
// every step each user's unreadCount, myReadSeq, lastSeq, lastVersion, role and lastMessage,
// as seen from every device, equal the model's, and counts never go negative. A read on device
// A must show on device B at once. The model of v1.1: deleted messages never count as unread
// (deleting an unread message lowers the count); an edit changes no count; lastMessage is the
// message at lastSeq, a tombstone once deleted; every real change (a message or system message
// created, an edit, a deletion) raises lastVersion by exactly one and stamps it on the message,
// while a no-op (the same body again, a second delete) raises nothing, sends nothing and answers
// the message as it is (for a second delete, the same tombstone). Each real edit or deletion
// reaches every member's socket as one `message:updated` of the new version, and a deletion
// that changes a member's count or lastMessage sends that member `conversation:updated` with
// the new count. At the end of each sequence GET …/changes?since=0 lists every message once,
// ascending by version, each at the model's version. Refusals follow the v1.1 rules: outsiders
// of the (public) group get forbidden, a deleted group not_found; editing someone else's or a
// deleted message, or deleting someone else's as a plain member, is forbidden.
// Mentions are not implemented by the server yet (`mentions` is always [] and there is no
// mentionCount), so the plan's mention commands and mention counts are left out here.

const RUNS = Number(process.env.PARLEY_R12_RUNS ?? 200);

type Person = 0 | 1 | 2;
const PEOPLE: Person[] = [0, 1, 2];

interface Member {
  read: number;
  /** Join order (the server hands ownership to the longest-standing admin, else member). */
  order: number;
}

/** One message of the conversation, at index seq - 1. */
interface Msg {
  seq: number;
  kind: 'text' | 'system';
  /** Known for text messages (from the send's answer). */
  id: number | null;
  sender: Person | null;
  body: string;
  version: number;
  deletedAt: string | null;
  editedAt: string | null;
}

interface Model {
  members: Map<Person, Member>;
  owner: Person | null;
  admins: Set<Person>;
  lastSeq: number;
  lastVersion: number;
  msgs: Msg[];
  deleted: boolean;
  nextOrder: number;
  /** The `message:updated` (id, version) each person's socket must have got, in order. */
  updates: Map<Person, string[]>;
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
const socketOf = (p: Person) => sockets.get(`p${p}`)!;
const api = () => proc.api;

const texts = (m: Readonly<Model>) => m.msgs.filter((x) => x.kind === 'text');

function unread(m: Model, p: Person): number {
  const me = m.members.get(p);
  if (!me) return 0;
  return m.msgs.filter(
    (t) => t.kind === 'text' && t.deletedAt === null && t.sender !== p && t.seq > me.read,
  ).length;
}

function roleOf(m: Model, p: Person): 'owner' | 'admin' | 'member' {
  return m.owner === p ? 'owner' : m.admins.has(p) ? 'admin' : 'member';
}

/** A system message (join, leave, role change) takes the next seq and version. */
function systemMessage(m: Model): void {
  m.lastSeq++;
  m.lastVersion++;
  m.msgs.push({
    seq: m.lastSeq,
    kind: 'system',
    id: null,
    sender: null,
    body: '',
    version: m.lastVersion,
    deletedAt: null,
    editedAt: null,
  });
}

/** The conversation's lastMessage equals the model's message at lastSeq. */
function expectLastMessage(m: Model, got: any, where: string): void {
  const last = m.msgs[m.lastSeq - 1]!;
  expect(got, where).toBeTruthy();
  expect(got.seq, `${where}: lastMessage.seq`).toBe(m.lastSeq);
  expect(got.kind, `${where}: lastMessage.kind`).toBe(last.kind);
  expect(got.version, `${where}: lastMessage.version`).toBe(last.version);
  if (last.kind === 'text') {
    expect(got.id, `${where}: lastMessage.id`).toBe(last.id);
    expect(got.body, `${where}: lastMessage.body`).toBe(last.deletedAt ? '' : last.body);
    expect(got.deletedAt, `${where}: lastMessage.deletedAt`).toBe(last.deletedAt);
    expect(got.editedAt, `${where}: lastMessage.editedAt`).toBe(last.editedAt);
  }
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
    expect(c.lastVersion, `${where}: lastVersion`).toBe(m.lastVersion);
    expect(c.memberCount, where).toBe(m.members.size);
    expect(c.unreadCount, where).toBeGreaterThanOrEqual(0);
    expectLastMessage(m, c.lastMessage, where);
    if (me) {
      expect(c.myRole, where).toBe(roleOf(m, p));
      expect(c.myReadSeq, where).toBe(me.read);
      expect(c.unreadCount, `${where}: unreadCount`).toBe(unread(m, p));
    } else {
      expect(c.myRole, where).toBeNull();
      expect(c.unreadCount, where).toBe(0);
    }
  }
}

/** The server's error status for an action a non-member (or anyone, once deleted) may not do. */
const refusal = (m: Model) => (m.deleted ? 404 : 403);

/** An ack as an HTTP-like status and body. */
function fromAck(ack: any, okStatus: number): { status: number; body: any } {
  if (ack.ok) return { status: okStatus, body: ack.data };
  const code = ack.error.code as string;
  const status =
    code === 'not_found'
      ? 404
      : code === 'forbidden'
        ? 403
        : code === 'validation_failed'
          ? 400
          : 0;
  return { status, body: ack };
}

/** Resolves with the first event matching after position `from` of a socket's record. */
async function eventAfter(
  s: TestSocket,
  from: number,
  event: string,
  pred: (p: any) => boolean,
  what: string,
  timeoutMs = 3000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = s.received.slice(from).find((e) => e.event === event && pred(e.payload));
    if (hit) return hit.payload;
    if (Date.now() > deadline) throw new Error(`no ${event} (${what}) within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What the commands did, for the summary line (outcome per command kind). */
const tally = new Map<string, number>();
const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);

const marks = () => new Map(PEOPLE.map((p) => [p, socketOf(p).received.length] as const));

/** After a real change: every member's socket gets one message:updated of the new version. */
async function expectUpdated(m: Model, from: Map<Person, number>, msg: Msg, step: string) {
  await Promise.all(
    [...m.members.keys()].map(async (p) => {
      m.updates.get(p)!.push(`${msg.id}@${msg.version}`);
      await eventAfter(
        socketOf(p),
        from.get(p)!,
        'message:updated',
        (x) => x.id === msg.id && x.version === msg.version,
        `${step} to p${p}`,
      );
    }),
  );
}

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
    let got: any;
    if (this.overSocket) {
      const ack = await socketOf(this.p).request('message:send', {
        conversationId: r.conv,
        clientId,
        body,
      });
      ({ status, body: got } = fromAck(ack, 201));
    } else {
      const res = await api().post(
        `/api/conversations/${r.conv}/messages`,
        { clientId, body },
        { token: tokenOf(this.p) },
      );
      status = res.status;
      got = res.body;
    }
    const me = m.members.get(this.p);
    if (!me || m.deleted) {
      expect(status).toBe(refusal(m));
    } else {
      expect(status).toBe(201);
      m.lastSeq++;
      m.lastVersion++;
      expect(got.seq).toBe(m.lastSeq);
      expect(got.version).toBe(m.lastVersion);
      m.msgs.push({
        seq: m.lastSeq,
        kind: 'text',
        id: got.id,
        sender: this.p,
        body,
        version: m.lastVersion,
        deletedAt: null,
        editedAt: null,
      });
      me.read = m.lastSeq;
    }
    count(status === 201 ? 'send' : `send ${status}`);
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
      const ack = await socketOf(this.p).request('conversation:read', {
        conversationId: r.conv,
        seq,
      });
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
    count(status === 204 ? 'read' : `read ${status}`);
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
        systemMessage(m); // member_joined
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

/** The owner makes a member an admin, or an admin a member again. */
class SetRole implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: Person,
    readonly role: 'admin' | 'member',
  ) {}
  check = (m: Readonly<Model>) => !m.deleted && m.owner !== null;
  async run(m: Model, r: Real) {
    const owner = m.owner!;
    const res = await api().patch(
      `/api/conversations/${r.conv}/members/${people[this.p]!.id}`,
      { role: this.role },
      { token: tokenOf(owner) },
    );
    if (this.p === owner) {
      expect(res.status).toBe(400); // the owner's own role changes only by a handover
    } else if (!m.members.has(this.p)) {
      expect(res.status).toBe(404);
    } else {
      expect(res.status).toBe(200);
      expect(res.body.role).toBe(this.role);
      if (roleOf(m, this.p) !== this.role) {
        if (this.role === 'admin') m.admins.add(this.p);
        else m.admins.delete(this.p);
        systemMessage(m); // role_changed
      }
    }
    count(`role ${res.status}`);
    await verify(m, r, this.toString());
  }
  toString() {
    return `role(p${this.p} ${this.role})`;
  }
}

/**
 * The text message a change is about, chosen by `pick`: among the person's own when `own` and they have some, else
 * among all (anyone's, deleted or not).
 */
function pickTarget(m: Model, p: Person, pick: number, own: boolean): Msg {
  const all = texts(m);
  const mine = all.filter((x) => x.sender === p);
  const list = own && mine.length ? mine : all;
  return list[Math.floor(pick * list.length)]!;
}

/** Edits a text message (see `pickTarget`). */
class Edit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: Person,
    readonly pick: number,
    readonly own: boolean,
    readonly same: boolean,
    readonly overSocket: boolean,
  ) {}
  check = (m: Readonly<Model>) => texts(m).length > 0;
  async run(m: Model, r: Real) {
    const target = pickTarget(m, this.p, this.pick, this.own);
    const body = this.same ? target.body : `edited ${keySeq++}`;
    const from = marks();
    let status: number;
    let got: any;
    if (this.overSocket) {
      const ack = await socketOf(this.p).request('message:edit', { messageId: target.id, body });
      ({ status, body: got } = fromAck(ack, 200));
    } else {
      const res = await api().patch(
        `/api/messages/${target.id}`,
        { body },
        { token: tokenOf(this.p) },
      );
      status = res.status;
      got = res.body;
    }
    const step = this.toString();
    if (m.deleted) expect(status, step).toBe(404);
    else if (!m.members.has(this.p)) expect(status, step).toBe(403);
    else if (target.sender !== this.p || target.deletedAt !== null) expect(status, step).toBe(403);
    else {
      expect(status, step).toBe(200);
      const real = body !== target.body;
      if (real) {
        m.lastVersion++;
        target.version = m.lastVersion;
        target.body = body;
        target.editedAt = got.editedAt;
        expect(got.editedAt, step).toMatch(/^\d{4}-.*Z$/);
      }
      expect(got.id, step).toBe(target.id);
      expect(got.body, step).toBe(target.body);
      expect(got.version, step).toBe(target.version);
      expect(got.editedAt, step).toBe(target.editedAt);
      expect(got.deletedAt, step).toBeNull();
      if (real) await expectUpdated(m, from, target, step);
      count(real ? 'edit' : 'edit no-op');
    }
    if (status !== 200) count(`edit ${status}`);
    await verify(m, r, step);
  }
  toString() {
    return `edit(p${this.p}, ${this.own ? 'own ' : ''}${this.pick.toFixed(2)}${this.same ? ', same body' : ''}${this.overSocket ? ', socket' : ''})`;
  }
}

/** Deletes a text message (see `pickTarget`). */
class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly p: Person,
    readonly pick: number,
    readonly own: boolean,
    readonly overSocket: boolean,
  ) {}
  check = (m: Readonly<Model>) => texts(m).length > 0;
  async run(m: Model, r: Real) {
    const target = pickTarget(m, this.p, this.pick, this.own);
    const before = new Map(PEOPLE.map((p) => [p, unread(m, p)] as const));
    const from = marks();
    let status: number;
    let got: any;
    if (this.overSocket) {
      const ack = await socketOf(this.p).request('message:delete', { messageId: target.id });
      ({ status, body: got } = fromAck(ack, 200));
    } else {
      const res = await api().delete(`/api/messages/${target.id}`, { token: tokenOf(this.p) });
      status = res.status;
      got = res.body;
    }
    const step = this.toString();
    const mayDelete = target.sender === this.p || m.owner === this.p || m.admins.has(this.p);
    if (m.deleted) expect(status, step).toBe(404);
    else if (!m.members.has(this.p) || !mayDelete) expect(status, step).toBe(403);
    else {
      expect(status, step).toBe(200);
      const real = target.deletedAt === null;
      if (real) {
        m.lastVersion++;
        target.version = m.lastVersion;
        target.deletedAt = got.deletedAt;
        expect(got.deletedAt, step).toMatch(/^\d{4}-.*Z$/);
      }
      // The tombstone, the same one when deleted before.
      expect(got.id, step).toBe(target.id);
      expect(got.seq, step).toBe(target.seq);
      expect(got.body, step).toBe('');
      expect(got.deletedAt, step).toBe(target.deletedAt);
      expect(got.version, step).toBe(target.version);
      expect(got.reactions, step).toEqual([]);
      expect(got.pinned, step).toBeNull();
      if (real) {
        await expectUpdated(m, from, target, step);
        // Members whose count or lastMessage changed hear of it with their new count.
        const wasLast = target.seq === m.lastSeq;
        await Promise.all(
          [...m.members.keys()]
            .filter((p) => wasLast || unread(m, p) !== before.get(p))
            .map((p) =>
              eventAfter(
                socketOf(p),
                from.get(p)!,
                'conversation:updated',
                (c) => c.id === r.conv && c.unreadCount === unread(m, p),
                `${step}: p${p}'s count ${unread(m, p)}`,
              ),
            ),
        );
      }
      count(real ? `delete${target.sender === this.p ? '' : ' of another'}` : 'delete no-op');
    }
    if (status !== 200) count(`delete ${status}`);
    await verify(m, r, step);
  }
  toString() {
    return `delete(p${this.p}, ${this.own ? 'own ' : ''}${this.pick.toFixed(2)}${this.overSocket ? ', socket' : ''})`;
  }
}

/** The server's leave: the last member deletes the group; an owner hands over. */
function leave(m: Model, p: Person): void {
  m.members.delete(p);
  m.admins.delete(p);
  if (m.members.size === 0) {
    m.deleted = true;
    return;
  }
  systemMessage(m); // member_left
  if (m.owner === p) {
    // The longest-standing admin, else the longest-standing member.
    const byAge = [...m.members.entries()].sort(
      (a, b) => a[1].order - b[1].order || people[a[0]]!.id - people[b[0]]!.id,
    );
    const next = (byAge.find(([q]) => m.admins.has(q)) ?? byAge[0]!)[0];
    m.owner = next;
    m.admins.delete(next);
    systemMessage(m); // role_changed
  }
}

const person = fc.constantFrom(...PEOPLE);
const pick = fc.double({ min: 0, max: 0.999, noNaN: true });
const send = fc.tuple(person, fc.boolean()).map(([p, s]) => new Send(p, s));
const read = fc
  .tuple(person, fc.constantFrom('A' as const, 'B' as const), pick)
  .map(([p, d, at]) => new Read(p, d, at));
const edit = fc
  .tuple(person, pick, fc.boolean(), fc.nat(3), fc.boolean())
  .map(([p, at, own, same, s]) => new Edit(p, at, own, same === 0, s));
const del = fc
  .tuple(person, pick, fc.boolean(), fc.boolean())
  .map(([p, at, own, s]) => new Delete(p, at, own, s));
// fast-check picks among these uniformly: sends, edits and deletes are listed more than once
// so that sequences have messages to change.
const commands = [
  send,
  send,
  send,
  read,
  read,
  person.map((p) => new Join(p)),
  person.map((p) => new Leave(p)),
  fc
    .tuple(person, fc.constantFrom('admin' as const, 'member' as const))
    .map(([p, role]) => new SetRole(p, role)),
  edit,
  edit,
  del,
  del,
];

/** The change feed from version 0: every message once, ascending by version, as modelled. */
async function verifyChanges(m: Model, r: Real): Promise<void> {
  const res = await api().get(`/api/conversations/${r.conv}/changes?since=0&limit=500`, {
    token: tokenOf([...m.members.keys()][0]!),
  });
  expect(res.status).toBe(200);
  expect(res.body.lastVersion).toBe(m.lastVersion);
  expect(res.body.hasMore).toBe(false);
  const got = res.body.messages as any[];
  const versions = got.map((x) => x.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(got.map((x) => `${x.seq}@${x.version}`).sort()).toEqual(
    m.msgs.map((x) => `${x.seq}@${x.version}`).sort(),
  );
  expect(versions[versions.length - 1]).toBe(m.lastVersion);
}

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
  it('matches the model after every step of random send/read/join/leave/role/edit/delete sequences', async () => {
    const seed = runSeed('R12');
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 24, size: 'medium' }), async (cmds) => {
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
          admins: new Set(),
          lastSeq: 0,
          lastVersion: 0,
          msgs: [],
          deleted: false,
          nextOrder: 1,
          updates: new Map(PEOPLE.map((p) => [p, []])),
        };
        systemMessage(model); // room_created
        const real: Real = { conv: res.body.id };
        const from = marks();
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
            expect(entry?.lastVersion).toBe(model.lastVersion);
            expectLastMessage(model, entry?.lastMessage, `list of p${p}`);
          }
        }
        if (!model.deleted) await verifyChanges(model, real);
        // Each socket got exactly the message:updated events of the real changes made while
        // its person was a member: none for a no-op, none twice.
        for (const p of PEOPLE) {
          const got = socketOf(p)
            .received.slice(from.get(p))
            .filter((e) => e.event === 'message:updated' && e.payload.conversationId === real.conv)
            .map((e) => `${e.payload.id}@${e.payload.version}`);
          expect(got, `message:updated to p${p}`).toEqual(model.updates.get(p));
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
    console.log(
      `[R12] seed ${seed}: ${runs} sequences; ${[...tally.entries()]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
  });
});
