import type { FastifyRequest } from 'fastify';
import { FILES_COOKIE } from '../../protocol/limits.js';
import type { Actor, Deps, RequestMeta } from '../context.js';
import { AppError } from '../errors.js';
import { authenticate } from '../features/auth/authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** The bearer token of a request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

/** A preHandler that requires a live session and sets `request.actor`. */
export function requireAuth(deps: Deps) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token)
      throw new AppError('unauthorized', 'Sign in first: send Authorization: Bearer <accessToken>');
    request.actor = await authenticate(deps, token);
  };
}

/**
 * For the file routes only: the bearer token, or else the `parley_files` cookie (the same
 * access token, which the browser sends with `<img src>`); checked exactly like requireAuth.
 */
export function requireAuthOrFilesCookie(deps: Deps) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request) ?? request.cookies[FILES_COOKIE];
    if (!token)
      throw new AppError(
        'unauthorized',
        'Sign in first: send Authorization: Bearer <accessToken> (or the parley_files cookie)',
      );
    request.actor = await authenticate(deps, token);
  };
}

/** The actor set by requireAuth; a route without it is a programming error. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthorized', 'Sign in first');
  return request.actor;
}

export function metaOf(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}
