import { io, type Socket } from 'socket.io-client';

export interface Received {
  event: string;
  payload: any;
  at: number;
}

/** A real Socket.IO client that records every event it receives. */
export class TestSocket {
  readonly received: Received[] = [];
  private waiters: Array<{ event: string; pred: (p: any) => boolean; resolve: (p: any) => void }> =
    [];

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: any) => {
      this.received.push({ event, payload, at: Date.now() });
      this.waiters = this.waiters.filter((w) => {
        if (w.event === event && w.pred(payload)) {
          w.resolve(payload);
          return false;
        }
        return true;
      });
    });
  }

  /** Emits with an ack and resolves with the ack (`{ok, data}` or `{ok: false, error}`). */
  request<T = any>(event: string, payload: unknown, timeoutMs = 5000): Promise<T> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
  }

  /** Resolves with the first matching event (already received or arriving within the timeout). */
  waitFor<T = any>(
    event: string,
    pred: (p: any) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<T> {
    const seen = this.received.find((r) => r.event === event && pred(r.payload));
    if (seen) return Promise.resolve(seen.payload as T);
    return new Promise<T>((resolve, reject) => {
      const w = { event, pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for ${event}`));
      }, timeoutMs).unref();
    });
  }

  eventsOf(event: string): any[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload);
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects and waits for the handshake; rejects with the connect_error message on refusal. */
export function connectSocket(
  url: string,
  token: string | null,
  opts: {
    reconnection?: boolean;
    extraHeaders?: Record<string, string>;
    transports?: string[];
  } = {},
): Promise<TestSocket> {
  const socket = io(url, {
    path: '/socket.io',
    auth: token === null ? {} : { token },
    transports: opts.transports ?? ['websocket'],
    reconnection: opts.reconnection ?? false,
    forceNew: true,
    extraHeaders: opts.extraHeaders,
    timeout: 5000,
  });
  const t = new TestSocket(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(t));
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(err);
    });
  });
}

/** Resolves with the disconnect reason once the socket is closed (at once if it already is). */
export function disconnected(t: TestSocket, timeoutMs = 5000): Promise<string> {
  if (!t.socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still connected')), timeoutMs);
    timer.unref();
    t.socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Like `waitFor`, but only for events that arrive after this call. */
export function waitForNew<T = any>(
  t: TestSocket,
  event: string,
  pred: (p: any) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  const from = t.received.length;
  return t.waitFor<T>(
    event,
    (p) => pred(p) && t.received.findIndex((r) => r.payload === p) >= from,
    timeoutMs,
  );
}
