import type { FastifyBaseLogger } from 'fastify';

/** One message to one recipient: plain text, with an HTML alternative when given. */
export interface MailMessage {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html?: string;
}

/** Sends mail. Use cases depend on this, never on the SMTP library. */
export interface Mailer {
  /** Resolves once the server accepted the message; rejects when it could not be handed over. */
  send(message: MailMessage): Promise<void>;
}

/**
 * Runs `task` once the current reply has been written (the next turn of the event loop), so a
 * slow or unreachable mail server never delays an answer or shows in its timing. A failure is
 * logged, never thrown: the caller has already answered.
 */
export function deliverLater(
  log: FastifyBaseLogger,
  event: string,
  context: Record<string, unknown>,
  task: () => Promise<void>,
): void {
  setImmediate(() => {
    task().catch((err: unknown) => log.error({ err, event, ...context }, 'mail could not be sent'));
  });
}
