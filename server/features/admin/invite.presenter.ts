import type { Invite, InviteStatus } from '../../../protocol/schemas/admin.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { InviteRow } from './invites.queries.js';

/** Why an invite can no longer be used, or 'active'. Revoked wins, then used up, then expired. */
export function inviteStatus(row: InviteRow, now: number): InviteStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.uses >= row.max_uses) return 'used_up';
  if (row.expires_at <= now) return 'expired';
  return 'active';
}

/** The sign-up page with the invite filled in. */
export function inviteUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/signup?invite=${encodeURIComponent(token)}`;
}

export function toInvite(row: InviteRow, publicUrl: string, now: number): Invite {
  return {
    id: row.id,
    token: row.token,
    url: inviteUrl(publicUrl, row.token),
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    expiresAt: iso(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: isoOrNull(row.revoked_at),
    status: inviteStatus(row, now),
  };
}
