import { z } from 'zod';
import { LIMITS, USERNAME_PATTERN } from '../limits.js';
import { DecimalInt, IsoTime, PlainText } from './common.js';

export const Username = z
  .string()
  .trim()
  .min(LIMITS.usernameMin)
  .max(LIMITS.usernameMax)
  .regex(USERNAME_PATTERN, 'may contain only letters, digits, "_", "." and "-"');

export const Email = z.string().trim().max(LIMITS.emailMax).pipe(z.email());

/** Passwords are counted in Unicode code points, not UTF-16 units. */
export const Password = z
  .string()
  .refine((s) => [...s].length >= LIMITS.passwordMin, {
    message: `must be at least ${LIMITS.passwordMin} characters`,
  })
  .refine((s) => [...s].length <= LIMITS.passwordMax, {
    message: `must be at most ${LIMITS.passwordMax} characters`,
  });

export const DisplayName = PlainText(z.string().trim().min(1).max(LIMITS.displayNameMax));

export const PublicUser = z
  .object({
    id: z.number().int(),
    username: z.string(),
    displayName: z.string(),
    avatarUrl: z.string().nullable(),
    online: z.boolean(),
    lastSeenAt: IsoTime.nullable(),
  })
  .meta({ id: 'PublicUser' });
export type PublicUser = z.infer<typeof PublicUser>;

export const User = PublicUser.extend({
  email: z.string(),
  bio: z.string(),
  isAdmin: z.boolean(),
  createdAt: IsoTime,
}).meta({ id: 'User' });
export type User = z.infer<typeof User>;

export const UpdateProfileInput = z
  .strictObject({
    username: Username.optional(),
    email: Email.optional(),
    displayName: DisplayName.optional(),
    bio: PlainText(z.string().max(LIMITS.bioMax)).optional(),
  })
  .meta({ id: 'UpdateProfileInput' });
export type UpdateProfileInput = z.infer<typeof UpdateProfileInput>;

export const ChangePasswordInput = z
  .strictObject({
    currentPassword: z.string().max(1024),
    newPassword: Password,
  })
  .meta({ id: 'ChangePasswordInput' });
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;

export const SearchUsersQuery = z.object({
  query: z.string().max(LIMITS.searchQueryMax).optional().default(''),
  limit: DecimalInt(1, LIMITS.searchLimitMax).optional().default(LIMITS.searchLimitDefault),
});
export type SearchUsersQuery = z.infer<typeof SearchUsersQuery>;

export const AdminUpdateUserInput = z
  .strictObject({
    isActive: z.boolean().optional(),
    isAdmin: z.boolean().optional(),
  })
  .meta({ id: 'AdminUpdateUserInput' });
export type AdminUpdateUserInput = z.infer<typeof AdminUpdateUserInput>;
