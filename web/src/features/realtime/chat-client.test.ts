import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EV } from '../../../../protocol/events.js';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import type * as SocketModule from '../../lib/socket.js';
import { conversation, msg, range, user } from '../../test/factories.js';

/** A stand-in for the Socket.IO client: records emits, lets the test answer or drop them. */
class FakeSocket {
  connected = false;
  active = false;
  private handlers = new Map<string, Set<(...args: unknown[]) => void>>();
  sent: Array<{ event: string; payload: any; answer: (ack: unknown) => void; fail: () => void }> =
    [];

  on(event: string, fn: (...args: unknown[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn);
    return this;
  }
  once(event: string, fn: (...args: unknown[]) => void) {
    const wrapped = (...args: unknown[]) => {
      this.off(event, wrapped);
      fn(...args);
    };
    return this.on(event, wrapped);
  }
  off(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.get(event)?.delete(fn);
    return this;
  }
  removeAllListeners() {
    this.handlers.clear();
    return this;
  }
  emitLocal(event: string, ...args: unknown[]) {
    for (const fn of [...(this.handlers.get(event) ?? [])]) fn(...args);
  }
  connect() {
    this.connected = true;
    this.active = true;
    this.emitLocal('connect');
    return this;
  }
  drop() {
    this.connected = false;
    this.emitLocal('disconnect', 'transport close');
  }
  disconnect() {
    this.connected = false;
    this.active = false;
    return this;
  }
  timeout() {
    return {
      emitWithAck: (event: string, payload: unknown) =>
        new Promise((resolve, reject) => {
          this.sent.push({
            event,
            payload,
            answer: resolve,
            fail: () => reject(new Error('operation has timed out')),
          });
        }),
    };
  }
  sends() {
    return this.sent.filter((s) => s.event === EV.messageSend);
  }
}

const socket = new FakeSocket();
vi.mock('../../lib/socket.js', async (importOriginal) => {
  const real = await importOriginal<typeof SocketModule>();
  return { ...real, createSocket: () => socket };
});

const { ChatClient } = await import('./chat-client.js');
const { tokens } = await import('../../lib/http.js');

const ME = 1;

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

let client: InstanceType<typeof ChatClient>;

beforeEach(() => {
  socket.sent = [];
  socket.connected = false;
  socket.active = false;
  socket.removeAllListeners();
  tokens.set('test-token', new Date(Date.now() + 3600_000).toISOString());
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (url === '/api/conversations') return json([conversation(1, { lastSeq: 0 })]);
      if (url.startsWith('/api/conversations/1/messages'))
        return json({ messages: [], hasMore: false });
      if (url === '/api/conversations/1') return json({ ...conversation(1), members: [] });
      if (url === '/api/users/me') return json(user(ME));
      return json({});
    }),
  );
  client = new ChatClient(ME, {
    onSessionEnded: () => {},
    onIncoming: () => {},
    onRemoved: () => {},
  });
  client.start();
});

