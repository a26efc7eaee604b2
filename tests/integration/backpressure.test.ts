import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { registerUser } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket } from '../helpers/socket.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ SOCKET_MESSAGES_PER_SECOND: '100000' });
});
afterAll(async () => {
  await t?.close();
});

/** A Socket.IO client over a raw WebSocket, whose TCP reading can be paused. */
function rawClient(url: string, token: string): Promise<{ ws: WebSocket; pause: () => void }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const text = (data as Buffer).toString();
      if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
      else if (text.startsWith('40')) {
        const raw = (ws as unknown as { _socket: { pause(): void } })._socket;
        resolve({ ws, pause: () => raw.pause() });
      } else if (text.startsWith('44')) reject(new Error(text));
    });
    ws.on('error', reject);
  });
}

it('drops a client that stops reading, and everyone else keeps receiving', async () => {
  const slow = await registerUser(t.api);
  const sender = await registerUser(t.api);
  const watcher = await registerUser(t.api);
  const group = await t.api.post(
    '/api/conversations',
    { name: 'firehose', isPrivate: true, memberIds: [slow.id, watcher.id] },
    { token: sender.token },
  );
  expect(group.status).toBe(201);

  const stuck = await rawClient(t.url, slow.token);
  const watching = await connectSocket(t.url, watcher.token);
  const sending = await connectSocket(t.url, sender.token);
  const connectedBefore = t.server.realtime.io.sockets.sockets.size;
  expect(connectedBefore).toBe(3);
  stuck.pause();

  // 24 KB a message (8000 three-byte characters); ~48 MB in all is far more than socket buffers hold.
  const body = '€'.repeat(8000);
  const total = 2000;
  for (let i = 0; i < total; i++) {
    const ack = await sending.request('message:send', {
      conversationId: group.body.id,
      clientId: `m${i}`,
      body,
    });
    expect(ack.ok).toBe(true);
    if (t.server.realtime.io.sockets.sockets.size < connectedBefore) break;
  }
  // The stuck socket is gone from the server; the other two are still there.
  await expect.poll(() => t.server.realtime.io.sockets.sockets.size, { timeout: 5000 }).toBe(2);
  const last = await sending.request('message:send', {
    conversationId: group.body.id,
    clientId: 'after',
    body: 'still here?',
  });
  expect(last.ok).toBe(true);
  expect((await watching.waitFor('message:new', (m) => m.clientId === 'after')).body).toBe(
    'still here?',
  );
  stuck.ws.terminate();
  watching.close();
  sending.close();
}, 120_000);
