import type { Actor } from '../../context.js';
import { forbidden } from '../../errors.js';

/** Every action of the admin console: server admins only, everyone else is refused alike. */
export function requireServerAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw forbidden('Only a server admin can do that');
}
