import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/api.js';
import { Api } from '../helpers/api.js';
import { connectSocket, disconnected, waitForNew, type TestSocket } from '../helpers/socket.js';
import {
  createDirect,
  createRoom,
  deploy,
  readyz,
  registerMany,
  sleep,
  undeploy,
  unhandled,
  type Deployment,
} from './support.js';

// Three nodes on one PostgreSQL database and a private Redis, behind nginx running
// docs/deploy/nginx.conf. Users are spread over the nodes: some connect straight to a node,
// some through nginx (which picks the node). Everything a user sees must cross nodes:
// direct and group messages, receipts, typing, presence and membership removal.

let d: Deployment | undefined;
let via: Api;
let alice: TestUser, bob: TestUser, carol: TestUser, dave: TestUser, erin: TestUser;
const socks: Record<string, TestSocket> = {};

beforeAll(async () => {
  d = await deploy('cross-node', { nodes: 3, nginx: true });
  via = new Api(d.nginx!.url);
  // Signing up and creating conversations go through nginx too (POSTs through `location /`).
  [alice, bob, carol, dave, erin] = (await registerMany(via, 5)) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ];
  const people: Record<string, TestUser> = { alice, bob, carol, dave, erin };
  const [a, b, c] = d.nodes as [(typeof d.nodes)[0], (typeof d.nodes)[0], (typeof d.nodes)[0]];
  const at: Record<string, string> = {
    alice: a.url,
    bob: b.url,
    carol: d.nginx!.url,
    dave: c.url,
    erin: d.nginx!.url,
  };
  for (const [name, url] of Object.entries(at)) {
    socks[name] = await connectSocket(url, people[name]!.token);
    d.sockets.push(socks[name]);
  }
});

afterAll(async () => {
  await undeploy(d);
});

