import type { AdminUserPage, AdminUsersQuery } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { requireServerAdmin } from './admin.policy.js';
import { toAdminUser } from './admin-user.presenter.js';
import { listAdminUsers } from './admin-users.queries.js';

/** A page of users matching a search (username, display name or email), by username. */
export async function listUsers(
  deps: Deps,
  actor: Actor,
  input: AdminUsersQuery,
): Promise<AdminUserPage> {
  requireServerAdmin(actor);
  const rows = await listAdminUsers(deps.db, {
    needle: input.query.trim().toLowerCase(),
    after: input.cursor?.toLowerCase(),
    limit: input.limit + 1,
    now: deps.now(),
    idleMs: deps.config.sessionIdleMs,
  });
  const more = rows.length > input.limit;
  const page = more ? rows.slice(0, input.limit) : rows;
  return {
    users: page.map((r) => toAdminUser(r, deps.presence)),
    nextCursor: more ? page[page.length - 1]!.username_key : null,
  };
}
