import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Deps } from '../../context.js';
import { pingDatabase } from '../../db/database.js';

/** A named check that /readyz runs; it throws when its service does not answer. */
export type ReadinessCheck = { name: string; check: () => Promise<void> };

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(deps: Deps, registry: Registry, extraChecks: ReadinessCheck[]) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const checks: ReadinessCheck[] = [
        { name: 'database', check: () => pingDatabase(deps.db) },
        ...extraChecks,
      ];
      const results: Record<string, string> = {};
      let ok = true;
      await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), 2000);
            results[name] = 'ok';
          } catch {
            results[name] = 'unavailable';
            ok = false;
          }
        }),
      );
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'unavailable', checks: results });
    });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
