import type { Actor, Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import {
  findSessionWithUser,
  findSessionsWithUsers,
  renewLiveSession,
  renewLiveSessionSqlite,
  touchSession,
  touchSessionSqlite,
} from './sessions.queries.js';
import { groupWrite } from '../../db/group-commit.js';

interface SessionState {
  revoked_at: number | null;
  last_active_at: number;
  expires_at: number;
  is_active: number;
}

/** Why a session can no longer be used, or null while it is alive. */
export function sessionProblem(deps: Deps, s: SessionState): AppError | null {
  const now = deps.now();
  if (
    s.revoked_at !== null ||
    s.expires_at <= now ||
    s.last_active_at + deps.config.sessionIdleMs <= now
  ) {
    return new AppError('session_expired', 'Your session has expired; please sign in again');
  }
  if (!s.is_active) return new AppError('account_disabled', 'This account has been deactivated');
  return null;
}

/** How stale `last_active_at` may get before activity writes it again (bounds writes per session). */
export function touchIntervalMs(deps: Deps): number {
  return Math.min(10_000, Math.floor(deps.config.sessionIdleMs / 20));
}

/** Of the given sessions, the ids that can no longer be used (for the periodic socket sweep). */
export async function deadSessions(
  deps: Deps,
  sessionIds: readonly number[],
): Promise<Set<number>> {
  const dead = new Set(sessionIds);
  for (let i = 0; i < sessionIds.length; i += 500) {
    const rows = await findSessionsWithUsers(deps.db, sessionIds.slice(i, i + 500));
    for (const s of rows) if (!sessionProblem(deps, s)) dead.delete(s.id);
  }
  return dead;
}

/** Checks an access token against its live session and counts the call as activity. */
export async function authenticate(deps: Deps, token: string): Promise<Actor> {
  const claims = await deps.tokens.verifyAccess(token);
  return checkSession(deps, claims.userId, claims.sessionId);
}

/**
 * Loads a session, rejects it when revoked, idle, past its cap or its user disabled, and
 * (unless `renew` is false) counts the call as activity.
 */
export async function checkSession(
  deps: Deps,
  userId: number,
  sessionId: number,
  renew = true,
): Promise<Actor> {
  const s = await findSessionWithUser(deps.db, sessionId);
  if (!s || s.user_id !== userId) {
    throw new AppError('session_expired', 'Your session has expired; please sign in again');
  }
  const problem = sessionProblem(deps, s);
  if (problem)
    throw problem.code === 'account_disabled'
      ? new AppError('session_expired', 'Your session has ended')
      : problem;
  const now = deps.now();
  if (renew && now - s.last_active_at >= touchIntervalMs(deps)) {
    await groupWrite(
      deps.commits,
      (sqlite) => touchSessionSqlite(sqlite, sessionId, now),
      () => touchSession(deps.db, sessionId, now),
    );
  }
  return { userId, sessionId, isAdmin: s.is_admin === 1 };
}

/**
 * Counts activity on a session checked before (a socket's, at its handshake) without loading it:
 * one conditional write renews it if it is still alive. False: it is over (revoked, idle, past
 * its cap, or its user disabled). On SQLite the write joins the group commit.
 */
export function renewSession(deps: Deps, sessionId: number): Promise<boolean> {
  const now = deps.now();
  const idle = deps.config.sessionIdleMs;
  return groupWrite(
    deps.commits,
    (sqlite) => renewLiveSessionSqlite(sqlite, deps.db, sessionId, now, idle),
    () => renewLiveSession(deps.db, sessionId, now, idle),
  );
}
