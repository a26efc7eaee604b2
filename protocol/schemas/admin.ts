import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { DecimalInt, IsoTime, PlainText, Text } from './common.js';
import { RegistrationMode } from './server-info.js';
import { User } from './users.js';

/** Limits of the server admin's console. */
export const ADMIN_LIMITS = {
  usersPageDefault: 50,
  usersPageMax: 100,
  /** An invite lives at most a year. */
  inviteHoursMax: 24 * 365,
  inviteUsesMax: 1000,
  /** The invites listed: the most recent ones. */
  invitesListed: 200,
} as const;

/** A user as a server admin sees them in the console. */
export const AdminUser = User.extend({
  isActive: z.boolean(),
  /** Sessions that are live now (not revoked, not idle, not past their cap). */
  sessionCount: z.number().int(),
}).meta({ id: 'AdminUser' });
export type AdminUser = z.infer<typeof AdminUser>;

export const AdminUsersQuery = z.object({
  query: PlainText(Text({ max: LIMITS.searchQueryMax }))
    .optional()
    .default('')
    .describe('part of a username, display name or email, any case; empty lists everyone'),
  cursor: PlainText(Text({ max: LIMITS.usernameMax }))
    .optional()
    .describe('`nextCursor` of the previous page'),
  limit: DecimalInt(1, ADMIN_LIMITS.usersPageMax).optional().default(ADMIN_LIMITS.usersPageDefault),
});
export type AdminUsersQuery = z.infer<typeof AdminUsersQuery>;

export const AdminUserPage = z
  .object({
    users: z.array(AdminUser),
    /** Pass as `cursor` for the next page; null on the last one. */
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'AdminUserPage' });
export type AdminUserPage = z.infer<typeof AdminUserPage>;

export const RevokedSessions = z
  .object({ revoked: z.number().int() })
  .meta({ id: 'RevokedSessions' });
export type RevokedSessions = z.infer<typeof RevokedSessions>;

export const ServerStats = z
  .object({
    users: z.object({
      total: z.number().int(),
      active: z.number().int(),
      inactive: z.number().int(),
      admins: z.number().int(),
    }),
    conversations: z.object({
      total: z.number().int(),
      direct: z.number().int(),
      groups: z.number().int(),
    }),
    /** Every stored message: system lines and deleted ones (tombstones) included. */
    messages: z.number().int(),
    online: z.object({
      /** Users with at least one socket connected, on any node. */
      users: z.number().int(),
      /** Connected sockets, on every node. */
      sockets: z.number().int(),
    }),
    database: z.object({
      kind: z.enum(['sqlite', 'postgres', 'mysql']),
      /** Bytes on disk as the database reports them (SQLite: the file plus its WAL). */
      sizeBytes: z.number().int(),
    }),
    files: z.object({
      /** Stored files: message attachments (attached or not yet) and profile photos. */
      count: z.number().int(),
      /** Their recorded sizes added up (thumbnails and extra photo sizes not counted). */
      sizeBytes: z.number().int(),
    }),
  })
  .meta({ id: 'ServerStats' });
export type ServerStats = z.infer<typeof ServerStats>;

export const ServerSettings = z
  .object({ registrationMode: RegistrationMode })
  .meta({ id: 'ServerSettings' });
export type ServerSettings = z.infer<typeof ServerSettings>;

export const UpdateServerSettingsInput = z
  .strictObject({ registrationMode: RegistrationMode })
  .meta({ id: 'UpdateServerSettingsInput' });
export type UpdateServerSettingsInput = z.infer<typeof UpdateServerSettingsInput>;

export const CreateInviteInput = z
  .strictObject({
    expiresInHours: z.number().int().min(1).max(ADMIN_LIMITS.inviteHoursMax),
    maxUses: z.number().int().min(1).max(ADMIN_LIMITS.inviteUsesMax),
  })
  .meta({ id: 'CreateInviteInput' });
export type CreateInviteInput = z.infer<typeof CreateInviteInput>;

export const InviteStatus = z.enum(['active', 'expired', 'used_up', 'revoked']);
export type InviteStatus = z.infer<typeof InviteStatus>;

export const Invite = z
  .object({
    id: z.number().int(),
    /** Goes in `inviteToken` of POST /api/auth/register. */
    token: z.string(),
    /** The sign-up page with the invite filled in. */
    url: z.string(),
    createdAt: IsoTime,
    createdBy: z.number().int().nullable(),
    expiresAt: IsoTime,
    maxUses: z.number().int(),
    uses: z.number().int(),
    revokedAt: IsoTime.nullable(),
    status: InviteStatus,
  })
  .meta({ id: 'Invite' });
export type Invite = z.infer<typeof Invite>;
