import type { Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import { sessionProblem } from './authenticate.js';
import { findSessionWithUser, revokeSessions, rotateRefresh } from './sessions.queries.js';

/**
 * How long after a rotation the generation it replaced still answers. Two tabs that refresh at
 * once both hold the same token; the slower one must not end the session the faster renewed.
 */
export const REFRESH_GRACE_MS = 10_000;

type SessionWithUser = NonNullable<Awaited<ReturnType<typeof findSessionWithUser>>>;

/** What a refresh hands back: a new access token and the refresh token to keep. */
export interface Refreshed {
  accessToken: string;
  expiresAt: number;
  refreshToken: string;
  sessionExpiresAt: number;
}

const expired = () =>
  new AppError('session_expired', 'Your session has expired; please sign in again');

/**
 * Trades a refresh token for a new access token and the next refresh token. The generation just
 * rotated away, within REFRESH_GRACE_MS, gets the current one again; any older token revokes the
 * whole session, because someone else holds a copy.
 * Refreshing is not activity: an idle tab that keeps refreshing still times out.
 */
export async function refresh(deps: Deps, refreshToken: string): Promise<Refreshed> {
  const parsed = deps.tokens.parseRefresh(refreshToken);
  if (!parsed) throw new AppError('unauthorized', 'A valid refresh token is required');
  const s = await findSessionWithUser(deps.db, parsed.sessionId);
  if (
    !s ||
    !deps.tokens.refreshMacValid(parsed.sessionId, parsed.gen, s.refresh_salt, parsed.mac)
  ) {
    throw new AppError('unauthorized', 'A valid refresh token is required');
  }
  if (s.revoked_at !== null) throw expired();
  if (parsed.gen !== s.refresh_gen) return answerSuperseded(deps, s, parsed.gen);

  requireLive(deps, s);
  if (await rotateRefresh(deps.db, s.id, parsed.gen, deps.now())) {
    return issue(deps, s, parsed.gen + 1);
  }
  // Another request rotated this generation between our read and our write, most likely a
  // second tab: judge this one by what that rotation left.
  const after = await findSessionWithUser(deps.db, s.id);
  if (!after) throw expired();
  return answerSuperseded(deps, after, parsed.gen);
}

/** A token that is no longer the current generation: the grace, or reuse. */
async function answerSuperseded(deps: Deps, s: SessionWithUser, gen: number): Promise<Refreshed> {
  if (s.revoked_at !== null) throw expired();
  const rotatedAt = s.refresh_rotated_at;
  if (
    gen === s.refresh_gen - 1 &&
    rotatedAt !== null &&
    deps.now() - rotatedAt <= REFRESH_GRACE_MS
  ) {
    requireLive(deps, s);
    // The current generation again, not a new one: the tab that rotated keeps a valid token.
    return issue(deps, s, s.refresh_gen);
  }
  return revokeForReuse(deps, s.user_id, s.id);
}

function requireLive(deps: Deps, s: SessionWithUser): void {
  const problem = sessionProblem(deps, s);
  if (problem) throw problem.code === 'account_disabled' ? expired() : problem;
}

async function issue(deps: Deps, s: SessionWithUser, gen: number): Promise<Refreshed> {
  const access = await deps.tokens.signAccess({ userId: s.user_id, sessionId: s.id });
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: deps.tokens.refreshToken(s.id, gen, s.refresh_salt),
    sessionExpiresAt: s.expires_at,
  };
}

async function revokeForReuse(deps: Deps, userId: number, sessionId: number): Promise<never> {
  const ids = await revokeSessions(deps.db, userId, deps.now(), { only: [sessionId] });
  deps.log.warn(
    { event: 'refresh_reuse', userId, sessionId },
    'refresh token reuse; session revoked',
  );
  throw new AppError(
    'session_expired',
    'This sign-in was ended because its refresh token was reused',
  ).after([{ type: 'sessions.revoked', userId, sessionIds: ids }]);
}
