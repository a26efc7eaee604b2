import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  PasswordResetAccepted,
  PasswordResetConfirmInput,
  PasswordResetRequestInput,
} from '../../../protocol/schemas/auth.js';
import type { Deps } from '../../context.js';
import { metaOf } from '../../http/auth.js';
import { apiErrors } from '../../http/openapi.js';
import { respond } from '../../http/respond.js';
import { confirmPasswordReset } from './password-reset-confirm.js';
import { requestPasswordReset } from './password-reset-request.js';

/** A forgotten password: ask for a link by email, then set a new password with it. */
export function passwordResetRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/api/auth/password-reset',
      {
        schema: {
          tags: ['auth'],
          summary: 'Mail a password reset link to the account using this address, if any',
          description:
            'Answers 202 with the same body whether an account uses the address or not; the link (PUBLIC_URL/reset-password?token=…) is mailed afterwards, works once, within `linkMinutes`, and replaces any earlier link. Limited per client address, per email address and per account (`rate_limited`). Without SMTP set up: `unavailable`.',
          security: [],
          body: PasswordResetRequestInput,
          response: { 202: PasswordResetAccepted, ...apiErrors() },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await requestPasswordReset(deps, request.body, metaOf(request)), 202),
    );

    app.post(
      '/api/auth/password-reset/confirm',
      {
        schema: {
          tags: ['auth'],
          summary: 'Set a new password with the token of an emailed link; signs out every session',
          description:
            'An unknown, used or expired token answers `validation_failed` with `details.fields.token`. Does not sign in.',
          security: [],
          body: PasswordResetConfirmInput,
          response: { 204: z.null(), ...apiErrors() },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await confirmPasswordReset(deps, request.body), 204),
    );
  };
}
