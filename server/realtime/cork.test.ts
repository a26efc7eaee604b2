import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { corkTransport, type WsTransport } from './cork.js';

describe('corkTransport (a real TCP connection)', () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  /** A connected pair: the server side's socket, and the chunks the client side reads. */
  async function pair(): Promise<{ tcp: net.Socket; chunks: string[] }> {
    const chunks: string[] = [];
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    client.on('data', (d) => chunks.push(d.toString()));
    const tcp = await accepted;
    closers.push(() => {
      client.destroy();
      tcp.destroy();
      server.close();
    });
    return { tcp, chunks };
  }

  /** Like engine.io's: busy from a send until the kernel took its last frame. */
  const transportOn = (tcp: net.Socket, name = 'websocket'): WsTransport => {
    const t: WsTransport = {
      name,
      writable: true,
      socket: { _socket: tcp },
      send(packets) {
        t.writable = false;
        packets.forEach((p, i) =>
          tcp.write(String(p), i === packets.length - 1 ? () => (t.writable = true) : undefined),
        );
      },
    };
    return t;
  };

  it('holds every frame of one turn and writes them together after it', async () => {
    const { tcp, chunks } = await pair();
    const t = transportOn(tcp);
    corkTransport(t);
    t.send(['ack;']);
    expect(t.writable).toBe(true); // the next packet need not wait for this write
    t.send(['message:new;', 'receipt;']);
    await Promise.resolve().then(() => t.send(['late-in-turn;'])); // a promise continuation
    expect(tcp.writableCorked).toBe(1);
    expect(tcp.writableLength).toBeGreaterThan(0); // nothing handed to the kernel yet
    await new Promise((r) => setImmediate(r));
    expect(tcp.writableCorked).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.join('')).toBe('ack;message:new;receipt;late-in-turn;');
    expect(chunks).toHaveLength(1);
    // The next turn corks afresh.
    t.send(['next;']);
    expect(tcp.writableCorked).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.join('')).toBe('ack;message:new;receipt;late-in-turn;next;');
  });

  it('leaves other transports (long-polling) alone', async () => {
    const { tcp } = await pair();
    const t = transportOn(tcp, 'polling');
    corkTransport(t);
    t.send(['x']);
    expect(tcp.writableCorked).toBe(0);
    expect(t.writable).toBe(false);
  });
});
