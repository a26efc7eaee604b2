import type { FastifyInstance } from 'fastify';

/** One route of the app: method and URL pattern (`/api/users/:id`). */
export interface AppRoute {
  method: string;
  url: string;
}

const TREE_CHARS = /^[\s│├└─]*/;

/**
 * Every route the app has registered, read from Fastify's own route tree, so tests that sweep
 * "every endpoint" pick up new routes without being edited. HEAD routes Fastify adds for each
 * GET are left out.
 */
export function appRoutes(app: FastifyInstance): AppRoute[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const stack: string[] = [];
  const routes: AppRoute[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = TREE_CHARS.exec(line)![0].length;
    const depth = Math.round(indent / 4);
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(indent));
    if (!m) throw new Error(`Cannot read route line: ${line}`);
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + m[1];
    stack[depth] = url;
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim())) {
      if (method && method !== 'HEAD') routes.push({ method, url });
    }
  }
  // The parse must find what we know is there, or a format change would empty every sweep.
  if (!routes.some((r) => r.method === 'POST' && r.url === '/api/auth/login')) {
    throw new Error('Route table not understood:\n' + lines.join('\n'));
  }
  return routes;
}

/** The JSON API routes (not the docs, not the web client's static files). */
export function apiRoutes(app: FastifyInstance): AppRoute[] {
  return appRoutes(app).filter((r) => r.url.startsWith('/api/') && !r.url.startsWith('/api/docs'));
}

/** Names of the path parameters of a URL pattern. */
export function paramsOf(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

/** A URL pattern with every parameter replaced (by name) with a value. */
export function fillParams(url: string, value: (name: string) => string | number): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => String(value(name)));
}

export const isStateChanging = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);
