import type { Socket as TcpSocket } from 'node:net';
import type { Server } from 'socket.io';

export interface WsTransport {
  name: string;
  /** engine.io holds further packets in its own buffer while this is false. */
  writable: boolean;
  send(packets: unknown[]): void;
  socket?: { _socket?: TcpSocket };
}

/**
 * Coalesces the WebSocket frames a connection is sent in one turn of the event loop into one
 * write: the TCP socket under a websocket transport is corked at the first frame and uncorked
 * once the running code and its promise continuations are done. A group commit releases many
 * acks and broadcasts at once, and a message goes out with its receipt; without this each
 * frame would be a system call (and a TCP segment) of its own.
 */
export function corkPerTurn(io: Server): void {
  io.engine.on('connection', (conn: EngineSocket) => {
    corkTransport(conn.transport);
    conn.on('upgrade', (transport) => corkTransport(transport));
  });
}

interface EngineSocket {
  transport: WsTransport;
  on(event: 'upgrade', listener: (transport: WsTransport) => void): void;
}

/** Makes a websocket transport cork its TCP socket for the rest of the turn at each send. */
export function corkTransport(transport: WsTransport): void {
  if (transport.name !== 'websocket') return;
  const tcp = transport.socket?._socket;
  if (!tcp || typeof tcp.cork !== 'function') return;
  const send = transport.send.bind(transport);
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp.uncork();
  };
  transport.send = (packets) => {
    if (!corked) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    send(packets);
    // engine.io marks the transport busy until the kernel took the frames, and queues what
    // follows for a later write. Nothing reaches the kernel while corked, so let the rest of
    // the turn's packets (the receipt after a message:new, say) join this write.
    transport.writable = true;
  };
}
