import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { IsoTime, PlainText, Text } from './common.js';
import { DisplayName, Email, Password, User, Username } from './users.js';

export const RegisterInput = z
  .strictObject({
    username: Username,
    email: Email,
    password: Password,
    displayName: DisplayName.optional(),
    /** Needed while the server is invite-only: the token of an invite link. */
    inviteToken: PlainText(Text({ trim: true, min: 1, max: 64 }))
      .optional()
      .describe('the invite token (from an invite link); needed while registration is invite-only'),
  })
  .meta({ id: 'RegisterInput' });
export type RegisterInput = z.infer<typeof RegisterInput>;

export const LoginInput = z
  .strictObject({
    login: PlainText(Text({ trim: true, min: 1, max: LIMITS.emailMax })).describe(
      'username or email',
    ),
    password: Text({ min: 1, max: 1024 }),
    remember: z.boolean().optional().default(false),
  })
  .meta({ id: 'LoginInput' });
export type LoginInput = z.infer<typeof LoginInput>;

export const AuthResult = z
  .object({ user: User, accessToken: z.string(), expiresAt: IsoTime })
  .meta({ id: 'AuthResult' });
export type AuthResult = z.infer<typeof AuthResult>;

export const RefreshResult = z
  .object({ accessToken: z.string(), expiresAt: IsoTime })
  .meta({ id: 'RefreshResult' });
export type RefreshResult = z.infer<typeof RefreshResult>;

export const SessionInfo = z
  .object({
    id: z.number().int(),
    current: z.boolean(),
    createdAt: IsoTime,
    lastActiveAt: IsoTime,
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof SessionInfo>;

/** Ask for a password reset link by email (answered alike whether an account uses the address). */
export const PasswordResetRequestInput = z
  .strictObject({ email: Email })
  .meta({ id: 'PasswordResetRequestInput' });
export type PasswordResetRequestInput = z.infer<typeof PasswordResetRequestInput>;

/** The answer to every accepted request, whatever the address: how long a link sent works. */
export const PasswordResetAccepted = z
  .object({ linkMinutes: z.number().int() })
  .meta({ id: 'PasswordResetAccepted' });
export type PasswordResetAccepted = z.infer<typeof PasswordResetAccepted>;

/** Set a new password with the token from the link; the same rules as at sign-up. */
export const PasswordResetConfirmInput = z
  .strictObject({
    token: PlainText(Text({ min: 1, max: 256 })).describe(
      'the `token` parameter of the emailed link',
    ),
    password: Password,
  })
  .meta({ id: 'PasswordResetConfirmInput' });
export type PasswordResetConfirmInput = z.infer<typeof PasswordResetConfirmInput>;

/** How a forgotten password can be reset on this server. */
export const PasswordResetInfo = z
  .object({
    byEmail: z
      .boolean()
      .describe(
        'true when the server can mail reset links; false: its operator resets passwords with `parley user reset-password`',
      ),
    linkMinutes: z.number().int().describe('how long an emailed link works'),
  })
  .meta({ id: 'PasswordResetInfo' });
export type PasswordResetInfo = z.infer<typeof PasswordResetInfo>;
