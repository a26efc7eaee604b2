import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';
import type { z } from 'zod';
import type { Ack } from '../../protocol/errors.js';
import type { Actor, Deps } from '../context.js';
import { AppError, toAppError, validationFailed } from '../errors.js';
import type { Outcome } from '../events.js';

/** What the gateway keeps on each socket. */
export interface SocketData {
  actor: Actor;
  /** When this socket last proved its session alive (ms). */
  sessionCheckedAt: number;
  /** Uncounts the socket from presence (once, however it ends). */
  release: () => void;
}

/** A connected client, typed by the event maps both sides share. */
export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/** The Socket.IO server, typed the same way. */
export type ParleyServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

function fieldsOf(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = issue.path.length ? issue.path.join('.') : 'payload';
    fields[name] ??= issue.message;
  }
  return fields;
}

/** What the gateway lends every handler: session activity, and whether the node still takes work. */
export interface Gate {
  /** Counts the event as session activity; false when the session is over (the socket is dropped). */
  touch(socket: ParleySocket): Promise<boolean>;
  /** False once the node drains for shutdown. */
  accepting(): boolean;
  /** Events being handled right now (a drain waits for them). */
  inflight: number;
  /** Counts an event against the socket's budget; the milliseconds to wait when it is spent. */
  spend(socket: ParleySocket): Promise<number>;
}

export interface HandlerOptions<I, O> {
  schema: z.ZodType<I>;
  /**
   * Counts against the socket's budget of receipts and typing events. Sends are limited per
   * user by their use case, the same over REST.
   */
  perSocketBudget: boolean;
  run: (actor: Actor, input: I) => Promise<Outcome<O>>;
  /** Runs between the ack and publishing (the crash point for the failure tests). */
  afterAck?: (input: I) => void;
}

/**
 * The one socket adapter: drain check → socket budget → session activity → parse → one use case → ack →
 * publish. Any failure becomes an error ack; nothing a client sends can kill the socket.
 */
export function handle<I, O>(
  deps: Deps,
  socket: ParleySocket,
  gate: Gate,
  opts: HandlerOptions<I, O>,
) {
  return async (payload: unknown, ack?: unknown): Promise<void> => {
    const reply = (a: Ack<O>) => {
      if (typeof ack === 'function') (ack as (a: Ack<O>) => void)(a);
    };
    gate.inflight++;
    try {
      if (!gate.accepting()) {
        throw new AppError(
          'unavailable',
          'This server is restarting; retry in a moment',
          undefined,
          1,
        );
      }
      const wait = opts.perSocketBudget ? await gate.spend(socket) : 0;
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait / 1000));
        throw new AppError(
          'rate_limited',
          'Slow down: too many events',
          { retryAfterMs: wait },
          seconds,
        );
      }
      if (!(await gate.touch(socket))) return;
      const parsed = opts.schema.safeParse(payload);
      if (!parsed.success) throw validationFailed(fieldsOf(parsed.error));
      const out = await opts.run(socket.data.actor, parsed.data);
      reply({ ok: true, data: out.data });
      opts.afterAck?.(parsed.data);
      deps.events.publishAll(out.events);
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'internal') deps.log.error({ err }, 'socket handler failed');
      reply({ ok: false, error: e.toBody().error });
      deps.events.publishAll(e.events);
    } finally {
      gate.inflight--;
    }
  };
}

/**
 * Registers socket handlers by event name. Socket.IO passes the ack callback last, whatever
 * came before it: an event with no payload or extra arguments must still be answered (and
 * refused), not run without an ack. The payload is `unknown` until a handler's schema parsed it.
 */
export function listen(socket: ParleySocket) {
  const raw = socket as unknown as { on: (e: string, f: (...a: unknown[]) => void) => void };
  return (
    event: keyof ClientToServerEvents,
    fn: (payload: unknown, ack?: unknown) => Promise<void>,
  ): void => {
    raw.on(event, (...args) => {
      const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
      void fn(args.length <= 1 ? args[0] : args, ack);
    });
  };
}
