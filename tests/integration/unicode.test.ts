// S32: every text field of the API, over REST and over the socket, must be well-formed Unicode;
// message bodies and names must show something. Refused text is `validation_failed` naming the
// field, with nothing stored or sent; accepted text is acked, sent live, stored and read back
// as the very same string.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_WELL_FORMED } from '../../protocol/schemas/common.js';
import { registerUser, type ApiResponse, type TestUser } from '../helpers/api.js';
import { Chat, expectAckError, expectError, expectMessage } from '../helpers/chat.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, type TestSocket } from '../helpers/socket.js';

let t: TestServer;
let chat: Chat;
const open: TestSocket[] = [];

beforeAll(async () => {
  // The sweep sends many refused requests in a burst; throttles are tested elsewhere.
  t = await startTestServer({
    SOCKET_MESSAGES_PER_SECOND: '10000',
    SOCKET_EVENTS_PER_SECOND: '10000',
    RATE_LIMIT_SEARCHES_PER_MINUTE: '100000',
    LOGIN_MAX_FAILURES_PER_LOGIN: '10000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
  });
  chat = new Chat(t.api);
});
afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
});

async function connect(u: TestUser): Promise<TestSocket> {
  const s = await connectSocket(t.url, u.token);
  open.push(s);
  return s;
}

const tag = () => randomBytes(4).toString('hex');
const escape = (s: string) =>
  Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join(
    ' ',
  );

type Case = [what: string, text: string];

const LONE_SURROGATES: Case[] = [
  ['lone high surrogate', 'ab\uD83Dcd'],
  ['lone low surrogate', 'ab\uDE00cd'],
  ['reversed surrogate pair', '\uDE00\uD83D'],
  ['high surrogate at the end', 'hello \uD83D'],
];
const INVISIBLE_ONLY: Case[] = [
  ['zero-width space', '\u200B'],
  ['byte-order mark', '\uFEFF'],
  ['right-to-left override', '\u202E'],
  ['left-to-right isolate', '\u2066'],
  ['several, with white space', ' \u200B\t\uFEFF\u2066\u202E\u200D\u2060 '],
];
const NUL = 'a\u0000b';
/** Refused in every text field except passwords, which take any well-formed text. */
const BROKEN: Case[] = [...LONE_SURROGATES, ['NUL', NUL]];
/** Also refused where something must show: bodies, names, usernames and emails. */
const UNSHOWABLE: Case[] = [...BROKEN, ...INVISIBLE_ONLY];
/** Text that must pass untouched: each is short enough for any name field. */
const TRICKY: Case[] = [
  ['ZWJ family', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}'],
  ['skin tones', '\u{1F44D}\u{1F3FD} \u{1F9D1}\u{1F3FF}\u200D\u{1F4BB} \u{1F44B}\u{1F3FB}'],
  ['combining marks', 'Cafe\u0301 n\u0303 Z\u0364\u0351a\u0308\u0347'],
  ['RTL with an isolate inside', '\u05E9\u05DC\u05D5\u05DD \u2067world\u2069 \u05E2\u05D5'],
  ['Arabic with an embedding inside', '\u0645\u0631\u062D\u0628\u0627 \u202Bab\u202C x'],
  ['astral letters', '\u{1D573}\u{1D58A}\u{1D591} \u{10348} \u{2070E} \u{1F004}'],
  ['invisibles at the edges of real text', '\uFEFF\u200Bhi\u200F'],
];
/** `n` UTF-16 units, all surrogate pairs, no two neighbours alike. */
const astral = (n: number) =>
  Array.from({ length: n / 2 }, (_, i) => String.fromCodePoint(0x1f600 + (i % 64))).join('');

/** The error names the field; a case about surrogates must be refused for being ill-formed. */
function expectFieldRefused(fields: Record<string, string>, field: string, what: string): void {
  expect(Object.keys(fields), what).toContain(field);
  if (/surrogate/.test(what)) expect(fields[field], what).toBe(NOT_WELL_FORMED);
}

