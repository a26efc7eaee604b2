import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GroupCommit } from '../db/group-commit.js';

/** A registry per app (tests run several apps in one process), with process metrics. */
export function createMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Records every HTTP request's latency by method, route pattern and status. */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const histogram = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [
      0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
      2.5, 5,
    ],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    histogram.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** SQLite group commit: commits and the units they carried (units ÷ commits = batch size). */
export function installCommitMetrics(commits: GroupCommit, registry: Registry): void {
  new Counter({
    name: 'parley_sqlite_group_commits_total',
    help: 'SQLite group-commit transactions committed (one disk sync each)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(commits.commits);
    },
  });
  new Counter({
    name: 'parley_sqlite_group_commit_units_total',
    help: 'Units of work (message sends) committed by SQLite group commits',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(commits.units);
    },
  });
}
