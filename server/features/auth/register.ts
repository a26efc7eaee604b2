import type { RegisterInput } from '../../../protocol/schemas/auth.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError } from '../../errors.js';
import { toUser } from '../users/user.presenter.js';
import { findUserById, lowestUserId, updateUser } from '../users/users.queries.js';
import { throttle } from '../../lib/throttle.js';
import { createAccount } from './create-account.js';
import { admitSignup, admitted } from '../admin/registration-gate.js';
import { startSession, type IssuedTokens } from './session-issue.js';

/** Creates an account and signs it in. The first account becomes a server admin. */
export async function register(
  deps: Deps,
  input: RegisterInput,
  meta: RequestMeta,
): Promise<{ user: User; tokens: IssuedTokens }> {
  await throttle(
    deps,
    `signup:${meta.ip ?? 'unknown'}`,
    deps.config.rateLimits.signupsPerHour,
    3_600_000,
    'sign-ups from this address',
  );
  // The registration mode first: a refused sign-up learns nothing about names taken.
  const admission = await admitSignup(deps, input.inviteToken);
  const id = await admitted(deps, admission, () => createAccount(deps, input));
  // The lowest id is the first account: race-free even when two people sign up at once.
  if ((await lowestUserId(deps.db)) === id) await updateUser(deps.db, id, { is_admin: 1 });

  const tokens = await startSession(deps, id, false, meta);
  const row = await findUserById(deps.db, id);
  if (!row) throw new AppError('internal', 'The new account could not be read back');
  return { user: toUser(row, deps.presence), tokens };
}
