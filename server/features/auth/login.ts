import type { LoginInput } from '../../../protocol/schemas/auth.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError } from '../../errors.js';
import { toUser } from '../users/user.presenter.js';
import { findUserByLogin, updateUser } from '../users/users.queries.js';
import {
  beginPasswordAttempt,
  passwordAttemptFailed,
  passwordAttemptSucceeded,
  signInAttempt,
} from './login-throttle.js';
import { startSession, type IssuedTokens } from './session-issue.js';

/** Signs in by username or email. Unknown user and wrong password fail alike, in time too. */
export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<{ user: User; tokens: IssuedTokens }> {
  const row = await findUserByLogin(deps.db, input.login);
  const attempt = signInAttempt(input.login, row ? row.id : null, meta.ip);
  await beginPasswordAttempt(deps, attempt);
  const ok = row
    ? await deps.passwords.verify(row.password_hash, input.password)
    : await deps.passwords.verifyDummy(input.password);
  if (!row || !ok) {
    await passwordAttemptFailed(deps, attempt);
    throw new AppError('invalid_credentials', 'Wrong username, email or password');
  }
  await passwordAttemptSucceeded(deps, attempt);
  if (!row.is_active) throw new AppError('account_disabled', 'This account has been deactivated');

  if (deps.passwords.needsRehash(row.password_hash)) {
    await updateUser(deps.db, row.id, { password_hash: await deps.passwords.hash(input.password) });
  }
  const tokens = await startSession(deps, row.id, input.remember, meta);
  return { user: toUser(row, deps.presence), tokens };
}
