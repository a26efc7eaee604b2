import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AdminUserPage,
  AdminUsersQuery,
  CreateInviteInput,
  Invite,
  RevokedSessions,
  ServerSettings,
  ServerStats,
  UpdateServerSettingsInput,
} from '../../../protocol/schemas/admin.js';
import { ErrorBodySchema, IdParam } from '../../../protocol/schemas/common.js';
import type { Deps } from '../../context.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { apiErrors } from '../../http/openapi.js';
import { respond } from '../../http/respond.js';
import { requireServerAdmin } from './admin.policy.js';
import { createInvite } from './create-invite.js';
import { getSettings } from './get-settings.js';
import { getStats } from './get-stats.js';
import { listInvites } from './list-invites.js';
import { listUsers } from './list-users.js';
import { revokeInvite } from './revoke-invite.js';
import { revokeUserSessions } from './revoke-user-sessions.js';
import { updateSettings } from './update-settings.js';

const errors = apiErrors();
const tags = ['admin'];

/**
 * The server admin's console: users, figures, registration mode and invites. Sign-in and the
 * admin check run before anything else (before body validation too), so everyone but a server
 * admin gets `unauthorized` or `forbidden` from every route here, whatever they send. Each use
 * case checks again (the rule lives with it).
 */
export function adminRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const auth = requireAuth(deps);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      await auth(request);
      requireServerAdmin(actorOf(request));
    });

    app.get(
      '/api/admin/users',
      {
        schema: {
          tags,
          summary: 'Search users by username, display name or email (server admins)',
          querystring: AdminUsersQuery,
          response: { 200: AdminUserPage, ...errors },
        },
      },
      async (request) => listUsers(deps, actorOf(request), request.query),
    );

    app.delete(
      '/api/admin/users/:id/sessions',
      {
        schema: {
          tags,
          summary: 'Sign a user out everywhere: revoke every session, disconnect their sockets',
          params: IdParam,
          response: { 200: RevokedSessions, 404: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await revokeUserSessions(deps, actorOf(request), request.params.id)),
    );

    app.get(
      '/api/admin/stats',
      {
        schema: {
          tags,
          summary: 'Figures of the server: accounts, conversations, sockets, storage',
          response: { 200: ServerStats, ...errors },
        },
      },
      async (request) => getStats(deps, actorOf(request)),
    );

    app.get(
      '/api/admin/settings',
      {
        schema: {
          tags,
          summary: 'Server settings (the registration mode)',
          response: { 200: ServerSettings, ...errors },
        },
      },
      async (request) => getSettings(deps, actorOf(request)),
    );

    app.put(
      '/api/admin/settings',
      {
        schema: {
          tags,
          summary: 'Change the registration mode: open, invite-only or closed',
          body: UpdateServerSettingsInput,
          response: { 200: ServerSettings, ...errors },
        },
      },
      async (request) => updateSettings(deps, actorOf(request), request.body),
    );

    app.get(
      '/api/admin/invites',
      {
        schema: {
          tags,
          summary: 'The most recent invite links, newest first',
          response: { 200: z.array(Invite), ...errors },
        },
      },
      async (request) => listInvites(deps, actorOf(request)),
    );

    app.post(
      '/api/admin/invites',
      {
        schema: {
          tags,
          summary: 'Create an invite link good for maxUses sign-ups within expiresInHours',
          body: CreateInviteInput,
          response: { 201: Invite, ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createInvite(deps, actorOf(request), request.body)),
    );

    app.delete(
      '/api/admin/invites/:id',
      {
        schema: {
          tags,
          summary: 'Revoke an invite link',
          params: IdParam,
          response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await revokeInvite(deps, actorOf(request), request.params.id), 204),
    );
  };
}
