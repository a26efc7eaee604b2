import net from 'node:net';

/**
 * What the proxy does to traffic right now. `up` is client → server, `down` server → client.
 * On WebSocket connections faults apply to whole frames, so a stream stays well-formed after a
 * fault is lifted; on plain HTTP connections they apply to whole chunks.
 */
export interface Faults {
  /** Drop everything in both directions; connections stay open, as in a network partition. */
  blackhole: boolean;
  /** Drop everything client → server. */
  dropUp: boolean;
  /** Drop everything server → client. */
  dropDown: boolean;
  /** Delay every chunk or frame by this much, in both directions (order is kept). */
  latencyMs: number;
  /** Drop server → client WebSocket text frames for which this returns true. */
  dropDownFrame: ((text: string) => boolean) | null;
  /** Drop client → server WebSocket text frames for which this returns true. */
  dropUpFrame: ((text: string) => boolean) | null;
  /**
   * Hold back server → client WebSocket text frames for which this returns true, instead of
   * forwarding them; `releaseHeld` delivers them later (reordered, duplicated, or on another
   * connection after a reconnect).
   */
  holdDownFrame: ((text: string) => boolean) | null;
  /** Refuse new connections (accept and reset at once), as a dead host would. */
  refuse: boolean;
}

const NO_FAULTS: Faults = {
  blackhole: false,
  dropUp: false,
  dropDown: false,
  latencyMs: 0,
  dropDownFrame: null,
  dropUpFrame: null,
  holdDownFrame: null,
  refuse: false,
};

type Direction = 'up' | 'down';

/** One direction of one connection: finds the HTTP head, then cuts WebSocket frames. */
class Pipe {
  private buf: Buffer = Buffer.alloc(0);
  mode: 'head' | 'frames' | 'raw' = 'head';
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly dir: Direction,
    private readonly out: net.Socket,
    private readonly conn: Connection,
  ) {}

  push(chunk: Buffer): void {
    if (this.mode === 'raw') {
      this.forward(chunk, null);
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.mode === 'head') {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 64 * 1024) this.toRaw();
        return;
      }
      const head = this.buf.subarray(0, end + 4);
      const text = head.toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      if (this.dir === 'up') {
        this.conn.upgrade = /\r\nupgrade:\s*websocket/i.test(text);
        this.forward(head, null);
        // The client sends no frames before the 101; anything after a plain request is HTTP.
        if (!this.conn.upgrade) this.toRaw();
        else this.mode = 'frames';
      } else {
        this.forward(head, null);
        if (/^HTTP\/1\.1 101/.test(text)) this.mode = 'frames';
        else this.toRaw();
      }
      if (this.buf.length === 0 || (this.mode as Pipe['mode']) === 'raw') return;
    }
    this.cutFrames();
  }

  private toRaw(): void {
    this.mode = 'raw';
    if (this.buf.length) this.forward(this.buf, null);
    this.buf = Buffer.alloc(0);
  }

  private cutFrames(): void {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (b.length < off + len) return;
      const frame = b.subarray(0, off + len);
      this.buf = b.subarray(off + len);
      const opcode = b[0]! & 0x0f;
      let text: string | null = null;
      if (opcode === 1) {
        const payload = Buffer.from(b.subarray(off, off + len));
        if (masked) {
          const mask = b.subarray(maskOff, maskOff + 4);
          for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
        }
        text = payload.toString('utf8');
      }
      this.forward(frame, text);
    }
  }

  /** Applies the faults of the moment to one chunk or frame. */
  private forward(data: Buffer, frameText: string | null): void {
    const f = this.proxy.faults;
    const dropAll = f.blackhole || (this.dir === 'up' ? f.dropUp : f.dropDown);
    const pred = this.dir === 'up' ? f.dropUpFrame : f.dropDownFrame;
    if (dropAll || (frameText !== null && pred?.(frameText))) {
      this.proxy.dropped.push({ dir: this.dir, text: frameText, bytes: data.length });
      return;
    }
    if (this.dir === 'down' && frameText !== null && f.holdDownFrame?.(frameText)) {
      this.proxy.held.push({ text: frameText, frame: Buffer.from(data) });
      return;
    }
    if (f.latencyMs <= 0 && this.pending === 0) {
      this.write(data);
      return;
    }
    // Delayed data keeps its order, also behind data delayed before the latency changed.
    this.pending++;
    const due = Date.now() + Math.max(0, f.latencyMs);
    const copy = Buffer.from(data);
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              this.pending--;
              this.write(copy);
              resolve();
            },
            Math.max(0, due - Date.now()),
          );
        }),
    );
  }

  private write(data: Buffer): void {
    if (!this.out.destroyed) this.out.write(data);
  }
}

