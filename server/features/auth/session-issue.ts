import { LIMITS } from '../../../protocol/limits.js';
import type { Deps, RequestMeta } from '../../context.js';
import { insertSession } from './sessions.queries.js';

/** A freshly issued pair of tokens for a session. */
export interface IssuedTokens {
  sessionId: number;
  accessToken: string;
  /** Access token expiry, ms. */
  expiresAt: number;
  refreshToken: string;
  /** Absolute end of the session, ms (the refresh cookie's lifetime). */
  sessionExpiresAt: number;
}

/** Starts a new server-side session for a user and issues its first tokens. */
export async function startSession(
  deps: Deps,
  userId: number,
  remember: boolean,
  meta: RequestMeta,
): Promise<IssuedTokens> {
  const now = deps.now();
  const sessionExpiresAt =
    now + (remember ? LIMITS.sessionRememberDays * 86_400_000 : LIMITS.sessionMaxHours * 3_600_000);
  const salt = deps.tokens.newRefreshSalt();
  const sessionId = await insertSession(deps.db, {
    userId,
    refreshSalt: salt,
    remember,
    now,
    expiresAt: sessionExpiresAt,
    userAgent: meta.userAgent,
    ip: meta.ip,
  });
  const access = await deps.tokens.signAccess({ userId, sessionId });
  return {
    sessionId,
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: deps.tokens.refreshToken(sessionId, 0, salt),
    sessionExpiresAt,
  };
}
