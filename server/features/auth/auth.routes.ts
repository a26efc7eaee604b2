import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLIENT_HEADER, FILES_COOKIE, REFRESH_COOKIE } from '../../../protocol/limits.js';
import {
  AuthResult,
  LoginInput,
  RefreshResult,
  RegisterInput,
  SessionInfo,
} from '../../../protocol/schemas/auth.js';
import { ErrorBodySchema, IdParam } from '../../../protocol/schemas/common.js';
import type { Deps } from '../../context.js';
import { AppError } from '../../errors.js';
import { respond } from '../../http/respond.js';
import { actorOf, bearerToken, metaOf, requireAuth } from '../../http/auth.js';
import { iso } from '../../lib/time.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { refresh } from './refresh.js';
import { register } from './register.js';
import { listSessions, revokeSession } from './sessions.js';
import { apiErrors } from '../../http/openapi.js';

const COOKIE_PATH = '/api/auth';

/**
 * The refresh cookie's attributes. The name is fixed by the protocol (`parley_refresh`), so the
 * `__Host-` prefix cannot be used; Path=/api/auth keeps it off every other request.
 */
function cookieOptions(deps: Deps, request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    path: COOKIE_PATH,
    secure: deps.config.publicUrl.startsWith('https:') || request.protocol === 'https',
  };
}

function setRefreshCookie(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  until: number,
): void {
  reply.setCookie(REFRESH_COOKIE, token, {
    ...cookieOptions(deps, request),
    expires: new Date(until),
  });
}

/** Clears the cookie with the attributes it was set with, Secure included. */
function clearRefreshCookie(deps: Deps, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, cookieOptions(deps, request));
  clearFilesCookie(deps, request, reply);
}

const FILES_PATH = '/api/files';

/**
 * The files cookie: a copy of the access token that only the file routes see (Path=/api/files),
 * living exactly as long as the token, so that `<img src>` in the web client can load files
 * (an image request cannot carry a bearer header). SameSite=Strict keeps it off cross-site
 * requests; those routes only read, and check the token and its session like any other call.
 */
function setFilesCookie(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  accessToken: string,
  until: number,
): void {
  reply.setCookie(FILES_COOKIE, accessToken, {
    ...cookieOptions(deps, request),
    path: FILES_PATH,
    expires: new Date(until),
  });
}

function clearFilesCookie(deps: Deps, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(FILES_COOKIE, { ...cookieOptions(deps, request), path: FILES_PATH });
}

/** The refresh cookie is only honoured with the client header, which a cross-site form cannot set. */
function requireClientHeader(request: FastifyRequest): void {
  if (request.headers[CLIENT_HEADER] !== 'web') {
    throw new AppError('forbidden', `The ${CLIENT_HEADER}: web header is required`);
  }
}

const errors = apiErrors();

/** Accounts and sessions: register, login, refresh, logout, list and revoke sessions. */
export function authRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const auth = requireAuth(deps);

    app.post(
      '/api/auth/register',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create an account and sign in',
          body: RegisterInput,
          response: { 201: AuthResult, 409: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) => {
        const { user, tokens } = await register(deps, request.body, metaOf(request));
        setRefreshCookie(deps, request, reply, tokens.refreshToken, tokens.sessionExpiresAt);
        setFilesCookie(deps, request, reply, tokens.accessToken, tokens.expiresAt);
        return reply
          .code(201)
          .send({ user, accessToken: tokens.accessToken, expiresAt: iso(tokens.expiresAt) });
      },
    );

    app.post(
      '/api/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign in with username or email',
          body: LoginInput,
          response: { 200: AuthResult, ...errors },
        },
      },
      async (request, reply) => {
        const { user, tokens } = await login(deps, request.body, metaOf(request));
        setRefreshCookie(deps, request, reply, tokens.refreshToken, tokens.sessionExpiresAt);
        setFilesCookie(deps, request, reply, tokens.accessToken, tokens.expiresAt);
        return { user, accessToken: tokens.accessToken, expiresAt: iso(tokens.expiresAt) };
      },
    );

    app.post(
      '/api/auth/refresh',
      {
        schema: {
          tags: ['auth'],
          summary:
            'New access token from the refresh cookie (needs X-Parley-Client: web); rotates the cookie',
          description:
            'The cookie just replaced, presented within 10 seconds of its rotation, gets the current cookie again (no new rotation); an older cookie, or that one later, revokes the session.',
          response: { 200: RefreshResult, ...errors },
        },
      },
      async (request, reply) => {
        requireClientHeader(request);
        const token = request.cookies[REFRESH_COOKIE];
        if (!token) throw new AppError('unauthorized', 'No refresh cookie; sign in again');
        try {
          const r = await refresh(deps, token);
          setRefreshCookie(deps, request, reply, r.refreshToken, r.sessionExpiresAt);
          setFilesCookie(deps, request, reply, r.accessToken, r.expiresAt);
          return { accessToken: r.accessToken, expiresAt: iso(r.expiresAt) };
        } catch (err) {
          if (
            err instanceof AppError &&
            (err.code === 'session_expired' || err.code === 'unauthorized')
          )
            clearRefreshCookie(deps, request, reply);
          throw err;
        }
      },
    );

    app.post(
      '/api/auth/logout',
      {
        schema: {
          tags: ['auth'],
          summary: 'End the current session (by bearer token or refresh cookie)',
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const accessToken = bearerToken(request) ?? undefined;
        const cookie = request.cookies[REFRESH_COOKIE];
        if (!accessToken && cookie) requireClientHeader(request);
        // The cookie counts only with the client header, also when a bearer token comes along.
        const refreshToken = request.headers[CLIENT_HEADER] === 'web' ? cookie : undefined;
        const out = await logout(deps, { accessToken, refreshToken });
        clearRefreshCookie(deps, request, reply);
        if (!out.data) throw new AppError('unauthorized', 'No session to sign out of');
        return respond(deps, reply, out, 204);
      },
    );

    app.get(
      '/api/auth/sessions',
      {
        preHandler: auth,
        schema: {
          tags: ['auth'],
          summary: 'My active sessions',
          response: { 200: z.array(SessionInfo), ...errors },
        },
      },
      async (request) => listSessions(deps, actorOf(request)),
    );

    app.delete(
      '/api/auth/sessions/:id',
      {
        preHandler: auth,
        schema: {
          tags: ['auth'],
          summary: 'Sign out one of my sessions',
          params: IdParam,
          response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) => {
        return respond(
          deps,
          reply,
          await revokeSession(deps, actorOf(request), request.params.id),
          204,
        );
      },
    );
  };
}
