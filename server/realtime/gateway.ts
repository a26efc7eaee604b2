import type { FastifyInstance } from 'fastify';
import { Server, type ServerOptions } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';
import { MAX_SOCKET_PACKET_BYTES } from '../../protocol/limits.js';
import type { Deps } from '../context.js';
import { AppError, notFound, toAppError } from '../errors.js';
import type { DomainEvent } from '../events.js';
import {
  authenticate,
  deadSessions,
  renewSession,
  touchIntervalMs,
} from '../features/auth/authenticate.js';
import { registerMessageHandlers } from '../features/messages/messages.socket.js';
import { userCameOnline, userWentOffline } from '../features/presence/presence.js';
import { memoryRateLimiter } from '../lib/rate-limiter.js';
import { corkPerTurn } from './cork.js';
import { refuseHandshakes } from './refusals.js';
import type { Gate, ParleyServer, ParleySocket, SocketData } from './handler.js';
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
  io: ParleyServer;
  close(): Promise<void>;
}

/** Attaches Socket.IO to the app's HTTP server: handshake auth, rooms, handlers, publisher. */
export function attachRealtime(
  app: FastifyInstance,
  deps: Deps,
  opts: { adapter?: ServerOptions['adapter'] } = {},
): Realtime {
  const io: ParleyServer = new Server<
    ClientToServerEvents,
    ServerToClientEvents,
    Record<string, never>,
    SocketData
  >(app.server, {
    ...(opts.adapter && { adapter: opts.adapter }),
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_PACKET_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    pingInterval: 25_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
  });
  corkPerTurn(io);
  refuseHandshakes(io, deps, () => draining);
  const publisher = new Publisher(io, deps.events);
  const local = new Map<string, ParleySocket>();

  /** A socket's session is over: every socket of it, on every node, is told why and dropped. */
  const expire = (socket: ParleySocket) => {
    const { userId, sessionId } = socket.data.actor;
    deps.events.publish({ type: 'sessions.revoked', userId, sessionIds: [sessionId] });
  };

  /** Socket events are session activity; at most once per interval this also re-checks the session. */
  let draining = false;
  // Receipts and typing per socket: a flood guard of the connection itself, so node-local.
  const socketBudget = memoryRateLimiter();
  const { eventsPerSecond } = deps.config.socket;
  const gate: Gate = {
    touch: (socket) => touch(socket),
    accepting: () => !draining,
    inflight: 0,
    spend: async (socket) => {
      const d = await socketBudget.hit(socket.id, eventsPerSecond * 2, 2000);
      return d.allowed ? 0 : Math.max(1, d.retryAfterMs);
    },
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
  const started = <T extends boolean | null>(change: Promise<T>) =>
    change.catch((err: unknown) => {
      deps.log.warn({ err }, 'presence update failed');
      return false as T;
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
    const refuse = (e: AppError) =>
      next(Object.assign(new Error(e.code), { data: e.toBody().error }));
    authenticate(deps, token).then(
      async (actor) => {
        // The cap counts the user's sockets on every node; counting this one is the reservation.
        const cameOnline = await started(
          deps.presence.connect(actor.userId, socket.id, deps.config.socket.maxSocketsPerUser),
        );
        if (cameOnline === null) {
          refuse(new AppError('rate_limited', 'Too many connections for this account'));
          return;
        }
        if (cameOnline) inOrder(actor.userId, () => userCameOnline(deps, actor.userId));
        // Uncounted once, when the socket ends, or when its connection closes before it is
        // established (Socket.IO then drops it without a disconnect event).
        let counted = true;
        const release = () => {
          if (!counted) return;
          counted = false;
          local.delete(socket.id);
          const offline = started(deps.presence.disconnect(actor.userId, socket.id));
          inOrder(actor.userId, async () =>
            (await offline) ? userWentOffline(deps, actor.userId) : [],
          );
        };
        if (socket.conn.readyState !== 'open') {
          release();
          return;
        }
        socket.conn.once('close', release);
        const data: SocketData = { actor, sessionCheckedAt: deps.now(), release };
        socket.data = data;
        // The handshake request is not needed after auth; let it go to save memory per socket.
        (socket.request as unknown as { headers: unknown }).headers = {};
        next();
      },
      (err: unknown) => {
        const e = toAppError(err);
        const code =
          e.code === 'session_expired' || e.code === 'unavailable' ? e.code : 'unauthorized';
        refuse(new AppError(code, e.message));
      },
    );
  });

  io.on('connection', (raw) => {
    const socket: ParleySocket = raw;
    const { actor } = socket.data;
    void socket.join([userRoom(actor.userId), sessionRoom(actor.sessionId)]);
    local.set(socket.id, socket);
    registerMessageHandlers(deps, socket, gate);
    socket.on('error', () => socket.disconnect(true));
    // An event nobody handles, sent with an ack, is answered rather than left to time out.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (socket.listeners(event as never).length > 0) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') {
        (ack as (a: unknown) => void)({
          ok: false,
          error: notFound('No such event').toBody().error,
        });
      }
    });
    socket.on('disconnect', () => socket.data.release());
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
      // io.close() waits for the HTTP server to close, which waits for every connection. Node
      // closes the idle ones once, when closing starts; a keep-alive connection whose request
      // finished afterwards would stay open as long as the client keeps it (minutes). Close
      // those as they become idle; requests still running are left to finish.
      const idle = setInterval(() => app.server.closeIdleConnections(), 200);
      try {
        await io.close();
      } finally {
        clearInterval(idle);
      }
    },
  };
}
