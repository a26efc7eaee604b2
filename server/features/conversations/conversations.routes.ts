import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParam } from '../../../protocol/schemas/common.js';
import {
  AddMembersInput,
  ChangeRoleInput,
  Conversation,
  ConversationSettingsInput,
  ConversationWithMembers,
  CreateGroupInput,
  Member,
  MemberParams,
  OpenDirectInput,
  PublicGroupsQuery,
  UpdateGroupInput,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { respond } from '../../http/respond.js';
import { addMembers } from './add-members.js';
import { changeRole } from './change-role.js';
import { createGroup } from './create-group.js';
import { deleteGroup } from './delete-group.js';
import { joinGroup } from './join-group.js';
import { leaveConversation } from './leave-conversation.js';
import { browsePublicGroups, getConversation, listConversations } from './list-conversations.js';
import { openDirect } from './open-direct.js';
import { removeMember } from './remove-member.js';
import { updateGroup } from './update-group.js';
import { updateSettings } from './update-settings.js';
import { apiErrors } from '../../http/openapi.js';

const errors = apiErrors(404);
const tags = ['conversations'];

/** Conversations and group administration. */
export function conversationRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', requireAuth(deps));

    app.get(
      '/api/conversations',
      {
        schema: {
          tags,
          summary: 'My conversations, newest activity first',
          response: { 200: z.array(Conversation), ...errors },
        },
      },
      async (request) => listConversations(deps, actorOf(request)),
    );

    app.post(
      '/api/conversations/direct',
      {
        schema: {
          tags,
          summary: 'The direct conversation with a user (201 when created, 200 when it existed)',
          body: OpenDirectInput,
          response: { 200: Conversation, 201: Conversation, ...errors },
        },
      },
      async (request, reply) => {
        const out = await openDirect(deps, actorOf(request), request.body.userId);
        return respond(
          deps,
          reply,
          { data: out.data.conversation, events: out.events },
          out.data.created ? 201 : 200,
        );
      },
    );

    app.post(
      '/api/conversations',
      {
        schema: {
          tags,
          summary: 'Create a group; the creator owns it',
          body: CreateGroupInput,
          response: { 201: Conversation, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await createGroup(deps, actorOf(request), request.body), 201),
    );

    app.get(
      '/api/conversations/public',
      {
        schema: {
          tags,
          summary: 'Public groups, joined or not',
          querystring: PublicGroupsQuery,
          response: { 200: z.array(Conversation), ...errors },
        },
      },
      async (request) => browsePublicGroups(deps, actorOf(request), request.query),
    );

    app.get(
      '/api/conversations/:id',
      {
        schema: {
          tags,
          summary: 'A conversation with its members',
          params: IdParam,
          response: { 200: ConversationWithMembers, ...errors },
        },
      },
      async (request) => getConversation(deps, actorOf(request), request.params.id),
    );

    app.patch(
      '/api/conversations/:id',
      {
        schema: {
          tags,
          summary: 'Rename a group, set its topic or privacy (owner or admin)',
          params: IdParam,
          body: UpdateGroupInput,
          response: { 200: Conversation, ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await updateGroup(deps, actorOf(request), request.params.id, request.body),
        ),
    );

    app.patch(
      '/api/conversations/:id/settings',
      {
        schema: {
          tags,
          summary: 'My own preferences for a conversation: muted, notification level',
          params: IdParam,
          body: ConversationSettingsInput,
          response: { 200: Conversation, ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await updateSettings(deps, actorOf(request), request.params.id, request.body),
        ),
    );

    app.delete(
      '/api/conversations/:id',
      {
        schema: {
          tags,
          summary: 'Delete a group (owner only)',
          params: IdParam,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await deleteGroup(deps, actorOf(request), request.params.id), 204),
    );

    app.post(
      '/api/conversations/:id/join',
      {
        schema: {
          tags,
          summary: 'Join a public group',
          params: IdParam,
          response: { 200: Conversation, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await joinGroup(deps, actorOf(request), request.params.id)),
    );

    app.post(
      '/api/conversations/:id/leave',
      {
        schema: {
          tags,
          summary: 'Leave a group',
          params: IdParam,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await leaveConversation(deps, actorOf(request), request.params.id),
          204,
        ),
    );

    app.post(
      '/api/conversations/:id/members',
      {
        schema: {
          tags,
          summary: 'Add members (owner or admin)',
          params: IdParam,
          body: AddMembersInput,
          response: { 200: z.array(Member), ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await addMembers(deps, actorOf(request), request.params.id, request.body),
        ),
    );

    app.delete(
      '/api/conversations/:id/members/:userId',
      {
        schema: {
          tags,
          summary: 'Remove a member (owner or admin)',
          params: MemberParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await removeMember(deps, actorOf(request), request.params.id, request.params.userId),
          204,
        ),
    );

    app.patch(
      '/api/conversations/:id/members/:userId',
      {
        schema: {
          tags,
          summary: 'Change a member\'s role (owner only; "owner" transfers ownership)',
          params: MemberParams,
          body: ChangeRoleInput,
          response: { 200: Member, ...errors },
        },
      },
      async (request, reply) =>
        respond(
          deps,
          reply,
          await changeRole(
            deps,
            actorOf(request),
            request.params.id,
            request.params.userId,
            request.body,
          ),
        ),
    );
  };
}
