import type { MailMessage } from '../../mail/mailer.js';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The message that carries a password reset link. */
export function passwordResetMail(p: {
  to: { name: string; address: string };
  username: string;
  serverUrl: string;
  link: string;
  minutes: number;
}): MailMessage {
  const text = [
    `Hello ${p.to.name},`,
    '',
    `Someone, hopefully you, asked to reset the password of your Parley account "${p.username}" on ${p.serverUrl}.`,
    '',
    `Open this link to choose a new password. It works once, within ${p.minutes} minutes:`,
    '',
    p.link,
    '',
    'Using it signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.',
    '',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>Hello ${escapeHtml(p.to.name)},</p>
<p>Someone, hopefully you, asked to reset the password of your Parley account <b>${escapeHtml(p.username)}</b> on ${escapeHtml(p.serverUrl)}.</p>
<p><a href="${escapeHtml(p.link)}">Choose a new password</a>. The link works once, within ${p.minutes} minutes.</p>
<p>Using it signs you out everywhere. If you did not ask for this, ignore this email: your password stays as it is.</p>
</body></html>
`;
  return { to: p.to, subject: 'Reset your Parley password', text, html };
}
