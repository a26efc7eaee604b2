import { randomBytes } from 'node:crypto';
import type { CreateInviteInput, Invite } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import { requireServerAdmin } from './admin.policy.js';
import { toInvite } from './invite.presenter.js';
import { findInviteById, insertInvite } from './invites.queries.js';

/** Creates an invite link: good for `maxUses` sign-ups within `expiresInHours`. */
export async function createInvite(
  deps: Deps,
  actor: Actor,
  input: CreateInviteInput,
): Promise<Invite> {
  requireServerAdmin(actor);
  const now = deps.now();
  // 192 random bits: unguessable, and short enough to paste.
  const token = randomBytes(24).toString('base64url');
  const id = await insertInvite(deps.db, {
    token,
    created_by: actor.userId,
    created_at: now,
    expires_at: now + input.expiresInHours * 3_600_000,
    max_uses: input.maxUses,
    uses: 0,
    revoked_at: null,
  });
  const row = await findInviteById(deps.db, id);
  if (!row) throw new AppError('internal', 'The new invite could not be read back');
  deps.log.info(
    { event: 'invite_created', inviteId: id, by: actor.userId, maxUses: input.maxUses },
    'invite created',
  );
  return toInvite(row, deps.config.publicUrl, now);
}
