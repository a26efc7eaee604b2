import type { Deps } from '../../context.js';
import type { Outcome } from '../../events.js';
import { findSessionWithUser, revokeSessions } from './sessions.queries.js';

/**
 * Ends the session named by an access token or a refresh token; false when neither names one.
 * Only the signature is checked: signing out of an already expired session still succeeds.
 */
export async function logout(
  deps: Deps,
  creds: { accessToken?: string; refreshToken?: string },
): Promise<Outcome<boolean>> {
  let target: { userId: number; sessionId: number } | null = null;
  if (creds.accessToken) {
    try {
      target = await deps.tokens.verifyAccess(creds.accessToken);
    } catch {
      target = null;
    }
  }
  if (!target && creds.refreshToken) {
    const parsed = deps.tokens.parseRefresh(creds.refreshToken);
    const s = parsed ? await findSessionWithUser(deps.db, parsed.sessionId) : undefined;
    if (
      parsed &&
      s &&
      deps.tokens.refreshMacValid(parsed.sessionId, parsed.gen, s.refresh_salt, parsed.mac)
    ) {
      target = { userId: s.user_id, sessionId: s.id };
    }
  }
  if (!target) return { data: false, events: [] };
  const ids = await revokeSessions(deps.db, target.userId, deps.now(), {
    only: [target.sessionId],
  });
  return {
    data: true,
    events: ids.length
      ? [{ type: 'sessions.revoked', userId: target.userId, sessionIds: ids }]
      : [],
  };
}
