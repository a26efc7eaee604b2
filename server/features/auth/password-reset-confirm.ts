import type { PasswordResetConfirmInput } from '../../../protocol/schemas/auth.js';
import type { Deps } from '../../context.js';
import { AppError, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { updateUser } from '../users/users.queries.js';
import { signInAttempt } from './login-throttle.js';
import { isCommonPassword } from './passwords.js';
import { hashResetToken } from './password-reset-request.js';
import { findPasswordReset, usePasswordReset } from './password-reset.queries.js';
import { revokeSessions } from './sessions.queries.js';

/** One answer for a link that is unknown, used, expired or sent to an address no longer the account's. */
export const invalidResetLink = () =>
  validationFailed(
    { token: 'is invalid, already used or expired; ask for a new link' },
    'This password reset link is invalid, already used or expired. Ask for a new one.',
  );

/**
 * Sets a new password with an emailed link. The link works once: using it, changing the
 * password and signing out every session of the account commit together, and the account's
 * sign-in ceiling is lifted. It does not sign in: the user signs in with the new password, as
 * after any password change elsewhere.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: PasswordResetConfirmInput,
): Promise<Outcome<null>> {
  const reset = await findPasswordReset(deps.db, hashResetToken(input.token));
  if (
    !reset ||
    reset.used_at !== null ||
    reset.expires_at <= deps.now() ||
    reset.sent_to !== reset.email_key
  ) {
    throw invalidResetLink();
  }
  if (!reset.is_active) throw new AppError('account_disabled', 'This account has been deactivated');
  if (isCommonPassword(input.password)) {
    throw validationFailed({ password: 'is too common; choose a less guessable password' });
  }
  const passwordHash = await deps.passwords.hash(input.password);
  const revoked = await deps.db.transaction().execute(async (trx) => {
    const now = deps.now();
    // Checked again under the write: another confirmation may have used the link meanwhile.
    if (!(await usePasswordReset(trx, reset.id, now))) return null;
    await updateUser(trx, reset.user_id, { password_hash: passwordHash });
    return revokeSessions(trx, reset.user_id, now);
  });
  if (revoked === null) throw invalidResetLink();
  // The owner proved they hold the mailbox: failed guesses at the old password no longer keep
  // the account's sign-in ceiling closed (an attacker cannot trigger this without the mail).
  await deps.limiter.reset(signInAttempt('', reset.user_id, null).account);
  deps.log.info(
    { event: 'password_reset', userId: reset.user_id, sessions: revoked.length },
    'password reset by emailed link',
  );
  return {
    data: null,
    events: [{ type: 'sessions.revoked', userId: reset.user_id, sessionIds: 'all' }],
  };
}
