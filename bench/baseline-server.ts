/**
 * The bare Socket.IO relay Parley is compared with: the same socket.io version and server
 * settings as server/realtime/gateway.ts, but no authentication, no database and no
 * validation. A client names itself and its conversations in the handshake
 * (`auth: {userId, rooms}`); `message:send` is acked with a Message-shaped object and relayed
 * as `message:new` to the conversation's room (every member, the sender included, as Parley
 * does). GET /api/conversations/:id/messages answers one fixed page of 50 messages from memory.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { MAX_SOCKET_PACKET_BYTES } from '../protocol/limits.js';

const port = Number(process.env.PORT ?? 3100);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let nextId = 0;
const seqs = new Map<number, number>();

function message(conversationId: number, senderId: number, clientId: unknown, body: unknown) {
  const seq = (seqs.get(conversationId) ?? 0) + 1;
  seqs.set(conversationId, seq);
  return {
    id: ++nextId,
    conversationId,
    seq,
    senderId,
    clientId,
    kind: 'text',
    body,
    meta: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    status: 'sent',
  };
}

const page = JSON.stringify({
  messages: Array.from({ length: 50 }, (_, i) => ({
    id: i + 1,
    conversationId: 1,
    seq: i + 1,
    senderId: 1 + (i % 2),
    clientId: `c${i + 1}`,
    kind: 'text',
    body: 'x'.repeat(100),
    meta: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    status: 'read',
  })),
  hasMore: true,
});

function metrics(): string {
  const s = (ns: number) => (ns / 1e9).toFixed(9);
  const lines = [
    `nodejs_eventloop_lag_min_seconds ${s(loopDelay.min)}`,
    `nodejs_eventloop_lag_max_seconds ${s(loopDelay.max)}`,
    `nodejs_eventloop_lag_mean_seconds ${s(loopDelay.mean)}`,
    `nodejs_eventloop_lag_p50_seconds ${s(loopDelay.percentile(50))}`,
    `nodejs_eventloop_lag_p90_seconds ${s(loopDelay.percentile(90))}`,
    `nodejs_eventloop_lag_p99_seconds ${s(loopDelay.percentile(99))}`,
    `nodejs_heap_size_used_bytes ${process.memoryUsage().heapUsed}`,
  ];
  loopDelay.reset();
  return lines.join('\n') + '\n';
}

const http = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = req.url ?? '/';
  if (url === '/healthz' || url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } else if (url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(metrics());
  } else if (url.startsWith('/api/conversations/')) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(page);
  } else if (!url.startsWith('/socket.io')) {
    res.writeHead(404).end();
  }
});

const io = new Server(http, {
  path: '/socket.io',
  serveClient: false,
  maxHttpBufferSize: MAX_SOCKET_PACKET_BYTES,
  perMessageDeflate: false,
  httpCompression: false,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  connectTimeout: 10_000,
});

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { userId?: number; rooms?: number[] };
  const userId = Number(auth.userId ?? 0);
  void socket.join([`user:${userId}`, ...(auth.rooms ?? []).map((r) => `conv:${r}`)]);
  socket.on(
    'message:send',
    (p: { conversationId: number; clientId: unknown; body: unknown }, ack) => {
      const m = message(p.conversationId, userId, p.clientId, p.body);
      if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: true, data: m });
      io.to(`conv:${p.conversationId}`).emit('message:new', m);
    },
  );
});

http.listen(port, process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
