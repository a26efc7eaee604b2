import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../../protocol/errors.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../protocol/events.js';
import { ApiError } from './http.js';

/** The socket, typed by the shared event maps. */
export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type ClientEvent = keyof ClientToServerEvents;
type PayloadOf<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckOf<E extends ClientEvent> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never;

/**
 * Opens the socket (not yet connected). The token is asked for on every connection attempt,
 * so a reconnect after a long sleep uses a fresh one. WebSocket only: any node can serve it.
 */
export function createSocket(getToken: () => Promise<string>): ParleySocket {
  return io({
    path: '/socket.io',
    transports: ['websocket'],
    autoConnect: false,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
    auth: (cb) => {
      getToken().then(
        (token) => cb({ token }),
        () => cb({}),
      );
    },
  });
}

/** Emits a client event and resolves with the ack's data; rejects with an ApiError. */
export async function request<E extends ClientEvent>(
  socket: ParleySocket,
  event: E,
  payload: PayloadOf<E>,
  timeoutMs = 10_000,
): Promise<AckOf<E>> {
  let ack: Ack<AckOf<E>>;
  try {
    // The typed emitWithAck cannot follow a generic event name; the maps above keep it honest.
    const timed = socket.timeout(timeoutMs) as unknown as {
      emitWithAck(e: E, p: PayloadOf<E>): Promise<Ack<AckOf<E>>>;
    };
    ack = await timed.emitWithAck(event, payload);
  } catch {
    throw new ApiError('network', 'The server did not answer in time');
  }
  if (ack.ok) return ack.data;
  throw new ApiError(ack.error.code, ack.error.message, 0, ack.error.details ?? {});
}
