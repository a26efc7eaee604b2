import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParam } from '../../../protocol/schemas/common.js';
import {
  HistoryPage,
  HistoryQuery,
  Message,
  PostMessageInput,
  ReadInput,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { respond } from '../../http/respond.js';
import { listMessages } from './list-messages.js';
import { markRead } from './move-cursors.js';
import { sendMessage } from './send-message.js';
import { apiErrors } from '../../http/openapi.js';

const errors = apiErrors(404);
const tags = ['messages'];

/** History, sending over REST, and read receipts over REST. */
export function messageRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', requireAuth(deps));

    app.get(
      '/api/conversations/:id/messages',
      {
        schema: {
          tags,
          summary:
            'History, ascending by seq: newest page by default, before/after a seq, or around one',
          params: IdParam,
          querystring: HistoryQuery,
          response: { 200: HistoryPage, ...errors },
        },
      },
      async (request) => listMessages(deps, actorOf(request), request.params.id, request.query),
    );

    app.post(
      '/api/conversations/:id/messages',
      {
        schema: {
          tags,
          summary: 'Send a message (idempotent by clientId, like message:send)',
          description:
            "`attachmentIds` (at most 10) attach uploads from `POST /api/uploads`: the sender's own, " +
            'not attached yet and not expired. With attachments the body may be "".',
          params: IdParam,
          body: PostMessageInput,
          response: { 201: Message, ...errors },
        },
      },
      async (request, reply) => {
        const out = await sendMessage(deps, actorOf(request), {
          conversationId: request.params.id,
          clientId: request.body.clientId ?? null,
          body: request.body.body,
          replyToId: request.body.replyToId ?? null,
          attachmentIds: request.body.attachmentIds ?? [],
        });
        return respond(deps, reply, out, 201);
      },
    );

    app.post(
      '/api/conversations/:id/read',
      {
        schema: {
          tags,
          summary: 'Mark messages read up to seq (forward only)',
          params: IdParam,
          body: ReadInput,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await markRead(deps, actorOf(request), request.params.id, request.body.seq),
          204,
        ),
    );
  };
}
