import type { FastifyReply } from 'fastify';
import type { Deps } from '../context.js';
import type { Outcome } from '../events.js';

/** Sends a use case's result, then publishes its events: the answer goes out before the fan-out. */
export function respond<T>(
  deps: Deps,
  reply: FastifyReply,
  out: Outcome<T>,
  status = 200,
): FastifyReply {
  if (status === 204) reply.code(204).send(null);
  else reply.code(status).send(out.data);
  deps.events.publishAll(out.events);
  return reply;
}
