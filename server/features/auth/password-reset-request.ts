import { createHash, randomBytes } from 'node:crypto';
import type {
  PasswordResetAccepted,
  PasswordResetRequestInput,
} from '../../../protocol/schemas/auth.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { throttle } from '../../lib/throttle.js';
import { deliverLater, type Mailer } from '../../mail/mailer.js';
import { emailKey, findUserByLogin, type UserRow } from '../users/users.queries.js';
import { passwordResetMail } from './password-reset.mail.js';
import { replacePasswordReset } from './password-reset.queries.js';

/** How long an emailed link works. */
export const RESET_LINK_MINUTES = 30;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The stored form of a link's token: its SHA-256, so a copy of the database opens nothing. */
export const hashResetToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The refusal of a server that cannot send mail, saying who can reset a password instead. */
export function resetByEmailUnavailable(): AppError {
  return new AppError(
    'unavailable',
    'This server cannot send email, so passwords cannot be reset by email. Ask its operator to run `parley user reset-password <username|email>`.',
    { passwordResetByEmail: false },
  );
}

/**
 * Asks for a reset link by email. The answer is the same whether an account uses the address
 * or not, deactivated or not: the lookup is one indexed read either way, the limits count the
 * address and its account alike (an address no account uses has an account count of its own),
 * and the link is made, stored and mailed after the answer has gone out.
 */
export async function requestPasswordReset(
  deps: Deps,
  input: PasswordResetRequestInput,
  meta: RequestMeta,
): Promise<Outcome<PasswordResetAccepted>> {
  const mailer = deps.mailer;
  if (!mailer) throw resetByEmailUnavailable();
  const limits = deps.config.passwordResetLimits;
  await throttle(
    deps,
    `pwreset:ip:${meta.ip ?? 'unknown'}`,
    limits.perIp,
    HOUR,
    'password reset requests from this address',
  );
  const address = emailKey(input.email);
  const row = await findUserByLogin(deps.db, address);
  const what = 'password reset requests for this email address';
  await throttle(deps, `pwreset:addr:${address}`, limits.perAddress, HOUR, what);
  await throttle(
    deps,
    row ? `pwreset:acct:${row.id}` : `pwreset:name:${address}`,
    limits.perAccount,
    DAY,
    what,
  );
  if (row?.is_active) {
    const user = row;
    deliverLater(deps.log, 'password_reset_mail_failed', { userId: user.id }, () =>
      sendResetLink(deps, mailer, user),
    );
  }
  return { data: { linkMinutes: RESET_LINK_MINUTES }, events: [] };
}

/** Makes a new link for the account (replacing any older one) and mails it. */
async function sendResetLink(deps: Deps, mailer: Mailer, user: UserRow): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.now();
  await replacePasswordReset(deps.db, deps.dbKind, {
    userId: user.id,
    tokenHash: hashResetToken(token),
    sentTo: user.email_key,
    createdAt: now,
    expiresAt: now + RESET_LINK_MINUTES * 60_000,
  });
  const link = `${deps.config.publicUrl}/reset-password?token=${token}`;
  await mailer.send(
    passwordResetMail({
      to: { name: user.display_name, address: user.email },
      username: user.username,
      serverUrl: deps.config.publicUrl,
      link,
      minutes: RESET_LINK_MINUTES,
    }),
  );
  deps.log.info({ event: 'password_reset_sent', userId: user.id }, 'password reset link sent');
}
