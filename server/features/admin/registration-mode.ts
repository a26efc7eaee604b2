import type { RegistrationMode } from '../../../protocol/schemas/server-info.js';
import type { Deps } from '../../context.js';
import { getSetting, hasAnyUser } from './settings.queries.js';

export const REGISTRATION_MODE_SETTING = 'registration_mode';

const MODES: readonly string[] = ['open', 'invite-only', 'closed'];

/** The registration mode an admin chose, else REGISTRATION_MODE's (open by default). */
export async function registrationMode(deps: Deps): Promise<RegistrationMode> {
  const stored = await getSetting(deps.db, REGISTRATION_MODE_SETTING);
  return stored !== undefined && MODES.includes(stored)
    ? (stored as RegistrationMode)
    : deps.config.registrationMode;
}

/** How a visitor can sign up right now: the first account of an empty server always can. */
export async function effectiveRegistrationMode(deps: Deps): Promise<RegistrationMode> {
  const mode = await registrationMode(deps);
  if (mode === 'open') return mode;
  return (await hasAnyUser(deps.db)) ? mode : 'open';
}