function expectRefused(res: ApiResponse, field: string, what: string): void {
  expectError(res, 400, 'validation_failed');
  expectFieldRefused(res.body.error.details?.fields ?? {}, field, what);
}

function expectAckRefused(ack: any, field: string, what: string): void {
  expectAckError(ack, 'validation_failed');
  expectFieldRefused(ack.error.details?.fields ?? {}, field, what);
}

async function userCount(): Promise<number> {
  const r = await t.deps.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function storedMessage(id: number) {
  return t.deps.db
    .selectFrom('messages')
    .select(['body', 'client_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

describe('message bodies and clientIds', () => {
  let a: TestUser;
  let b: TestUser;
  let sa: TestSocket;
  let sb: TestSocket;
  let group: any;

  beforeAll(async () => {
    [a, b] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
    [sa, sb] = await Promise.all([connect(a), connect(b)]);
    group = await chat.group(a, { name: 'unicode', memberIds: [b.id] });
  });

  const viaRest = (body: unknown, clientId?: unknown) =>
    t.api.post(
      `/api/conversations/${group.id}/messages`,
      clientId === undefined ? { body } : { body, clientId },
      { token: a.token },
    );
  const viaSocket = (body: unknown, clientId: unknown = `c-${tag()}`) =>
    sa.request('message:send', { conversationId: group.id, clientId, body });
  const lastSeq = async () => (await chat.view(a, group.id)).lastSeq as number;

  /**
   * The reply (REST 201 or socket ack), the other member's live `message:new`, the history page
   * and the stored row must all hold exactly `want`.
   */
  async function expectRoundTrip(message: any, want: { body: string; clientId: string | null }) {
    expectMessage(message, { conversationId: group.id, senderId: a.id, kind: 'text' });
    const live = await sb.waitFor('message:new', (m) => m.id === message.id);
    const page = await chat.history(b, group.id, `?after=${message.seq - 1}&limit=1`);
    const read = page.messages[0];
    const row = await storedMessage(message.id);
    for (const [where, got] of [
      ['reply', message],
      ['live', live],
      ['history', read],
    ] as const) {
      expect(escape(got.body), `${where} body`).toBe(escape(want.body));
      expect(got.body === want.body, `${where} body`).toBe(true);
      expect(got.clientId, `${where} clientId`).toBe(want.clientId);
    }
    expect(row.body === want.body && row.client_id === want.clientId, 'stored row').toBe(true);
    // Nothing else may differ either (status is computed when each copy is built).
    expect({ ...live, status: null }).toEqual({ ...message, status: null });
    expect({ ...read, status: null }).toEqual({ ...message, status: null });
  }

  it('refuses lone surrogates, invisible-only and NUL bodies, storing and sending nothing', async () => {
    const before = await lastSeq();
    const liveBefore = sb.eventsOf('message:new').length;
    const refused: Case[] = [
      ...LONE_SURROGATES,
      ...INVISIBLE_ONLY,
      ['NUL', NUL],
      ['empty', ''],
      // Within the length limit; stored, they would read back as U+FFFD (three each on SQLite).
      ['8000 lone surrogates', '\uD800'.repeat(8000)],
      ['8001 units after trimming', `  ${astral(8000)}x  `],
    ];
    for (const [what, body] of refused) {
      expectRefused(await viaRest(body), 'body', what);
      expectRefused(await viaRest(body, `c-${tag()}`), 'body', what);
      expectAckRefused(await viaSocket(body), 'body', what);
    }
    expect(await lastSeq()).toBe(before);
    const page = await chat.history(a, group.id, `?after=${before}`);
    expect(page.messages).toEqual([]);
    // A message sent after them is the only one the other member hears of.
    const next = await viaSocket('after the refusals');
    expect(next.ok).toBe(true);
    await sb.waitFor('message:new', (m) => m.id === next.data.id);
    expect(
      sb
        .eventsOf('message:new')
        .slice(liveBefore)
        .map((m) => m.id),
    ).toEqual([next.data.id]);
    expect(next.data.seq).toBe(before + 1);
  });

  it('refuses a JSON body whose bytes are not UTF-8, instead of storing replacement characters', async () => {
    const before = await lastSeq();
    // ED A0 80 would be a surrogate encoded as UTF-8; C3 alone is a truncated sequence.
    for (const bad of [[0xed, 0xa0, 0x80], [0xc3], [0xff, 0xfe]]) {
      const raw = Buffer.concat([
        Buffer.from('{"clientId":"utf8-' + tag() + '","body":"x'),
        Buffer.from(bad),
        Buffer.from('y"}'),
      ]);
      const res = await t.api.post(`/api/conversations/${group.id}/messages`, undefined, {
        token: a.token,
        raw: new Uint8Array(raw),
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400, 'validation_failed');
    }
    expect(await lastSeq()).toBe(before);
  });

  it('refuses broken clientIds and ones that begin or end with white space', async () => {
    const before = await lastSeq();
    const refused: Case[] = [
      ...LONE_SURROGATES,
      ['NUL', NUL],
      ['trailing space', 'key '],
      ['leading space', ' key'],
    ];
    for (const [what, clientId] of refused) {
      expectRefused(await viaRest('fine', clientId), 'clientId', what);
      expectAckRefused(await viaSocket('fine', clientId), 'clientId', what);
    }
    expect(await lastSeq()).toBe(before);
  });

  it('acks, sends live, stores and reads back tricky text exactly, over REST and the socket', async () => {
    const edges = `\u200B${astral(7998)}\uFEFF`;
    const accepted: Array<[string, string, string]> = [
      ...TRICKY.map(([what, body]) => [what, body, body] as [string, string, string]),
      ['surrounded by white space', ` \n\t${TRICKY[0]![1]}\u3000\n`, TRICKY[0]![1]],
      ['8000 units of surrogate pairs', astral(8000), astral(8000)],
      ['8000 units of pairs, padded with white space', `\n  ${astral(8000)} \t`, astral(8000)],
      ['8000 units of pairs, invisible at the edges', edges, edges],
    ];
    for (const [what, body, stored] of accepted) {
      const restKey = `c-${tag()}`;
      const rest = await viaRest(body, restKey);
      expect(rest.status, `${what}: ${rest.text.slice(0, 200)}`).toBe(201);
      await expectRoundTrip(rest.body, { body: stored, clientId: restKey });

      const socketKey = `c-${tag()}`;
      const ack = await viaSocket(body, socketKey);
      expect(ack.ok, `${what}: ${JSON.stringify(ack).slice(0, 200)}`).toBe(true);
      await expectRoundTrip(ack.data, { body: stored, clientId: socketKey });
    }
    // Without a clientId over REST.
    const bare = await viaRest(TRICKY[1]![1]);
    expect(bare.status).toBe(201);
    await expectRoundTrip(bare.body, { body: TRICKY[1]![1], clientId: null });
  });

  it('keeps clientIds exactly, so keys that differ only in normalization or modifiers differ', async () => {
    const keys = [
      ...TRICKY.map(([, text]) => text),
      '\u200B', // an opaque key, not shown: invisible is fine
      '\u00E9', // é precomposed
      'e\u0301', // é decomposed
      '\u{1F44D}',
      '\u{1F44D}\u{1F3FD}',
      astral(64),
    ];
    const sent = new Map<string, any>();
    for (const [i, clientId] of keys.entries()) {
      let message: any;
      if (i % 2) {
        const ack = await viaSocket(`key ${i}`, clientId);
        expect(ack.ok, escape(clientId)).toBe(true);
        message = ack.data;
      } else {
        const res = await viaRest(`key ${i}`, clientId);
        expect(res.status, escape(clientId)).toBe(201);
        message = res.body;
      }
      await expectRoundTrip(message, { body: `key ${i}`, clientId });
      sent.set(clientId, message);
    }
    expect(new Set([...sent.values()].map((m) => m.id)).size).toBe(keys.length);
    // A repeat finds its own message by the exact key, on every database.
    for (const [clientId, first] of sent) {
      const again = await viaSocket('repeat', clientId);
      expect(again.ok).toBe(true);
      expect([again.data.id, again.data.body], escape(clientId)).toEqual([first.id, first.body]);
    }
  });
});

describe('accounts', () => {
  const base = () => {
    const name = `u${tag()}`;
    return { username: name, email: `${name}@example.test`, password: `pw ${tag()} long enough` };
  };
  const register = (over: Record<string, unknown>) =>
    t.api.post('/api/auth/register', { ...base(), ...over });

  it('refuses broken registrations, creating no user', async () => {
    const before = await userCount();
    const cases: Array<[string, Case[]]> = [
      ['username', UNSHOWABLE],
      ['email', UNSHOWABLE],
      // Invisible characters are characters in a password; these are only too short.
      ['password', [...LONE_SURROGATES, ['lone surrogate in a long one', `long enough \uDC00`]]],
      ['displayName', UNSHOWABLE],
    ];
    for (const [field, values] of cases) {
      for (const [what, value] of values) {
        expectRefused(await register({ [field]: value }), field, what);
      }
    }
    expect(await userCount()).toBe(before);
  });

  it('stores display names and passwords of tricky text exactly', async () => {
    const viewer = await registerUser(t.api);
    const names: Case[] = [...TRICKY, ['64 units of pairs', astral(64)]];
    for (const [what, displayName] of names) {
      const password = `${displayName} ${tag()}`;
      const res = await register({ displayName: ` ${displayName}\n`, password });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(201);
      const id = res.body.user.id as number;
      const me = await t.api.get('/api/users/me', { token: res.body.accessToken });
      const seen = await t.api.get(`/api/users/${id}`, { token: viewer.token });
      for (const got of [res.body.user, me.body, seen.body]) {
        expect(escape(got.displayName), what).toBe(escape(displayName));
      }
      const login = await t.api.post('/api/auth/login', {
        login: res.body.user.username,
        password,
      });
      expect(login.status, what).toBe(200);
    }
    expectRefused(await register({ displayName: astral(66) }), 'displayName', 'too long');
  });

  it('refuses broken sign-ins as invalid, not as wrong credentials', async () => {
    const u = await registerUser(t.api);
    for (const [what, value] of BROKEN) {
      expectRefused(
        await t.api.post('/api/auth/login', { login: value, password: u.password }),
        'login',
        what,
      );
    }
    for (const [what, value] of LONE_SURROGATES) {
      expectRefused(
        await t.api.post('/api/auth/login', { login: u.username, password: value }),
        'password',
        what,
      );
    }
    // An invisible login is well-formed text that names nobody.
    const nobody = await t.api.post('/api/auth/login', { login: '\u200B', password: u.password });
    expectError(nobody, 401, 'invalid_credentials');
  });

  it('refuses broken profile changes, leaving the profile as it was', async () => {
    const u = await registerUser(t.api, { displayName: 'Before' });
    const before = (await t.api.get('/api/users/me', { token: u.token })).body;
    const cases: Array<[string, Case[]]> = [
      ['username', UNSHOWABLE],
      ['email', UNSHOWABLE],
      ['displayName', UNSHOWABLE],
      ['bio', BROKEN],
    ];
    for (const [field, values] of cases) {
      for (const [what, value] of values) {
        const res = await t.api.patch('/api/users/me', { [field]: value }, { token: u.token });
        expectRefused(res, field, what);
      }
    }
    expect((await t.api.get('/api/users/me', { token: u.token })).body).toEqual(before);
  });

  it('stores tricky display names and bios exactly; a bio may be invisible', async () => {
    const [u, viewer] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
    for (const [what, text] of TRICKY) {
      const change = { displayName: `\t${text} `, bio: text };
      const res = await t.api.patch('/api/users/me', change, { token: u.token });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(200);
      const me = (await t.api.get('/api/users/me', { token: u.token })).body;
      const seen = (await t.api.get(`/api/users/${u.id}`, { token: viewer.token })).body;
      for (const got of [res.body, me, seen]) {
        expect(escape(got.displayName), what).toBe(escape(text));
      }
      for (const got of [res.body, me]) expect(escape(got.bio), what).toBe(escape(text));
    }
    // A bio is optional, so one that shows nothing is allowed, and kept as sent.
    const bios: Case[] = [...INVISIBLE_ONLY, ['500 units of pairs', astral(500)]];
    for (const [what, bio] of bios) {
      const res = await t.api.patch('/api/users/me', { bio }, { token: u.token });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(200);
      const me = (await t.api.get('/api/users/me', { token: u.token })).body;
      for (const got of [res.body, me]) expect(escape(got.bio), what).toBe(escape(bio));
    }
  });

  it('refuses broken password changes and accepts tricky ones', async () => {
    const u = await registerUser(t.api);
    for (const [what, value] of LONE_SURROGATES) {
      for (const [field, body] of [
        ['currentPassword', { currentPassword: value, newPassword: 'a new long password' }],
        ['newPassword', { currentPassword: u.password, newPassword: `long enough ${value}` }],
      ] as const) {
        const res = await t.api.post('/api/users/me/password', body, { token: u.token });
        expectRefused(res, field, what);
      }
    }
    const old = await t.api.post('/api/auth/login', { login: u.username, password: u.password });
    expect(old.status).toBe(200);
    const tricky = TRICKY.map(([, x]) => x).join(' ');
    const changed = await t.api.post(
      '/api/users/me/password',
      { currentPassword: u.password, newPassword: tricky },
      { token: u.token },
    );
    expect(changed.status).toBe(204);
    const login = await t.api.post('/api/auth/login', { login: u.username, password: tricky });
    expect(login.status).toBe(200);
  });

  it('searches users by tricky text and refuses NUL in the query', async () => {
    const viewer = await registerUser(t.api);
    for (const [what, text] of TRICKY) {
      const mark = `${text} ${tag()}`;
      const u = await registerUser(t.api, { displayName: mark });
      const res = await t.api.get(`/api/users?limit=50&query=${encodeURIComponent(mark)}`, {
        token: viewer.token,
      });
      expect(res.status, what).toBe(200);
      const found = res.body.find((x: any) => x.id === u.id);
      expect(found && escape(found.displayName), what).toBe(escape(mark));
    }
    expectRefused(
      await t.api.get('/api/users?query=a%00b', { token: viewer.token }),
      'query',
      'NUL',
    );
    // A surrogate has no UTF-8 form, so a URL cannot carry one: these bytes stay literal text.
    for (const q of ['%ED%A0%80', '%F0%9F']) {
      const res = await t.api.get(`/api/users?query=${q}`, { token: viewer.token });
      expect([res.status, res.body], q).toEqual([200, []]);
    }
    const invisible = await t.api.get('/api/users?query=%E2%80%8B', { token: viewer.token });
    expect(invisible.status).toBe(200);
  });
});

describe('group names and topics', () => {
  let a: TestUser;
  let b: TestUser;
  let sb: TestSocket;

  beforeAll(async () => {
    [a, b] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
    sb = await connect(b);
  });

  const create = (body: Record<string, unknown>) =>
    t.api.post(
      '/api/conversations',
      { name: 'ok', isPrivate: false, memberIds: [b.id], ...body },
      { token: a.token },
    );

  it('refuses broken names and topics, creating no group and telling nobody', async () => {
    const before = (await chat.list(a)).length;
    const told = sb.eventsOf('conversation:updated').length;
    for (const [what, value] of UNSHOWABLE) {
      expectRefused(await create({ name: value }), 'name', what);
    }
    for (const [what, value] of BROKEN) {
      expectRefused(await create({ topic: value }), 'topic', what);
    }
    expectRefused(await create({ name: astral(82) }), 'name', 'too long');
    expect((await chat.list(a)).length).toBe(before);
    expect(sb.eventsOf('conversation:updated').length).toBe(told);
  });

  it('refuses broken renames, leaving the group as it was', async () => {
    const g = await chat.group(a, { name: 'steady', topic: 'calm', memberIds: [b.id] });
    const before = await chat.get(a, g.id);
    const patch = (body: unknown) =>
      t.api.patch(`/api/conversations/${g.id}`, body, { token: a.token });
    for (const [what, value] of UNSHOWABLE) {
      expectRefused(await patch({ name: value }), 'name', what);
    }
    for (const [what, value] of BROKEN) {
      expectRefused(await patch({ topic: value }), 'topic', what);
    }
    expect(await chat.get(a, g.id)).toEqual(before);
  });

  it('stores tricky names and topics exactly: reply, live event, reads and search agree', async () => {
    /** The reply, the member's live event, a read and a public search agree on both texts. */
    const check = async (what: string, c: any, name: string, topic: string) => {
      const live = await sb.waitFor(
        'conversation:updated',
        (p) => p.id === c.id && p.name === name && p.topic === topic,
      );
      const read = await chat.get(b, c.id);
      const query = encodeURIComponent(name.slice(0, 64)); // the query's limit; pairs stay whole
      const search = await t.api.get(`/api/conversations/public?query=${query}`, {
        token: b.token,
      });
      const found = search.body.find((x: any) => x.id === c.id);
      for (const got of [c, live, read, found]) {
        expect(escape(got.name), `${what} name`).toBe(escape(name));
        expect(escape(got.topic), `${what} topic`).toBe(escape(topic));
      }
    };
    const names: Case[] = [...TRICKY, ['80 units of pairs', astral(80)]];
    for (const [i, [what, name]] of names.entries()) {
      const topic = TRICKY[(i + 1) % TRICKY.length]![1];
      const created = await create({ name: ` ${name}\n`, topic: `${topic} ` });
      expect(created.status, `${what}: ${created.text.slice(0, 200)}`).toBe(201);
      await check(what, created.body, name, topic);
    }
    // A topic may be empty, so one that shows nothing is allowed; only white space is trimmed.
    const g = await chat.group(a, { name: 'to rename', isPrivate: false, memberIds: [b.id] });
    const topics: Case[] = [...TRICKY, ...INVISIBLE_ONLY, ['250 units of pairs', astral(250)]];
    for (const [what, topic] of topics) {
      const kept = topic.replace(/^[ \t]+|[ \t]+$/g, '');
      const name = `${TRICKY[4]![1]} ${tag()}`;
      const res = await t.api.patch(
        `/api/conversations/${g.id}`,
        { name, topic },
        { token: a.token },
      );
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(200);
      await check(what, res.body, name, kept);
    }
  });

  it('searches public groups by tricky text and refuses NUL in the query', async () => {
    expectRefused(
      await t.api.get('/api/conversations/public?query=a%00b', { token: a.token }),
      'query',
      'NUL',
    );
    for (const q of ['%ED%A0%80', '%F0%9F']) {
      const res = await t.api.get(`/api/conversations/public?query=${q}`, { token: a.token });
      expect([res.status, res.body], q).toEqual([200, []]);
    }
    const invisible = await t.api.get('/api/conversations/public?query=%E2%80%8B', {
      token: a.token,
    });
    expect(invisible.status).toBe(200);
  });
});
