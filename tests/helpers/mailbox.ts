import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it: the envelope and the parsed content. */
export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), lower-cased. */
  rcptTo: string[];
  /** The envelope's sender (MAIL FROM). */
  mailFrom: string | null;
  /** The user name the client signed in with, if any. */
  user: string | null;
  mail: ParsedMail;
}

/**
 * A real SMTP server (the `smtp-server` package) on a random port of 127.0.0.1 that keeps every
 * message it accepts. Plain SMTP without STARTTLS; with `auth`, clients must sign in with it.
 */
export class Mailbox {
  readonly received: ReceivedMail[] = [];
  private waiters: Array<{
    pred: (m: ReceivedMail) => boolean;
    resolve: (m: ReceivedMail) => void;
  }> = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(auth?: { user: string; pass: string }): Promise<Mailbox> {
    let box: Mailbox | null = null;
    const server = new SMTPServer({
      logger: false,
      disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !auth,
      allowInsecureAuth: true,
      closeTimeout: 1000,
      onAuth(a, _session, callback) {
        if (auth && a.username === auth.user && a.password === auth.pass) {
          callback(null, { user: a.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            box?.add({
              rcptTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              user: typeof session.user === 'string' ? session.user : null,
              mail,
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.server.address() as AddressInfo;
    box = new Mailbox(server, address.port);
    return box;
  }

  private add(m: ReceivedMail): void {
    this.received.push(m);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(m)) return true;
      w.resolve(m);
      return false;
    });
  }

  /** Messages whose envelope names this recipient. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.rcptTo.includes(address.toLowerCase()));
  }

  /** The `n`th message (1-based) to this recipient, received already or within the timeout. */
  nth(address: string, n: number, timeoutMs = 15_000): Promise<ReceivedMail> {
    const key = address.toLowerCase();
    const pred = (m: ReceivedMail) => m.rcptTo.includes(key) && this.to(key).indexOf(m) === n - 1;
    const seen = this.to(key)[n - 1];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no mail #${n} to ${address} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  private closed: Promise<void> | null = null;

  /** Stops accepting connections; later deliveries are refused (connection refused). */
  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => this.server.close(() => resolve()));
    return this.closed;
  }
}

/** The token of the reset link in a message's text, and the link itself. */
export function resetLinkOf(m: ReceivedMail): { link: string; token: string } {
  const match = /(\S+\/reset-password\?token=([A-Za-z0-9_-]+))/.exec(m.mail.text ?? '');
  if (!match) throw new Error(`no reset link in: ${m.mail.text}`);
  return { link: match[1]!, token: match[2]! };
}
