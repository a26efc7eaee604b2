import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiNotFound } from './errors.js';

/**
 * Hashed build output (`/assets/name-<hash>.js`): a new build gives new names, so a copy never
 * goes stale and browsers need not even revalidate it.
 */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * The page (index.html, also answered for every client route): it names the current build's
 * assets, so browsers must check it on every load. `no-cache` still lets them keep a copy and
 * revalidate it with its ETag (a 304 of a few hundred bytes); `no-store` would forbid keeping
 * it at all, downloading it whole each time and keeping the page out of the back/forward cache.
 */
export const REVALIDATE = 'no-cache';
/** Other public files (the favicons): not hashed, rarely changed; an hour is stale enough. */
export const SHORT = 'public, max-age=3600';

/** The path of a URL, percent-decoded where it decodes (the router matches decoded paths). */
export function decodedPath(url: string): string {
  const p = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The Cache-Control of a file of the web root (`file` is what was sent, maybe its .br/.gz). */
function cacheControlFor(root: string, file: string): string {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('assets/')) return IMMUTABLE;
  if (/^index\.html(\.br|\.gz)?$/.test(rel)) return REVALIDATE;
  return SHORT;
}

/** Paths that are no page of the client: dot segments, backslashes, NUL (traversal attempts). */
const SUSPICIOUS = /(^|\/)\.\.?(\/|$)|\\|\0/;

/**
 * The web client: the files of `root` (the Vite build), each sent precompressed when the
 * request accepts it (`name.br`, else `name.gz`, written by the build beside each file; brotli
 * preferred), with Vary: Accept-Encoding, the plain file's Content-Type, and the cache policy
 * above. Compressed siblings and source maps are never served under their own names. Unknown
 * paths that look like client routes get index.html (the client shows its own not-found
 * page); API paths and missing files get the JSON 404.
 */
export async function registerWebClient(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    // One route per file found at start-up (no catch-all): anything else falls through to
    // the not-found handler below.
    wildcard: false,
    index: ['index.html'],
    serveDotFiles: false,
    globIgnore: ['**/*.br', '**/*.gz', '**/*.map'],
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, file) => {
      reply.header('cache-control', cacheControlFor(root, file));
    },
  });
  app.setNotFoundHandler((request, reply): FastifyReply => {
    const url = decodedPath(request.url);
    if (
      url === '/api' ||
      url.startsWith('/api/') ||
      url.startsWith('/files/') ||
      url.startsWith('/socket.io') ||
      SUSPICIOUS.test(url) ||
      // A missing asset (a file name with an extension) is a 404, not the page: answering
      // index.html as a script or stylesheet would leave the client blank.
      /\.[A-Za-z0-9]{1,8}$/.test(url)
    ) {
      return apiNotFound(reply);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return apiNotFound(reply);
    // Any other path is a page of the single-page client, which shows its own not-found view.
    return reply.type('text/html; charset=utf-8').sendFile('index.html', root);
  });
}
