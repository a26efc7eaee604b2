import { z } from 'zod';
import { LIMITS, USERNAME_PATTERN } from '../limits.js';
import { DecimalInt, IsoTime, PlainText, Text, Visible } from './common.js';

export const Username = Text({
  trim: true,
  min: LIMITS.usernameMin,
  max: LIMITS.usernameMax,
}).regex(USERNAME_PATTERN, 'may contain only letters, digits, "_", "." and "-"');

export const Email = Text({ trim: true, max: LIMITS.emailMax }).pipe(z.email());

/**
 * Passwords are counted in Unicode code points, not UTF-16 units. Any well-formed text goes,
 * control characters included: a password is only hashed, never shown or stored as text.
 */
export const Password = Text()
  .refine((s) => [...s].length >= LIMITS.passwordMin, {
    message: `must be at least ${LIMITS.passwordMin} characters`,
  })
  .refine((s) => [...s].length <= LIMITS.passwordMax, {
    message: `must be at most ${LIMITS.passwordMax} characters`,
  });

/** A name that renders as nothing would make its owner impossible to tell apart or mention. */
export const DisplayName = Visible(
  PlainText(Text({ trim: true, min: 1, max: LIMITS.displayNameMax })),
);

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
    bio: PlainText(Text({ max: LIMITS.bioMax })).optional(),
  })
  .meta({ id: 'UpdateProfileInput' });
export type UpdateProfileInput = z.infer<typeof UpdateProfileInput>;

export const ChangePasswordInput = z
  .strictObject({
    currentPassword: Text({ max: 1024 }),
    newPassword: Password,
  })
  .meta({ id: 'ChangePasswordInput' });
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;

export const SearchUsersQuery = z.object({
  query: PlainText(Text({ max: LIMITS.searchQueryMax }))
    .optional()
    .default(''),
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
