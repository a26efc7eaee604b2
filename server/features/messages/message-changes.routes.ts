import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParam } from '../../../protocol/schemas/common.js';
import {
  ChangesPage,
  ChangesQuery,
  EditMessageInput,
  Message,
  ReactionParams,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { apiErrors } from '../../http/openapi.js';
import { respond } from '../../http/respond.js';
import { deleteMessage } from './delete-message.js';
import { editMessage } from './edit-message.js';
import { getMessage, listPins } from './get-message.js';
import { listChanges } from './list-changes.js';
import { pinMessage } from './pin-message.js';
import { setReaction } from './set-reaction.js';

const errors = apiErrors(404);
const tags = ['messages'];
const one = { 200: Message, ...errors };

/** Single messages and their changes: read, edit, delete, react, pin; pins and the change feed. */
export function messageChangeRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', requireAuth(deps));

    app.get(
      '/api/messages/:id',
      { schema: { tags, summary: 'One message', params: IdParam, response: one } },
      async (request) => getMessage(deps, actorOf(request), request.params.id),
    );

    app.patch(
      '/api/messages/:id',
      {
        schema: {
          tags,
          summary: 'Edit my text message (like message:edit)',
          params: IdParam,
          body: EditMessageInput,
          response: one,
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await editMessage(deps, actorOf(request), request.params.id, request.body.body),
        ),
    );

    app.delete(
      '/api/messages/:id',
      {
        schema: {
          tags,
          summary: 'Delete a text message; answers the tombstone (like message:delete)',
          params: IdParam,
          response: one,
        },
      },
      async (request, reply) =>
        respond(deps, reply, await deleteMessage(deps, actorOf(request), request.params.id)),
    );

    for (const [method, on] of [
      ['PUT', true],
      ['DELETE', false],
    ] as const) {
      app.route({
        method,
        url: '/api/messages/:id/reactions/:emoji',
        schema: {
          tags,
          summary: on ? 'Add my reaction (emoji URL-encoded)' : 'Remove my reaction',
          params: ReactionParams,
          response: one,
        },
        handler: async (request, reply) =>
          respond(
            deps,
            reply,
            await setReaction(deps, actorOf(request), request.params.id, request.params.emoji, on),
          ),
      });
      app.route({
        method,
        url: '/api/messages/:id/pin',
        schema: {
          tags,
          summary: on ? 'Pin a message' : 'Unpin a message',
          params: IdParam,
          response: one,
        },
        handler: async (request, reply) =>
          respond(deps, reply, await pinMessage(deps, actorOf(request), request.params.id, on)),
      });
    }

    app.get(
      '/api/conversations/:id/pins',
      {
        schema: {
          tags,
          summary: 'Pinned messages, latest pin first',
          params: IdParam,
          response: { 200: z.array(Message), ...errors },
        },
      },
      async (request) => listPins(deps, actorOf(request), request.params.id),
    );

    app.get(
      '/api/conversations/:id/changes',
      {
        schema: {
          tags,
          summary: 'Messages created or changed after a version, ascending by version',
          params: IdParam,
          querystring: ChangesQuery,
          response: { 200: ChangesPage, ...errors },
        },
      },
      async (request) => listChanges(deps, actorOf(request), request.params.id, request.query),
    );
  };
}
