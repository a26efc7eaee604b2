import type { InviteStatus } from '../../../protocol/schemas/admin.js';
import type { RegistrationMode } from '../../../protocol/schemas/server-info.js';
import type { Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import { inviteStatus } from './invite.presenter.js';
import {
  claimInviteUse,
  findInviteById,
  findInviteByToken,
  releaseInviteUse,
} from './invites.queries.js';
import { registrationMode } from './registration-mode.js';
import { deleteSetting, hasAnyUser, insertSettingOnce } from './settings.queries.js';

/** How a sign-up was let in: registration is open, it is the server's first account, or an invite. */
export type Admission =
  | { kind: 'open' }
  | { kind: 'first'; mode: RegistrationMode }
  | { kind: 'invite'; inviteId: number };

/** Set once, by the first account created while registration was not open. */
const FIRST_ACCOUNT_SETTING = 'first_account';

const closed = () =>
  new AppError(
    'forbidden',
    'Registration is closed on this server. Ask an admin of this server for an account.',
    { reason: 'registration_closed' },
  );

/** A refused invite: `details.fields.inviteToken` says why, so a form shows it by the field. */
function inviteRefused(reason: string, message: string): AppError {
  return new AppError('forbidden', message, {
    reason,
    field: 'inviteToken',
    fields: { inviteToken: message },
  });
}

const inviteRequired = () =>
  inviteRefused(
    'invite_required',
    'This server is invite-only: sign up with the invite link you were sent.',
  );

/** The refusal for an invite that can no longer be used, or that does not exist. */
function unusable(status: InviteStatus | undefined): AppError {
  if (status === 'revoked') return inviteRefused('invite_revoked', 'This invite link was revoked.');
  if (status === 'used_up') {
    return inviteRefused('invite_used_up', 'This invite link has been used up.');
  }
  if (status === 'expired') return inviteRefused('invite_expired', 'This invite link has expired.');
  return inviteRefused('invite_invalid', 'This invite link is not valid.');
}

/**
 * Decides, before any work, whether a sign-up may go ahead under the registration mode (and
 * finds its invite), with a clear refusal otherwise; `admitted` then makes it binding.
 */
export async function admitSignup(deps: Deps, inviteToken: string | undefined): Promise<Admission> {
  const mode = await registrationMode(deps);
  if (mode === 'open') return { kind: 'open' };
  if (!(await hasAnyUser(deps.db))) return { kind: 'first', mode };
  if (mode === 'closed') throw closed();
  if (inviteToken === undefined) throw inviteRequired();
  const invite = await findInviteByToken(deps.db, inviteToken);
  if (!invite) throw unusable(undefined);
  // Whether it is still good is decided by counting its use (in `admitted`), nowhere else.
  return { kind: 'invite', inviteId: invite.id };
}

/**
 * Creates the account (`create`) under its admission. The use of an invite is counted first, in
 * one conditional UPDATE (of sign-ups racing for the last use exactly one gets it), and given
 * back if the account then cannot be created (a taken name, say); the first account of an empty
 * server writes a marker only one sign-up can write. Nothing is held while the password is hashed.
 */
export async function admitted(
  deps: Deps,
  admission: Admission,
  create: () => Promise<number>,
): Promise<number> {
  if (admission.kind === 'open') return create();
  const now = deps.now();
  let release: () => Promise<unknown>;
  if (admission.kind === 'first') {
    if (!(await insertSettingOnce(deps.db, FIRST_ACCOUNT_SETTING, String(now), now))) {
      throw admission.mode === 'closed' ? closed() : inviteRequired();
    }
    release = () => deleteSetting(deps.db, FIRST_ACCOUNT_SETTING);
  } else {
    if (!(await claimInviteUse(deps.db, admission.inviteId, now))) {
      const invite = await findInviteById(deps.db, admission.inviteId);
      throw unusable(invite ? inviteStatus(invite, now) : undefined);
    }
    release = () => releaseInviteUse(deps.db, admission.inviteId);
  }
  try {
    return await create();
  } catch (err) {
    await release().catch((e: unknown) =>
      deps.log.warn({ err: { message: (e as Error).message } }, 'could not give back an admission'),
    );
    throw err;
  }
}
