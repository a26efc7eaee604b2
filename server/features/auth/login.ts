import type { LoginInput } from '../../../protocol/schemas/auth.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError } from '../../errors.js';
import { toUser } from '../users/user.presenter.js';
import { findUserByLogin, updateUser } from '../users/users.queries.js';
import { startSession, type IssuedTokens } from './session-issue.js';

/**
 * Whose password is being tried: a user id, or the login as typed when no account matches.
 * Keying an existing account by id makes its username and its email share one budget.
 */
export type LoginTarget = number | string;

const accountKey = (target: LoginTarget) =>
  typeof target === 'number' ? `login:acct:${target}` : `login:name:${target.toLowerCase()}`;
const ipKey = (ip: string | null) => `login:ip:${ip ?? 'unknown'}`;

function rateLimited(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    'rate_limited',
    'Too many failed sign-in attempts; try again later',
    { retryAfterSeconds: seconds },
    seconds,
  );
}

/**
 * Takes one password attempt from the account's budget, or throws `rate_limited` when the
 * account or the address is over its limit. The attempt is counted before the (slow) password
 * check, so parallel guesses cannot all slip past the limit; a success gives it back.
 */
export async function beginPasswordAttempt(
  deps: Deps,
  target: LoginTarget,
  ip: string | null,
): Promise<void> {
  const { perAccount, perIp, windowSeconds } = deps.config.loginLimit;
  const windowMs = windowSeconds * 1000;
  const addr = await deps.limiter.check(ipKey(ip), perIp, windowMs);
  if (!addr.allowed) throw rateLimited(addr.retryAfterMs);
  const acct = await deps.limiter.hit(accountKey(target), perAccount, windowMs);
  if (!acct.allowed) throw rateLimited(acct.retryAfterMs);
}

/** Counts one failed password check against the address (the account's was counted up front). */
export async function recordLoginFailure(
  deps: Deps,
  login: string,
  ip: string | null,
): Promise<void> {
  const { perIp, windowSeconds } = deps.config.loginLimit;
  await deps.limiter.hit(ipKey(ip), perIp, windowSeconds * 1000);
  deps.log.warn({ event: 'login_failed', login: login.slice(0, 64), ip }, 'failed sign-in');
}

/** Forgets an account's failed attempts after a correct password. */
export async function clearLoginFailures(deps: Deps, target: LoginTarget): Promise<void> {
  await deps.limiter.reset(accountKey(target));
}

/** Signs in by username or email. Unknown user and wrong password fail alike, in time too. */
export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<{ user: User; tokens: IssuedTokens }> {
  const row = await findUserByLogin(deps.db, input.login);
  const target = row ? row.id : input.login;
  await beginPasswordAttempt(deps, target, meta.ip);
  const ok = row
    ? await deps.passwords.verify(row.password_hash, input.password)
    : await deps.passwords.verifyDummy(input.password);
  if (!row || !ok) {
    await recordLoginFailure(deps, input.login, meta.ip);
    throw new AppError('invalid_credentials', 'Wrong username, email or password');
  }
  await clearLoginFailures(deps, target);
  if (!row.is_active) throw new AppError('account_disabled', 'This account has been deactivated');

  if (deps.passwords.needsRehash(row.password_hash)) {
    await updateUser(deps.db, row.id, { password_hash: await deps.passwords.hash(input.password) });
  }
  const tokens = await startSession(deps, row.id, input.remember, meta);
  return { user: toUser(row, deps.presence), tokens };
}
