import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config.js';
import type { Mailer } from './mailer.js';

/**
 * A Mailer over SMTP (nodemailer). One connection per message, no pool: Parley sends little
 * mail, and nothing stays open between messages or at shutdown. smtp:// upgrades with STARTTLS
 * whenever the server offers it; smtps:// speaks TLS from the start; certificates are checked.
 * Timeouts are short, since a message goes out after the request that asked for it was answered.
 */
export function createSmtpMailer(config: SmtpConfig): Mailer {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user !== null && config.pass !== null
      ? { auth: { user: config.user, pass: config.pass } }
      : {}),
    pool: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    dnsTimeout: 10_000,
  });
  const from = config.from.name ? config.from : config.from.address;
  return {
    async send(message) {
      await transport.sendMail({
        from,
        to: message.to.name ? message.to : message.to.address,
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined && { html: message.html }),
      });
    },
  };
}
