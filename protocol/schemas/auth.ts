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
