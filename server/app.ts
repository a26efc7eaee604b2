import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Deps } from './context.js';
import { AppError, validationFailed } from './errors.js';
import { authRoutes } from './features/auth/auth.routes.js';
import { passwordResetRoutes } from './features/auth/password-reset.routes.js';
import { fileRoutes } from './features/files/files.routes.js';
import { uploadRoutes } from './features/files/uploads.routes.js';
import { healthRoutes, type ReadinessCheck } from './features/health/health.routes.js';
import { userRoutes } from './features/users/users.routes.js';
import { conversationRoutes } from './features/conversations/conversations.routes.js';
import { messageChangeRoutes } from './features/messages/message-changes.routes.js';
import { messageRoutes } from './features/messages/messages.routes.js';
import { searchRoutes } from './features/search/search.routes.js';
import { adminRoutes } from './features/admin/admin.routes.js';
import { serverInfoRoutes } from './features/server-info/server-info.routes.js';
import { frameworkError, installErrorHandling, sendError } from './http/errors.js';
import { createMetrics, installCommitMetrics, installHttpMetrics } from './http/metrics.js';
import { crossSiteProblem } from './http/origin.js';
import { decodedPath, registerWebClient } from './http/static.js';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  existsSync(new URL('../package.json', import.meta.url)) ? '' : '..',
);

/** Where the web client lives: WEB_ROOT, else the Vite build, else the placeholder page. */
function webRoot(deps: Deps): string {
  if (deps.config.webRoot) return deps.config.webRoot;
  const built = path.join(root, 'dist', 'web');
  return existsSync(path.join(built, 'index.html')) ? built : path.join(root, 'web', 'placeholder');
}

export interface AppOptions {
  readinessChecks?: ReadinessCheck[];
}

/**
 * JSON bodies must be valid UTF-8: bytes that are not would otherwise be read as U+FFFD and
 * stored as something the client never sent. The parsing itself stays Fastify's (with its
 * prototype-poisoning checks).
 */
function strictJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(
        validationFailed({ body: 'must be UTF-8' }, 'The request body is not valid UTF-8'),
        undefined,
      );
      return;
    }
    void parse(request, text, done);
  });
}

/** Builds the HTTP app without listening (tests and main.ts both use it). */
export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Per-request lines only at debug level; errors are logged by the error handler.
    logController: new LogController({
      disableRequestLogging: deps.config.logLevel !== 'debug' && deps.config.logLevel !== 'trace',
    }),
    return503OnClosing: true,
    // Undecodable URLs and over-long parameters answer in the error shape too.
    frameworkErrors: frameworkError,
    routerOptions: { maxParamLength: 200 },
  });
  app.decorateRequest('actor', null);
  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by presenters; the zod response schemas document them (OpenAPI).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandling(app, deps.events);
  strictJsonBodies(app);

  const registry = createMetrics();
  installHttpMetrics(app, registry);
  if (deps.commits) installCommitMetrics(deps.commits, registry);

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyMultipart, {
    limits: {
      fileSize: deps.config.maxUploadBytes,
      files: 1,
      fields: 2,
      parts: 3,
      fieldSize: 1024,
      headerPairs: 100,
    },
    throwFileSizeLimit: true,
    // The client's file name whole, path included: uploads keep it for display only, with
    // `/` and `\` replaced (never used as a path); busboy would otherwise cut it to its last part.
    preservePath: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    // The router decodes paths (/%61pi/ is /api/), so decide on the decoded path, and guard
    // every state-changing request whatever its path.
    if (decodedPath(request.url).startsWith('/api/')) reply.header('cache-control', 'no-store');
    const problem = crossSiteProblem(request, deps.config.allowedOrigins);
    if (problem) return sendError(reply, new AppError('forbidden', problem));
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Parley API',
        version: '1.0.0',
        description:
          'REST API of the Parley chat server. Real-time events travel over Socket.IO at /socket.io; see the project docs.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          // The file routes also accept the access token in this cookie (for <img src>).
          filesCookie: { type: 'apiKey', in: 'cookie', name: 'parley_files' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    // The docs page keeps the app's stricter framing and base rules.
    transformStaticCSP: (header) =>
      header
        .replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'")
        .replace(/base-uri [^;]*/, "base-uri 'none'")
        .replace(/object-src [^;]*/, "object-src 'none'"),
  });

  await app.register(healthRoutes(deps, registry, opts.readinessChecks ?? []));
  await app.register(authRoutes(deps));
  await app.register(passwordResetRoutes(deps));
  await app.register(userRoutes(deps));
  await app.register(conversationRoutes(deps));
  await app.register(messageRoutes(deps));
  await app.register(messageChangeRoutes(deps));
  await app.register(searchRoutes(deps));
  await app.register(fileRoutes(deps));
  await app.register(uploadRoutes(deps));
  await app.register(serverInfoRoutes(deps));
  await app.register(adminRoutes(deps));

  // The web client, precompressed and cached by kind, and the not-found handler.
  await registerWebClient(app, webRoot(deps));
  return app;
}
