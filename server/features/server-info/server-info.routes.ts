import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ServerInfo } from '../../../protocol/schemas/server-info.js';
import type { Deps } from '../../context.js';
import { apiErrors } from '../../http/openapi.js';
import { getServerInfo } from './get-server-info.js';

/** Public facts about the server, for the signed-out pages (no sign-in needed). */
export function serverInfoRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/api/server-info',
      {
        schema: {
          tags: ['server'],
          summary: 'What the sign-in and sign-up pages need to know (no sign-in needed)',
          security: [],
          response: { 200: ServerInfo, ...apiErrors() },
        },
      },
      async () => getServerInfo(deps),
    );
  };
}
