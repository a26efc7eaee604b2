import WebSocket from 'ws';
import { now } from './clock.js';

/**
 * A minimal Socket.IO client over a raw websocket (Engine.IO v4 / Socket.IO v5 framing), far
 * cheaper per socket and per frame than socket.io-client, so one generator process can drive
 * thousands of sockets. Frames it understands: `0` open, `2` ping (answered `3`), and inside
 * `4` (message): `0` connect, `4` connect error, `2` event, `3` ack.
 */
export interface ClientHooks {
  /** A `message:new` frame arrived (the raw text, and when). */
  onMessageNew?(client: RawClient, frame: string, at: number): void;
  /** The connection went away (after having connected). */
  onClose?(client: RawClient): void;
}

type AckFn = (frame: string, bodyAt: number, at: number) => void;

export class RawClient {
  private ws: WebSocket | null = null;
  private nextAck = 0;
  private readonly acks = new Map<number, AckFn>();
  connected = false;
  /** Frames other than message:new, message:updated and acks (receipts, presence, typing…). */
  otherEvents = 0;
  messageFrames = 0;
  /** `message:updated` frames (edits, deletions, reactions, pins). */
  updatedFrames = 0;

  constructor(
    readonly url: string,
    readonly userId: number,
    public auth: Record<string, unknown>,
    private readonly hooks: ClientHooks,
    private readonly localAddress?: string,
  ) {}

  /** Opens the websocket and joins the default namespace with `auth`. */
  connect(timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.url}/socket.io/?EIO=4&transport=websocket`, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: timeoutMs,
        ...(this.localAddress && { localAddress: this.localAddress }),
      });
      this.ws = ws;
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(() => settle(new Error('connect timeout')), timeoutMs);
      ws.on('message', (data: Buffer) => {
        const f = data.toString();
        const c = f.charCodeAt(0);
        if (c === 52 /* 4: message */) {
          const t = f.charCodeAt(1);
          if (t === 50 /* 2: event */) {
            if (f.startsWith('42["message:new"')) {
              this.messageFrames++;
              this.hooks.onMessageNew?.(this, f, now());
            } else if (f.startsWith('42["message:updated"')) this.updatedFrames++;
            else this.otherEvents++;
          } else if (t === 51 /* 3: ack */) {
            const at = now();
            let i = 2;
            let id = 0;
            for (let d = f.charCodeAt(i); d >= 48 && d <= 57; d = f.charCodeAt(++i))
              id = id * 10 + d - 48;
            const fn = this.acks.get(id);
            if (fn) {
              this.acks.delete(id);
              fn(f, i + 1, at);
            }
          } else if (t === 48 /* 0: connect */) {
            this.connected = true;
            settle();
          } else if (t === 52 /* 4: connect error */) {
            settle(new Error(`connect refused: ${f.slice(2, 200)}`));
          } else if (t === 49 /* 1: disconnect */) {
            ws.close();
          }
        } else if (c === 50 /* 2: ping */) {
          ws.send('3');
        } else if (c === 48 /* 0: open */) {
          ws.send('40' + JSON.stringify(this.auth));
        }
      });
      ws.on('close', () => {
        const was = this.connected;
        this.connected = false;
        this.acks.clear();
        settle(new Error('closed before connecting'));
        if (was) this.hooks.onClose?.(this);
      });
      ws.on('error', (err) => settle(err));
    });
  }

  /** Emits an event whose payload is already JSON; `onAck` gets the ack frame and its payload offset. */
  emit(event: string, payloadJson: string, onAck?: AckFn): boolean {
    if (!this.connected || !this.ws) return false;
    if (onAck) {
      const id = ++this.nextAck;
      this.acks.set(id, onAck);
      this.ws.send(`42${id}["${event}",${payloadJson}]`);
    } else {
      this.ws.send(`42["${event}",${payloadJson}]`);
    }
    return true;
  }

  /** Drops the connection at once, as a network failure would. */
  drop(): void {
    this.ws?.terminate();
  }

  close(): void {
    this.ws?.close();
  }
}

/** `"name":"value"` from a JSON frame, without parsing it (values without escapes only). */
export function stringField(frame: string, name: string, from = 0): string | null {
  const key = `"${name}":"`;
  const i = frame.indexOf(key, from);
  if (i < 0) return null;
  const start = i + key.length;
  return frame.slice(start, frame.indexOf('"', start));
}

/** `"name":123` from a JSON frame, without parsing it. */
export function numberField(frame: string, name: string, from = 0): number {
  const key = `"${name}":`;
  const i = frame.indexOf(key, from);
  if (i < 0) return NaN;
  let n = 0;
  let j = i + key.length;
  for (let d = frame.charCodeAt(j); d >= 48 && d <= 57; d = frame.charCodeAt(++j))
    n = n * 10 + d - 48;
  return n;
}
