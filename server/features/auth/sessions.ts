import type { SessionInfo } from '../../../protocol/schemas/auth.js';
import type { Actor, Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { iso } from '../../lib/time.js';
import { listActiveSessions, revokeSessions } from './sessions.queries.js';

/** The caller's live sessions, most recently active first. */
export async function listSessions(deps: Deps, actor: Actor): Promise<SessionInfo[]> {
  const rows = await listActiveSessions(
    deps.db,
    actor.userId,
    deps.now(),
    deps.config.sessionIdleMs,
  );
  return rows.map((r) => ({
    id: r.id,
    current: r.id === actor.sessionId,
    createdAt: iso(r.created_at),
    lastActiveAt: iso(r.last_active_at),
    userAgent: r.user_agent,
    ip: r.ip,
  }));
}

/** Revokes one of the caller's own sessions; anyone else's is "not found", never "forbidden". */
export async function revokeSession(
  deps: Deps,
  actor: Actor,
  sessionId: number,
): Promise<Outcome<null>> {
  const ids = await revokeSessions(deps.db, actor.userId, deps.now(), { only: [sessionId] });
  if (ids.length === 0) throw notFound('No such session');
  return {
    data: null,
    events: [{ type: 'sessions.revoked', userId: actor.userId, sessionIds: ids }],
  };
}
