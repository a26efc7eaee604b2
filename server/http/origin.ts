import type { FastifyRequest } from 'fastify';

/** True when a browser Origin is this server's own (same host) or one of the allowed ones. */
export function originAllowed(
  origin: string,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.origin === 'null') return false;
  if (allowed.includes(o.origin)) return true;
  return (
    host !== undefined && o.host === host && (o.protocol === 'http:' || o.protocol === 'https:')
  );
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery guard for state-changing API calls: a browser marks cross-site
 * requests with Sec-Fetch-Site and Origin; either one pointing elsewhere is refused.
 */
export function crossSiteProblem(
  request: FastifyRequest,
  allowed: readonly string[],
): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site') return 'Cross-site requests are not allowed';
  const origin = request.headers.origin;
  if (typeof origin === 'string' && !originAllowed(origin, request.headers.host, allowed)) {
    return 'Requests from this origin are not allowed';
  }
  return null;
}
