import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Server, type ServerOptions } from 'socket.io';
import { EV } from '../../protocol/events.js';
import { MAX_SOCKET_PACKET_BYTES } from '../../protocol/limits.js';
import type { Deps } from '../context.js';
import { AppError, toAppError } from '../errors.js';
import type { DomainEvent } from '../events.js';
import {
  authenticate,
  deadSessions,
  renewSession,
  touchIntervalMs,
} from '../features/auth/authenticate.js';
import { registerMessageHandlers } from '../features/messages/messages.socket.js';
import { userCameOnline, userWentOffline } from '../features/presence/presence.js';
import { originAllowed } from '../http/origin.js';
import { TokenBucket } from '../lib/token-bucket.js';
import { corkPerTurn } from './cork.js';
import type { Gate, ParleySocket, SocketData } from './handler.js';
import { Publisher, sessionRoom, userRoom } from './publisher.js';

/** Bytes waiting to be written to a socket's client (socket buffer plus unsent packets). */
function bufferedBytes(socket: ParleySocket): number {
  const conn = socket.conn as unknown as {
    transport?: { socket?: { bufferedAmount?: number } };
    writeBuffer?: Array<{ data?: unknown }>;
  };
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    bytes += typeof packet.data === 'string' ? packet.data.length : 64;
  }
  return bytes;
}

/** A socket whose client has this much unread data is dropped (it reconnects and catches up). */
export const MAX_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const BACKPRESSURE_CHECK_MS = 1000;
const DRAIN_TIMEOUT_MS = 5000;

export interface Realtime {
  io: Server;
  close(): Promise<void>;
}

/** Browsers send Origin; it must be this server's or an allowed one. Other clients send none. */
function allowRequest(deps: Deps) {
  return (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) => {
    const origin = req.headers.origin;
    if (origin === undefined) return cb(null, true);
    const ok = originAllowed(origin, req.headers.host, deps.config.allowedOrigins);
    cb(ok ? null : 'origin not allowed', ok);
  };
}

