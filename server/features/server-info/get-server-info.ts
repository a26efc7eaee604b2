import type { ServerInfo } from '../../../protocol/schemas/server-info.js';
import type { Deps } from '../../context.js';
import { effectiveRegistrationMode } from '../admin/registration-mode.js';
import { passwordResetInfo } from '../auth/password-reset-info.js';

/** What the public pages need to know about this server; no sign-in needed. */
export async function getServerInfo(deps: Deps): Promise<ServerInfo> {
  return {
    registrationMode: await effectiveRegistrationMode(deps),
    passwordReset: passwordResetInfo(deps),
  };
}
