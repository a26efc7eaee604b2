import { z } from 'zod';
import { PasswordResetInfo } from './auth.js';

/**
 * Who may create an account: anyone (`open`), only someone holding an invite link
 * (`invite-only`), or nobody (`closed`). The first account of an empty server is always allowed.
 */
export const RegistrationMode = z
  .enum(['open', 'invite-only', 'closed'])
  .meta({ id: 'RegistrationMode' });
export type RegistrationMode = z.infer<typeof RegistrationMode>;

/**
 * What anyone, signed in or not, may learn about this server: what the sign-in and sign-up
 * pages need to show the right forms. Fields are only ever added.
 */
export const ServerInfo = z
  .object({
    /** How a new visitor can sign up now: `open` on a server without any account, whatever the setting. */
    registrationMode: RegistrationMode,
    /** How a forgotten password is reset: by an emailed link, or by the server's operator. */
    passwordReset: PasswordResetInfo,
  })
  .meta({ id: 'ServerInfo' });
export type ServerInfo = z.infer<typeof ServerInfo>;
