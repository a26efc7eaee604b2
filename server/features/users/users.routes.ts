import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBodySchema, IdParam } from '../../../protocol/schemas/common.js';
import {
  AdminUpdateUserInput,
  ChangePasswordInput,
  PublicUser,
  SearchUsersQuery,
  UpdateProfileInput,
  User,
} from '../../../protocol/schemas/users.js';
import type { Deps } from '../../context.js';
import { respond } from '../../http/respond.js';
import { actorOf, metaOf, requireAuth } from '../../http/auth.js';
import { adminUpdateUser } from '../admin/update-user.js';
import { changePassword, getMe, getUser, searchUsers, updateProfile } from './profile.js';
import { apiErrors } from '../../http/openapi.js';

const errors = apiErrors(404);

/** Profiles, user lookup and search, and the server admin's user controls. */
export function userRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', requireAuth(deps));

    app.get(
      '/api/users/me',
      { schema: { tags: ['users'], summary: 'My profile', response: { 200: User, ...errors } } },
      async (request) => getMe(deps, actorOf(request)),
    );

    app.patch(
      '/api/users/me',
      {
        schema: {
          tags: ['users'],
          summary: 'Change my profile',
          body: UpdateProfileInput,
          response: { 200: User, 409: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await updateProfile(deps, actorOf(request), request.body)),
    );

    app.post(
      '/api/users/me/password',
      {
        schema: {
          tags: ['users'],
          summary: 'Change my password; signs out every other session',
          body: ChangePasswordInput,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await changePassword(deps, actorOf(request), request.body, metaOf(request).ip),
          204,
        ),
    );

    app.get(
      '/api/users',
      {
        schema: {
          tags: ['users'],
          summary: 'Search active users by username or display name',
          querystring: SearchUsersQuery,
          response: { 200: z.array(PublicUser), ...errors },
        },
      },
      async (request) => searchUsers(deps, actorOf(request), request.query),
    );

    app.get(
      '/api/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'One user',
          params: IdParam,
          response: { 200: PublicUser, ...errors },
        },
      },
      async (request) => getUser(deps, request.params.id),
    );

    app.patch(
      '/api/admin/users/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'Activate, deactivate, promote or demote a user (server admins)',
          params: IdParam,
          body: AdminUpdateUserInput,
          response: { 200: User, 409: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await adminUpdateUser(deps, actorOf(request), request.params.id, request.body),
        ),
    );
  };
}