afterEach(() => {
  client.stop();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const settle = () => new Promise((r) => setTimeout(r, 0));
const pending = () => client.store.getState().messages[1]?.pending ?? [];
const stored = (clientId: string, seq: number): Message =>
  msg(seq, { senderId: ME, clientId, body: 'hello' });

describe('ChatClient sending', () => {
  it('shows the message at once, sends it with a clientId, and settles it on the ack', async () => {
    client.send(1, '  hello  ');
    expect(pending()).toMatchObject([{ body: 'hello', state: 'sending' }]);
    await settle();
    const [s] = socket.sends();
    expect(s!.payload).toMatchObject({ conversationId: 1, body: 'hello' });
    const clientId = s!.payload.clientId as string;
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    s!.answer({ ok: true, data: stored(clientId, 1) });
    await settle();
    expect(pending()).toEqual([]);
    expect(client.store.getState().messages[1]!.items.map((m) => m.clientId)).toEqual([clientId]);
  });

  it('a send cut off by a disconnect goes again after reconnecting, with the same clientId', async () => {
    client.send(1, 'hello');
    await settle();
    const first = socket.sends()[0]!.payload.clientId as string;
    socket.drop();
    await settle();
    expect(pending()[0]!.state).toBe('sending');
    socket.connect();
    await settle();
    const again = socket.sends();
    expect(again).toHaveLength(2);
    expect(again[1]!.payload.clientId).toBe(first);
    again[1]!.answer({ ok: true, data: stored(first, 1) });
    await settle();
    expect(pending()).toEqual([]);
  });

  it('carries uploaded files as attachmentIds; files alone make a message without text', async () => {
    const file = {
      id: 7,
      name: 'a.png',
      mime: 'image/png',
      size: 10,
      width: 2,
      height: 1,
      url: '/api/files/7',
      thumbnailUrl: '/api/files/7/thumbnail',
    };
    client.send(1, '  ', null, [file]);
    client.send(1, '  ');
    expect(pending()).toMatchObject([{ body: '', attachments: [file], state: 'sending' }]);
    await settle();
    const [s] = socket.sends();
    expect(s!.payload).toMatchObject({ conversationId: 1, body: '', attachmentIds: [7] });
    client.send(1, 'no files');
    await settle();
    s!.answer({ ok: true, data: { ...stored(s!.payload.clientId, 1), attachments: [file] } });
    await settle();
    expect(socket.sends()[1]!.payload).not.toHaveProperty('attachmentIds');
  });

  it('after unanswered attempts it shows the failure; Retry sends the same clientId', async () => {
    vi.useFakeTimers();
    client.send(1, 'hello');
    await vi.advanceTimersByTimeAsync(0);
    const clientId = socket.sends()[0]!.payload.clientId as string;
    for (let i = 0; i < 3; i++) {
      socket.sends()[i]!.fail();
      await vi.advanceTimersByTimeAsync(5000);
    }
    expect(pending()[0]).toMatchObject({ state: 'failed', autoRetry: true });
    expect(socket.sends()).toHaveLength(3);
    client.retry(1, clientId);
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.sends()).toHaveLength(4);
    expect(socket.sends()[3]!.payload.clientId).toBe(clientId);
  });

  it('a refused message fails for good and is not resent by itself', async () => {
    client.send(1, 'hello');
    await settle();
    socket.sends()[0]!.answer({
      ok: false,
      error: { code: 'forbidden', message: 'You are not a member of this conversation' },
    });
    await settle();
    expect(pending()[0]).toMatchObject({
      state: 'failed',
      autoRetry: false,
      error: 'You are not a member of this conversation',
    });
    socket.drop();
    socket.connect();
    await settle();
    expect(socket.sends()).toHaveLength(1);
  });

  it('sends in the order messages were written, one at a time', async () => {
    client.send(1, 'one');
    client.send(1, 'two');
    await settle();
    expect(socket.sends().map((s) => s.payload.body)).toEqual(['one']);
    const one = socket.sends()[0]!;
    one.answer({ ok: true, data: { ...stored(one.payload.clientId as string, 1), body: 'one' } });
    await settle();
    await settle();
    expect(socket.sends().map((s) => s.payload.body)).toEqual(['one', 'two']);
  });
});

describe('ChatClient catch-up', () => {
  /** A server for conversation 1 whose answers the test sets; records what was asked. */
  function serve(routes: Record<string, () => unknown>): string[] {
    const asked: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        asked.push(url);
        for (const [prefix, answer] of Object.entries(routes)) {
          if (url !== prefix && !url.startsWith(prefix + '?')) continue;
          const body = answer();
          return body instanceof Response ? body : json(body);
        }
        return json({});
      }),
    );
    return asked;
  }
  const held = () => client.store.getState().messages[1]!;
  const edited = msg(2, { version: 5, body: 'fixed', editedAt: '2026-11-24T10:00:00.000Z' });
  const tomb = msg(3, { version: 6, body: '', deletedAt: '2026-11-24T10:01:00.000Z' });

  it('after a reconnect, pages the changes since the version held instead of after=', async () => {
    let lastVersion = 3;
    const asked = serve({
      '/api/conversations': () => [conversation(1, { lastSeq: 3, lastVersion })],
      '/api/conversations/1/messages': () => ({ messages: range(1, 3), hasMore: false }),
      '/api/conversations/1': () => ({ ...conversation(1), members: [] }),
      '/api/conversations/1/changes': () =>
        asked[asked.length - 1]!.includes('since=3')
          ? { messages: [msg(4), edited], lastVersion: 6, hasMore: true }
          : { messages: [tomb], lastVersion: 6, hasMore: false },
    });
    socket.connect();
    await vi.waitFor(() => expect(client.store.getState().conversations[1]?.lastSeq).toBe(3));
    client.open(1);
    await vi.waitFor(() => expect(held().items).toHaveLength(3));
    expect(held().version).toBe(3);

    // Away: a new message, an edit and a deletion happen.
    socket.drop();
    lastVersion = 6;
    socket.connect();
    await vi.waitFor(() => expect(held().version).toBe(6));
    const changes = asked.filter((u) => u.includes('/changes'));
    expect(changes).toEqual([
      '/api/conversations/1/changes?since=3&limit=500',
      '/api/conversations/1/changes?since=5&limit=500',
    ]);
    expect(asked.some((u) => u.includes('after='))).toBe(false);
    expect(held().items.map((m) => [m.seq, m.body])).toEqual([
      [1, 'message 1'],
      [2, 'fixed'],
      [3, ''],
      [4, 'message 4'],
    ]);
  });

  it('a live event past a missing version fetches the changes; one in order does not', async () => {
    const asked = serve({
      '/api/conversations': () => [conversation(1, { lastSeq: 3 })],
      '/api/conversations/1/messages': () => ({ messages: range(1, 3), hasMore: false }),
      '/api/conversations/1': () => ({ ...conversation(1), members: [] }),
      '/api/conversations/1/changes': () => ({
        messages: [msg(4), edited],
        lastVersion: 5,
        hasMore: false,
      }),
    });
    socket.connect();
    await vi.waitFor(() => expect(client.store.getState().conversations[1]?.lastSeq).toBe(3));
    client.open(1);
    await vi.waitFor(() => expect(held().items).toHaveLength(3));
    socket.emitLocal(EV.messageNew, msg(4));
    await new Promise((r) => setTimeout(r, 400));
    expect(asked.filter((u) => u.includes('/changes'))).toEqual([]);
    // Version 5 was missed; 6 shows it.
    socket.emitLocal(EV.messageUpdated, tomb);
    await vi.waitFor(() => expect(held().version).toBe(6));
    expect(asked.filter((u) => u.includes('/changes'))).toEqual([
      '/api/conversations/1/changes?since=4&limit=500',
    ]);
    expect(held().items.map((m) => m.body)).toEqual(['message 1', 'fixed', '', 'message 4']);
  });

  it('a changes page refused for a moment (server restarting) is asked again', async () => {
    let refusals = 1;
    const asked = serve({
      '/api/conversations': () => [conversation(1, { lastSeq: 3, lastVersion: 3 })],
      '/api/conversations/1/messages': () => ({ messages: range(1, 3), hasMore: false }),
      '/api/conversations/1': () => ({ ...conversation(1), members: [] }),
      '/api/conversations/1/changes': () =>
        refusals-- > 0
          ? new Response(JSON.stringify({ error: { code: 'unavailable', message: 'Starting' } }), {
              status: 503,
              headers: { 'content-type': 'application/json' },
            })
          : { messages: [edited], lastVersion: 5, hasMore: false },
    });
    socket.connect();
    await vi.waitFor(() => expect(client.store.getState().conversations[1]?.lastSeq).toBe(3));
    client.open(1);
    await vi.waitFor(() => expect(held().items).toHaveLength(3));
    socket.emitLocal(EV.messageUpdated, msg(1, { version: 6, body: 'edited again' }));
    await vi.waitFor(() => expect(held().version).toBe(6), { timeout: 3000 });
    expect(asked.filter((u) => u.includes('/changes'))).toHaveLength(2);
    expect(held().items[1]!.body).toBe('fixed');
  });

  it('user:updated about me tells the app, so my own name changes too', async () => {
    const renamed: unknown[] = [];
    client.stop();
    client = new ChatClient(ME, {
      onSessionEnded: () => {},
      onIncoming: () => {},
      onRemoved: () => {},
      onMeUpdated: (u) => renamed.push(u.displayName),
    });
    client.start();
    // Each connect reads my profile once (it may have changed while no socket heard of it).
    await vi.waitFor(() => expect(renamed).toEqual(['User 1']));
    socket.emitLocal(EV.userUpdated, { ...user(2), displayName: 'Not me' });
    socket.emitLocal(EV.userUpdated, { ...user(ME), displayName: 'New me' });
    expect(renamed).toEqual(['User 1', 'New me']);
    expect(client.store.getState().users[2]!.displayName).toBe('Not me');
  });
});

