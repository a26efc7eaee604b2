import type { LoginInput } from '../../../protocol/schemas/auth.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError } from '../../errors.js';
import { toUser } from '../users/user.presenter.js';
import { findUserByLogin, updateUser } from '../users/users.queries.js';
import { startSession, type IssuedTokens } from './session-issue.js';

const accountKey = (login: string) => `login:acct:${login.toLowerCase()}`;
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

/** Throws `rate_limited` when the account or the address has failed too often lately. */
export async function assertLoginAllowed(
  deps: Deps,
  login: string,
  ip: string | null,
): Promise<void> {
  const { perAccount, perIp, windowSeconds } = deps.config.loginLimit;
  const windowMs = windowSeconds * 1000;
  const [acct, addr] = await Promise.all([
    deps.limiter.check(accountKey(login), perAccount, windowMs),
    deps.limiter.check(ipKey(ip), perIp, windowMs),
  ]);
  if (!acct.allowed || !addr.allowed)
    throw rateLimited(Math.max(acct.retryAfterMs, addr.retryAfterMs));
}

/** Counts one failed password check against the account and the address. */
export async function recordLoginFailure(
  deps: Deps,
  login: string,
  ip: string | null,
): Promise<void> {
  const { perAccount, perIp, windowSeconds } = deps.config.loginLimit;
  const windowMs = windowSeconds * 1000;
  await Promise.all([
    deps.limiter.hit(accountKey(login), perAccount, windowMs),
    deps.limiter.hit(ipKey(ip), perIp, windowMs),
  ]);
  deps.log.warn({ event: 'login_failed', login: login.slice(0, 64), ip }, 'failed sign-in');
}

/** Signs in by username or email. Unknown user and wrong password fail alike, in time too. */
export async function login(
  deps: Deps,
  input: LoginInput,
  meta: RequestMeta,
): Promise<{ user: User; tokens: IssuedTokens }> {
  await assertLoginAllowed(deps, input.login, meta.ip);
  const row = await findUserByLogin(deps.db, input.login);
  const ok = row
    ? await deps.passwords.verify(row.password_hash, input.password)
    : await deps.passwords.verifyDummy(input.password);
  if (!row || !ok) {
    await recordLoginFailure(deps, input.login, meta.ip);
    throw new AppError('invalid_credentials', 'Wrong username, email or password');
  }
  if (!row.is_active) throw new AppError('account_disabled', 'This account has been deactivated');
  await deps.limiter.reset(accountKey(input.login));

  if (deps.passwords.needsRehash(row.password_hash)) {
    await updateUser(deps.db, row.id, { password_hash: await deps.passwords.hash(input.password) });
  }
  const tokens = await startSession(deps, row.id, input.remember, meta);
  return { user: toUser(row, deps.presence), tokens };
}