interface Connection {
  client: net.Socket;
  server: net.Socket;
  upgrade: boolean;
  /** The server → client pipe (its mode tells whether WebSocket frames flow). */
  down?: Pipe;
}

/**
 * A small TCP proxy in front of a server for fault injection: blackhole, drop one direction,
 * drop chosen WebSocket frames (lost acks), add latency, reset every connection. The target
 * port is read on each new connection, so a restarted server on the same port is reached.
 */
export class FaultProxy {
  faults: Faults = { ...NO_FAULTS };
  /** What was dropped on purpose (WebSocket text frames keep their text). */
  readonly dropped: Array<{ dir: Direction; text: string | null; bytes: number }> = [];
  /** Server → client frames held back (see `Faults.holdDownFrame`), not yet released. */
  readonly held: Array<{ text: string; frame: Buffer }> = [];
  /** How many held frames were written out by `releaseHeld` (duplicates counted). */
  released = 0;
  private readonly conns = new Set<Connection>();
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    let self: FaultProxy | null = null;
    const server = net.createServer((client) => self?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    self = new FaultProxy(server, port, targetPort);
    return self;
  }

  /** Changes some faults; the others stay as they are. */
  set(faults: Partial<Faults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Back to a clean network. */
  heal(): void {
    this.faults = { ...NO_FAULTS };
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    if (this.faults.refuse) {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const server = net.connect({ host: '127.0.0.1', port: this.targetPort });
    server.setNoDelay(true);
    const conn: Connection = { client, server, upgrade: false };
    this.conns.add(conn);
    const up = new Pipe(this, 'up', server, conn);
    const down = new Pipe(this, 'down', client, conn);
    conn.down = down;
    client.on('data', (chunk: Buffer) => up.push(chunk));
    server.on('data', (chunk: Buffer) => down.push(chunk));
    const close = () => {
      if (!this.conns.delete(conn)) return;
      client.destroy();
      server.destroy();
    };
    client.on('error', close);
    server.on('error', close);
    client.on('close', close);
    server.on('close', close);
  }

  /**
   * Delivers the held frames to the client of the newest open WebSocket connection — the one
   * they were held on, or the one that replaced it after a reconnect — in the order `order`
   * gives them (default: as held), then forgets them. Frames go out whole, between the frames
   * the pipe forwards, so the stream stays well-formed. Returns how many were written, 0 when
   * no WebSocket connection is open (the frames stay held then).
   */
  releaseHeld(
    order: (frames: Array<{ text: string; frame: Buffer }>) => Array<{
      text: string;
      frame: Buffer;
    }> = (f) => f,
  ): number {
    const target = [...this.conns]
      .reverse()
      .find((c) => c.upgrade && c.down?.mode === 'frames' && !c.client.destroyed);
    if (!target) return 0;
    const out = order(this.held.splice(0));
    for (const f of out) target.client.write(f.frame);
    this.released += out.length;
    return out.length;
  }

  /** Resets every open connection (TCP RST both ways), as a crashed middlebox would. */
  resetAll(): void {
    for (const c of [...this.conns]) {
      this.conns.delete(c);
      c.client.resetAndDestroy();
      c.server.resetAndDestroy();
    }
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