describe('ChatClient outbox (messages kept on disk until stored)', () => {
  it('puts back what was on its way, sends it in order with the same clientIds, then forgets it', async () => {
    const { memoryOutbox } = await import('./outbox.js');
    const outbox = memoryOutbox();
    const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 9, 0, s)).toISOString();
    for (const [clientId, s] of [
      ['k2', 2],
      ['k1', 1],
    ] as const) {
      await outbox.put({
        clientId,
        userId: ME,
        conversationId: 1,
        body: clientId,
        createdAt: at(s),
        replyTo: null,
        failed: null,
      });
    }
    client.stop();
    client = new ChatClient(
      ME,
      { onSessionEnded: () => {}, onIncoming: () => {}, onRemoved: () => {} },
      outbox,
    );
    client.start();
    await vi.waitFor(() => expect(pending().map((p) => p.clientId)).toEqual(['k1', 'k2']));
    expect(pending().every((p) => p.state === 'sending')).toBe(true);

    socket.connect();
    await vi.waitFor(() => expect(socket.sends()).toHaveLength(1));
    expect(socket.sends()[0]!.payload).toMatchObject({ clientId: 'k1', body: 'k1' });
    // The server had stored k1 already (its ack was lost): it answers with the stored message.
    socket.sends()[0]!.answer({ ok: true, data: msg(1, { senderId: ME, clientId: 'k1' }) });
    await vi.waitFor(() => expect(socket.sends()).toHaveLength(2));
    expect(socket.sends()[1]!.payload.clientId).toBe('k2');
    socket.sends()[1]!.answer({ ok: true, data: msg(2, { senderId: ME, clientId: 'k2' }) });
    await vi.waitFor(() => expect(pending()).toEqual([]));
    const items = client.store.getState().messages[1]!.items;
    expect(items.map((m) => m.clientId)).toEqual(['k1', 'k2']);
    await vi.waitFor(async () => expect(await outbox.load(ME)).toEqual([]));
  });

  it('a message written here is on disk until the server has it', async () => {
    const { memoryOutbox } = await import('./outbox.js');
    const outbox = memoryOutbox();
    client.stop();
    client = new ChatClient(
      ME,
      { onSessionEnded: () => {}, onIncoming: () => {}, onRemoved: () => {} },
      outbox,
    );
    client.start();
    client.send(1, 'keep me');
    await vi.waitFor(async () =>
      expect((await outbox.load(ME)).map((e) => e.body)).toEqual(['keep me']),
    );
    socket.connect();
    await vi.waitFor(() => expect(socket.sends()).toHaveLength(1));
    const clientId = socket.sends()[0]!.payload.clientId as string;
    socket.sends()[0]!.answer({ ok: true, data: msg(1, { senderId: ME, clientId }) });
    await vi.waitFor(async () => expect(await outbox.load(ME)).toEqual([]));
  });
});
