import type { ServerSettings, UpdateServerSettingsInput } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { requireServerAdmin } from './admin.policy.js';
import { REGISTRATION_MODE_SETTING } from './registration-mode.js';
import { putSetting } from './settings.queries.js';

/** Changes the registration mode; kept in the database, so every node follows at once. */
export async function updateSettings(
  deps: Deps,
  actor: Actor,
  input: UpdateServerSettingsInput,
): Promise<ServerSettings> {
  requireServerAdmin(actor);
  await putSetting(deps.db, REGISTRATION_MODE_SETTING, input.registrationMode, deps.now());
  deps.log.info(
    { event: 'registration_mode_changed', mode: input.registrationMode, by: actor.userId },
    'registration mode changed',
  );
  return { registrationMode: input.registrationMode };
}
