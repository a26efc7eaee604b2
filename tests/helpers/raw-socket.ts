import WebSocket from 'ws';

/**
 * A Socket.IO client written by hand over a raw websocket, to send packets the real client
 * never would. Engine.io v4 framing: `0` open, `2`/`3` ping/pong, `4` message; inside a
 * message, Socket.IO's `0` connect, `2` event, `3` ack, `4` connect error, `5` binary event.
 */
export class RawSocket {
  readonly frames: Array<string | Buffer> = [];
  /** Resolves with the close code once the connection is gone. */
  readonly closed: Promise<number>;
  private waiters: Array<{ pred: (f: string) => boolean; resolve: (f: string) => void }> = [];
  private nextAck = 1;
  private isClosed = false;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.isClosed = true;
        resolve(code);
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? (data as Buffer) : (data as Buffer).toString();
      if (frame === '2') {
        ws.send('3');
        return;
      }
      this.frames.push(frame);
      if (typeof frame !== 'string') return;
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
  }

  /** Opens the websocket; `token === undefined` stops after the engine.io open packet. */
  static async open(
    url: string,
    token?: string | null,
    headers: Record<string, string> = {},
  ): Promise<RawSocket> {
    const wsUrl = url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket';
    const ws = new WebSocket(wsUrl, { headers, maxPayload: 10 * 1024 * 1024 });
    const raw = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode ?? 0}`)),
      );
      ws.once('error', reject);
    });
    await raw.waitFrame((f) => f.startsWith('0{'));
    if (token !== undefined) {
      raw.send(token === null ? '40' : `40${JSON.stringify({ token })}`);
      const reply = await raw.waitFrame((f) => f.startsWith('40') || f.startsWith('44'));
      if (reply.startsWith('44')) throw new Error(`connect refused: ${reply}`);
    }
    return raw;
  }

  get open(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string | Buffer): void {
    this.ws.send(frame);
  }

  /** Resolves with the first text frame matching `pred` (seen already or arriving in time). */
  waitFrame(pred: (f: string) => boolean, timeoutMs = 5000): Promise<string> {
    const seen = this.frames.find((f): f is string => typeof f === 'string' && pred(f));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error('timed out waiting for a frame'));
      }, timeoutMs).unref();
    });
  }

  /** A fresh ack id for a hand-written packet. */
  ackId(): number {
    return this.nextAck++;
  }

  /** Waits for the ack of `id` and returns its arguments. */
  async ackOf(id: number, timeoutMs = 5000): Promise<unknown[]> {
    const f = await this.waitFrame((x) => x.startsWith(`43${id}[`), timeoutMs);
    return JSON.parse(f.slice(`43${id}`.length)) as unknown[];
  }

  /** Sends an event with the given JSON arguments text and an ack id; resolves with the ack. */
  async emitRaw(argsJson: string, timeoutMs = 5000): Promise<unknown[]> {
    const id = this.ackId();
    this.send(`42${id}${argsJson}`);
    return this.ackOf(id, timeoutMs);
  }

  /** Sends a well-formed event with an ack; resolves with the first ack argument. */
  async emit(event: string, payload: unknown, timeoutMs = 5000): Promise<any> {
    const args = await this.emitRaw(JSON.stringify([event, payload]), timeoutMs);
    return args[0];
  }

  close(): void {
    this.ws.terminate();
  }
}
