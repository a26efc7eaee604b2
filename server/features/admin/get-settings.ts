import type { ServerSettings } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { requireServerAdmin } from './admin.policy.js';
import { registrationMode } from './registration-mode.js';

/** The settings an admin changes in the console. */
export async function getSettings(deps: Deps, actor: Actor): Promise<ServerSettings> {
  requireServerAdmin(actor);
  return { registrationMode: await registrationMode(deps) };
}
