import type { Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import { sessionProblem } from './authenticate.js';
import { findSessionWithUser, revokeSessions } from './sessions.queries.js';

const expired = () =>
  new AppError('session_expired', 'Your session has expired; please sign in again');

/**
 * Trades a refresh token for a new access token and the next refresh token. Presenting a token
 * that was already rotated away revokes the whole session: someone else holds a copy.
 * Refreshing is not activity: an idle tab that keeps refreshing still times out.
 */
export async function refresh(
  deps: Deps,
  refreshToken: string,
): Promise<{
  accessToken: string;
  expiresAt: number;
  refreshToken: string;
  sessionExpiresAt: number;
}> {
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
  if (parsed.gen !== s.refresh_gen) return revokeForReuse(deps, s.user_id, s.id);

  const problem = sessionProblem(deps, s);
  if (problem) throw problem.code === 'account_disabled' ? expired() : problem;

  const next = parsed.gen + 1;
  const result = await deps.db
    .updateTable('sessions')
    .set({ refresh_gen: next })
    .where('id', '=', s.id)
    .where('refresh_gen', '=', parsed.gen)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  // Someone rotated this generation between our read and our write: that is reuse too.
  if (Number(result.numUpdatedRows) !== 1) return revokeForReuse(deps, s.user_id, s.id);

  const access = await deps.tokens.signAccess({ userId: s.user_id, sessionId: s.id });
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: deps.tokens.refreshToken(s.id, next, s.refresh_salt),
    sessionExpiresAt: s.expires_at,
  };
}

async function revokeForReuse(deps: Deps, userId: number, sessionId: number): Promise<never> {
  const ids = await revokeSessions(deps.db, userId, deps.now(), { only: [sessionId] });
  deps.events.publish({ type: 'sessions.revoked', userId, sessionIds: ids });
  deps.log.warn(
    { event: 'refresh_reuse', userId, sessionId },
    'refresh token reuse; session revoked',
  );
  throw new AppError(
    'session_expired',
    'This sign-in was ended because its refresh token was reused',
  );
}
