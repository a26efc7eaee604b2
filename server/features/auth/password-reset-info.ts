import type { PasswordResetInfo } from '../../../protocol/schemas/auth.js';
import type { Deps } from '../../context.js';
import { RESET_LINK_MINUTES } from './password-reset-request.js';

/** Whether this server mails reset links (SMTP_URL set) or its operator resets passwords. */
export function passwordResetInfo(deps: Deps): PasswordResetInfo {
  return { byEmail: deps.mailer !== null, linkMinutes: RESET_LINK_MINUTES };
}
