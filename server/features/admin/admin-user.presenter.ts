import type { AdminUser } from '../../../protocol/schemas/admin.js';
import type { PresenceView } from '../presence/presence-store.js';
import { toUser } from '../users/user.presenter.js';
import type { AdminUserRow } from './admin-users.queries.js';

/** A user as the admin console shows them: the full profile, status and live sessions. */
export function toAdminUser(row: AdminUserRow, presence: PresenceView): AdminUser {
  return {
    ...toUser(row, presence),
    isActive: row.is_active === 1,
    sessionCount: row.session_count,
  };
}
