import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { MessageSearchQuery, SearchPage } from '../../../protocol/schemas/search.js';
import type { Deps } from '../../context.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { apiErrors } from '../../http/openapi.js';
import { searchMessages } from './search-messages.js';

/** Full-text search over the messages the caller can read. */
export function searchRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', requireAuth(deps));
    app.get(
      '/api/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Messages holding every word of q (the last also as a prefix), newest first',
          querystring: MessageSearchQuery,
          response: { 200: SearchPage, ...apiErrors(404) },
        },
      },
      async (request) => searchMessages(deps, actorOf(request), request.query),
    );
  };
}