describe('three nodes behind nginx (docs/deploy/nginx.conf)', () => {
  it('answers /readyz through nginx and on every node', async () => {
    const res = await fetch(d!.nginx!.url + '/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { database: 'ok', redis: 'ok' },
    });
    for (const n of d!.nodes) expect(await readyz(n.url)).toBe(200);
  });

  it('delivers a direct message, its receipt and typing across nodes', async () => {
    const dm = await createDirect(via, alice, bob);
    const sa = socks.alice!;
    const sb = socks.bob!;
    const got = waitForNew(sb, 'message:new', (m) => m.clientId === 'dm-1');
    const ack = await sa.request('message:send', {
      conversationId: dm,
      clientId: 'dm-1',
      body: 'from node A to node B',
    });
    expect(ack.ok).toBe(true);
    expect((await got).body).toBe('from node A to node B');

    const receipt = waitForNew(
      sa,
      'receipt',
      (r) => r.conversationId === dm && r.userId === bob.id && r.readSeq === ack.data.seq,
    );
    expect(
      (await sb.request('conversation:read', { conversationId: dm, seq: ack.data.seq })).ok,
    ).toBe(true);
    expect((await receipt).deliveredSeq).toBe(ack.data.seq);

    const typing = waitForNew(sa, 'typing', (t) => t.conversationId === dm && t.userId === bob.id);
    expect((await sb.request('typing', { conversationId: dm, typing: true })).ok).toBe(true);
    expect((await typing).typing).toBe(true);
    // A message ends its sender's typing, wherever the typing state lives.
    const stop = waitForNew(sa, 'typing', (t) => t.conversationId === dm && t.userId === bob.id);
    expect(
      (await sb.request('message:send', { conversationId: dm, clientId: 'dm-2', body: 'done' })).ok,
    ).toBe(true);
    expect((await stop).typing).toBe(false);
  });

  it('delivers group messages and typing to members on every node and through nginx', async () => {
    const room = await createRoom(via, alice, [alice, bob, carol, dave, erin], 'x-node');
    const others = ['alice', 'bob', 'carol', 'erin'];
    const got = others.map((n) =>
      waitForNew(
        socks[n]!,
        'message:new',
        (m) => m.conversationId === room && m.clientId === 'g-1',
      ),
    );
    const ack = await socks.dave!.request('message:send', {
      conversationId: room,
      clientId: 'g-1',
      body: 'from node C to everyone',
    });
    expect(ack.ok).toBe(true);
    for (const m of await Promise.all(got)) {
      expect(m).toMatchObject({
        id: ack.data.id,
        seq: ack.data.seq,
        body: 'from node C to everyone',
      });
    }

    const typing = ['alice', 'bob', 'dave', 'erin'].map((n) =>
      waitForNew(
        socks[n]!,
        'typing',
        (t) => t.conversationId === room && t.userId === carol.id && t.typing,
      ),
    );
    expect((await socks.carol!.request('typing', { conversationId: room, typing: true })).ok).toBe(
      true,
    );
    await Promise.all(typing);

    // Read receipts of a member behind nginx reach the sender on node C.
    const receipt = waitForNew(
      socks.dave!,
      'receipt',
      (r) => r.conversationId === room && r.userId === erin.id && r.readSeq === ack.data.seq,
    );
    expect(
      (await socks.erin!.request('conversation:read', { conversationId: room, seq: ack.data.seq }))
        .ok,
    ).toBe(true);
    await receipt;
  });

  it('shares presence: a user behind nginx goes offline and online for contacts on other nodes', async () => {
    await createDirect(via, alice, erin);
    for (const n of d!.nodes) {
      const res = await n.api.get(`/api/users/${erin.id}`, { token: alice.token });
      expect(res.body.online, `node ${n.port}`).toBe(true);
    }
    const watchers = ['alice', 'dave'].map((n) =>
      waitForNew(socks[n]!, 'presence', (p) => p.userId === erin.id && p.online === false),
    );
    socks.erin!.close();
    for (const p of await Promise.all(watchers)) expect(p.lastSeenAt).toBeTruthy();
    for (const n of d!.nodes) {
      const res = await n.api.get(`/api/users/${erin.id}`, { token: alice.token });
      expect(res.body.online, `node ${n.port}`).toBe(false);
    }
    const back = waitForNew(
      socks.alice!,
      'presence',
      (p) => p.userId === erin.id && p.online === true,
    );
    socks.erin = await connectSocket(d!.nginx!.url, erin.token);
    d!.sockets.push(socks.erin);
    await back;
  });

  it('stops delivering to a removed member on another node at once', async () => {
    const room = await createRoom(via, alice, [alice, bob, carol, dave], 'removal');
    // Dave (node C) gets the room's messages until he is removed.
    const before = waitForNew(
      socks.dave!,
      'message:new',
      (m) => m.conversationId === room && m.clientId === 'r-1',
    );
    expect(
      (
        await socks.bob!.request('message:send', {
          conversationId: room,
          clientId: 'r-1',
          body: 'hi',
        })
      ).ok,
    ).toBe(true);
    await before;

    const removed = waitForNew(
      socks.dave!,
      'conversation:removed',
      (e) => e.conversationId === room,
    );
    const del = await via.delete(`/api/conversations/${room}/members/${dave.id}`, {
      token: alice.token,
    });
    expect(del.status).toBe(204);
    // Sent from node B the moment the removal is answered, before anyone waits for anything.
    const gotByCarol = waitForNew(
      socks.carol!,
      'message:new',
      (m) => m.conversationId === room && m.clientId === 'r-2',
    );
    const ack = await socks.bob!.request('message:send', {
      conversationId: room,
      clientId: 'r-2',
      body: 'not for dave',
    });
    expect(ack.ok).toBe(true);
    await removed;
    await gotByCarol;
    await sleep(500);
    const leaked = socks
      .dave!.eventsOf('message:new')
      .filter((m) => m.conversationId === room && m.kind === 'text' && m.seq >= ack.data.seq);
    expect(leaked).toEqual([]);
    // His own socket on node C is refused too.
    const refused = await socks.dave!.request('message:send', {
      conversationId: room,
      clientId: 'r-3',
      body: 'still here?',
    });
    expect(refused.ok).toBe(false);
  });

  it('upgraded the WebSockets through nginx and kept the nodes healthy', async () => {
    const log = d!.nginx!.accessLog();
    // A WebSocket's line is written when it closes: erin's first socket has closed.
    const upgrades = log.filter((e) => e.uri.startsWith('/socket.io/') && e.status === 101);
    expect(upgrades.length).toBeGreaterThanOrEqual(1);
    expect(log.filter((e) => e.status >= 500)).toEqual([]);
    for (const n of d!.nodes) {
      expect(n.running).toBe(true);
      expect(unhandled(n)).toEqual([]);
      expect(n.troubleLines()).toEqual([]);
    }
    const s = socks.erin!;
    s.close();
    await disconnected(s);
  });
});
