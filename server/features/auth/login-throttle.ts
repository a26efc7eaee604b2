import type { Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import type { RateDecision } from '../../lib/rate-limiter.js';

/**
 * The limiter keys one password check counts under. Sign-in failures are limited per (login as
 * typed, address), per address, and per account over all addresses (PROTOCOL, amendments of
 * v1.1): someone guessing from one address uses up that address's budget, never the owner's
 * elsewhere, until the account's hourly ceiling.
 */
export interface PasswordAttempt {
  /** One login (or one account's password change) from one address; a success clears it. */
  pair: string;
  /**
   * The account's ceiling over every address. A success never clears it: that would hand
   * whoever is guessing a fresh budget each time the owner signs in.
   */
  account: string;
  /** Failures from the address whatever the login; null where the address is not limited. */
  address: string | null;
  /** What the failure log names. */
  login: string;
  ip: string | null;
}

const addressOf = (ip: string | null) => ip ?? 'unknown';

/**
 * A sign-in's keys. The pair key is the login as typed, so failures on an account's username
 * never make its email answer otherwise than an unknown email would (below the account's
 * ceiling). A login naming no account has an account-level count of its own, so it reaches
 * that ceiling exactly like a real one.
 */
export function signInAttempt(
  login: string,
  accountId: number | null,
  ip: string | null,
): PasswordAttempt {
  const typed = login.toLowerCase();
  return {
    pair: `login:pair:${addressOf(ip)}|${typed}`,
    account: accountId === null ? `login:name:${typed}` : `login:acct:${accountId}`,
    address: `login:ip:${addressOf(ip)}`,
    login,
    ip,
  };
}

/**
 * A password change's keys: checking the current password is a guess at it too, so it shares
 * the account's ceiling with sign-in and has its own per-address count.
 */
export function passwordChangeAttempt(
  userId: number,
  username: string,
  ip: string | null,
): PasswordAttempt {
  return {
    pair: `login:change:${addressOf(ip)}|${userId}`,
    account: `login:acct:${userId}`,
    address: null,
    login: username,
    ip,
  };
}

function refusal(decisions: readonly RateDecision[]): AppError | null {
  const refused = decisions.filter((d) => !d.allowed);
  if (refused.length === 0) return null;
  // The longest wait, so a client that honours Retry-After is not refused again at once.
  const waitMs = Math.max(...refused.map((d) => d.retryAfterMs));
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AppError(
    'rate_limited',
    'Too many failed sign-in attempts; try again later',
    { retryAfterSeconds: seconds },
    seconds,
  );
}

/**
 * Lets one password check go ahead, or throws `rate_limited`. The pair and the account are
 * counted before the (slow) check, so parallel guesses cannot all slip past their limits: at
 * most the limit reach the check; a right password gives its count back. The address counts
 * failures only, after the check: an office behind one address signs in many times a day, and
 * its successes must not use up its budget.
 */
export async function beginPasswordAttempt(deps: Deps, a: PasswordAttempt): Promise<void> {
  const l = deps.config.loginLimit;
  const windowMs = l.windowSeconds * 1000;
  const accountWindowMs = l.accountWindowSeconds * 1000;
  // Look first: an attempt refused by one limit must not spend what is left of the others.
  const looked = await Promise.all([
    deps.limiter.check(a.pair, l.perLogin, windowMs),
    deps.limiter.check(a.account, l.perAccount, accountWindowMs),
    ...(a.address ? [deps.limiter.check(a.address, l.perIp, windowMs)] : []),
  ]);
  const early = refusal(looked);
  if (early) throw early;
  const counted = await Promise.all([
    deps.limiter.hit(a.pair, l.perLogin, windowMs),
    deps.limiter.hit(a.account, l.perAccount, accountWindowMs),
  ]);
  const late = refusal(counted);
  if (late) throw late;
}

/** Counts a wrong password against the address (the rest was counted up front) and logs it. */
export async function passwordAttemptFailed(deps: Deps, a: PasswordAttempt): Promise<void> {
  if (a.address) {
    const l = deps.config.loginLimit;
    await deps.limiter.hit(a.address, l.perIp, l.windowSeconds * 1000);
  }
  deps.log.warn({ event: 'login_failed', login: a.login.slice(0, 64), ip: a.ip }, 'failed sign-in');
}

/**
 * After a right password: that login's failures from that address are forgiven, and the
 * attempt leaves the account's count (its failures stay: the ceiling is never reset).
 */
export async function passwordAttemptSucceeded(deps: Deps, a: PasswordAttempt): Promise<void> {
  const l = deps.config.loginLimit;
  await Promise.all([
    deps.limiter.reset(a.pair),
    deps.limiter.refund(a.account, l.perAccount, l.accountWindowSeconds * 1000),
  ]);
}