/** Attaches Socket.IO to the app's HTTP server: handshake auth, rooms, handlers, publisher. */
export function attachRealtime(
  app: FastifyInstance,
  deps: Deps,
  opts: { adapter?: ServerOptions['adapter'] } = {},
): Realtime {
  const io = new Server(app.server, {
    ...(opts.adapter && { adapter: opts.adapter }),
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_PACKET_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    allowRequest: (req, cb) =>
      draining ? cb('shutting down', false) : allowRequest(deps)(req, cb),
    pingInterval: 25_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
  });
  corkPerTurn(io);
  const publisher = new Publisher(io, deps.events);
  const local = new Map<string, ParleySocket>();

  /** Ends a socket whose session is over: tell it why, then drop it. */
  const expire = (socket: ParleySocket) => {
    (socket as unknown as { emit: (e: string, p: unknown) => void }).emit(EV.sessionExpired, {});
    socket.disconnect(true);
  };

  /** Socket events are session activity; at most once per interval this also re-checks the session. */
  let draining = false;
  const gate: Gate = {
    touch: (socket) => touch(socket),
    accepting: () => !draining,
    inflight: 0,
  };

  const touch = async (socket: ParleySocket): Promise<boolean> => {
    const now = deps.now();
    const { actor } = socket.data;
    if (now - socket.data.sessionCheckedAt < touchIntervalMs(deps)) return true;
    if (await renewSession(deps, actor.sessionId)) {
      socket.data.sessionCheckedAt = now;
      return true;
    }
    expire(socket);
    return false;
  };

  /** A presence count change, started now; a failure counts as no change. */
  const started = (change: Promise<boolean>) =>
    change.catch((err: unknown) => {
      deps.log.warn({ err }, 'presence update failed');
      return false;
    });
  // One user's presence changes are published in the order they happened: run concurrently,
  // a quick connect and disconnect could leave contacts seeing "online" last.
  const presenceChain = new Map<number, Promise<void>>();
  const inOrder = (userId: number, work: () => Promise<DomainEvent[]>) => {
    const next = (presenceChain.get(userId) ?? Promise.resolve()).then(work).then(
      (events) => deps.events.publishAll(events),
      (err: unknown) => deps.log.warn({ err }, 'presence update failed'),
    );
    presenceChain.set(userId, next);
    void next.then(() => {
      if (presenceChain.get(userId) === next) presenceChain.delete(userId);
    });
  };

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') {
      next(
        Object.assign(new Error('unauthorized'), {
          data: new AppError('unauthorized', 'An access token is required').toBody().error,
        }),
      );
      return;
    }
    authenticate(deps, token).then(
      (actor) => {
        if (deps.presence.socketCount(actor.userId) >= deps.config.socket.maxSocketsPerUser) {
          const e = new AppError('rate_limited', 'Too many connections for this account');
          next(Object.assign(new Error('rate_limited'), { data: e.toBody().error }));
          return;
        }
        const data: SocketData = {
          actor,
          sessionCheckedAt: deps.now(),
          buckets: {
            messages: new TokenBucket(
              deps.config.socket.messagesPerSecond,
              deps.config.socket.messagesPerSecond * 2,
              deps.now,
            ),
            events: new TokenBucket(
              deps.config.socket.eventsPerSecond,
              deps.config.socket.eventsPerSecond * 2,
              deps.now,
            ),
          },
        };
        socket.data = data;
        // The handshake request is not needed after auth; let it go to save memory per socket.
        (socket.request as unknown as { headers: unknown }).headers = {};
        next();
      },
      (err: unknown) => {
        const e = toAppError(err);
        const code =
          e.code === 'session_expired' || e.code === 'unavailable' ? e.code : 'unauthorized';
        next(Object.assign(new Error(code), { data: e.toBody().error }));
      },
    );
  });

  io.on('connection', (raw) => {
    const socket = raw as unknown as ParleySocket;
    const { actor } = socket.data;
    void socket.join([userRoom(actor.userId), sessionRoom(actor.sessionId)]);
    local.set(socket.id, socket);
    registerMessageHandlers(deps, socket, gate);
    socket.on('error', () => socket.disconnect(true));

    const online = started(deps.presence.connect(actor.userId));
    inOrder(actor.userId, async () => ((await online) ? userCameOnline(deps, actor.userId) : []));
    socket.on('disconnect', () => {
      local.delete(socket.id);
      const offline = started(deps.presence.disconnect(actor.userId));
      inOrder(actor.userId, async () =>
        (await offline) ? userWentOffline(deps, actor.userId) : [],
      );
    });
  });

  // Sessions can also end without an event here (idle timeout, absolute cap, another node):
  // check every connected socket's session periodically, so none outlives it by more than that.
  // Users whose sockets were on a node that died: offline now, seen last about now.
  deps.presence.onOffline((userIds) => {
    for (const userId of userIds) inOrder(userId, () => userWentOffline(deps, userId));
  });

  const sweep = setInterval(() => {
    const ids = [...new Set([...local.values()].map((s) => s.data.actor.sessionId))];
    deadSessions(deps, ids).then(
      (dead) => {
        for (const socket of local.values())
          if (dead.has(socket.data.actor.sessionId)) expire(socket);
      },
      (err: unknown) => deps.log.warn({ err }, 'session sweep failed'),
    );
  }, deps.config.socket.sessionCheckSeconds * 1000);
  sweep.unref();

  // A client that stops reading must not make the server hold its events without bound.
  const backpressure = setInterval(() => {
    for (const socket of local.values()) {
      const bytes = bufferedBytes(socket);
      if (bytes > MAX_SOCKET_BUFFER_BYTES) {
        deps.log.warn(
          { userId: socket.data.actor.userId, bytes },
          'dropping a socket that stopped reading',
        );
        socket.disconnect(true);
        // disconnect() queues a close frame behind the stuck data; end the connection itself.
        socket.conn.close();
      }
    }
  }, BACKPRESSURE_CHECK_MS);
  backpressure.unref();

  return {
    io,
    async close() {
      // Drain: refuse new connections and events, let events in flight commit and answer,
      // then close every socket so its client reconnects to another node.
      draining = true;
      const until = Date.now() + DRAIN_TIMEOUT_MS;
      while (gate.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      clearInterval(backpressure);
      clearInterval(sweep);
      publisher.close();
      deps.typing.close();
      await io.close();
    },
  };
}
