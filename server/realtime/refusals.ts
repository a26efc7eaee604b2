import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server } from 'socket.io';
import { ERROR_STATUS, type ErrorCode } from '../../protocol/errors.js';
import type { Deps } from '../context.js';
import { AppError } from '../errors.js';
import { originAllowed } from '../http/origin.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** An Engine.IO request: the HTTP request with the query string the engine parsed. */
interface EngineRequest extends IncomingMessage {
  _query: Record<string, string | undefined>;
}

/** What Engine.IO hands a middleware as the response: a real one (polling) or, for a WebSocket upgrade, its stand-in over the raw socket. */
type EngineResponse = ServerResponse | { socket: Duplex };

function body(code: ErrorCode, message: string): string {
  return JSON.stringify(new AppError(code, message).toBody());
}

/** Answers with PROTOCOL's error shape over a polling response or a raw upgrade socket. */
function refuse(res: EngineResponse, code: ErrorCode, message: string, retryAfter?: number): void {
  const status = ERROR_STATUS[code];
  const text = body(code, message);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...(retryAfter ? { 'retry-after': retryAfter } : {}),
  };
  if (res instanceof ServerResponse) {
    res.writeHead(status, headers).end(text);
    return;
  }
  // A WebSocket upgrade has no response object yet: write the HTTP answer on the socket.
  const socket = res.socket;
  if (socket.writable) {
    const lines = Object.entries({ ...headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}`);
    socket.write(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\n${lines.join('\r\n')}\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

// Engine.IO's own refusals of polling requests (unknown session, bad transport...) are
// `{code: <number>, message}`; they are rewritten into the error shape of every other answer.
const ENGINE_STATUS_CODE: Record<number, ErrorCode> = {
  400: 'validation_failed',
  403: 'forbidden',
};

function rewriteEngineErrors(res: ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    const code = ENGINE_STATUS_CODE[res.statusCode];
    if (code && typeof chunk === 'string' && chunk.startsWith('{"code":')) {
      let message = 'The real-time connection was refused';
      try {
        const said = (JSON.parse(chunk) as { message?: unknown }).message;
        if (typeof said === 'string') message = said;
      } catch {
        // keep the general sentence
      }
      const text = body(code, message);
      if (!res.headersSent) {
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.setHeader('content-length', Buffer.byteLength(text));
      }
      return end(text);
    }
    return end(chunk);
  }) as typeof res.end;
}

/**
 * Refusals before Socket.IO's own handshake, in PROTOCOL's error shape with `nosniff`, over
 * polling and WebSocket alike: a browser Origin that is neither this server's nor an allowed
 * one (`forbidden`), and new connections while the node drains for shutdown (`unavailable`).
 * Clients that send no Origin (bots, mobile apps) are not browsers and pass.
 */
export function refuseHandshakes(io: Server, deps: Deps, draining: () => boolean): void {
  io.engine.use((req: EngineRequest, res: EngineResponse, next: (err?: unknown) => void) => {
    if (res instanceof ServerResponse) rewriteEngineErrors(res);
    // Only a new connection (no session id yet) is judged; its later requests belong to it.
    if (req._query.sid === undefined) {
      if (draining()) {
        refuse(res, 'unavailable', 'This server is restarting; connect again in a moment', 1);
        return;
      }
      const origin = req.headers.origin;
      if (
        origin !== undefined &&
        !originAllowed(origin, req.headers.host, deps.config.allowedOrigins)
      ) {
        refuse(res, 'forbidden', 'This origin may not open a real-time connection');
        return;
      }
    }
    next();
  });
}
