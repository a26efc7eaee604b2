import { ErrorBodySchema } from '../../protocol/schemas/common.js';

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/**
 * The error responses a route documents in OpenAPI: the ones every authenticated call can give
 * (validation, sign-in, permission, throttling, outage) plus the route's own.
 */
export function apiErrors(...extra: Status[]): Partial<Record<Status, typeof ErrorBodySchema>> {
  const statuses: Status[] = [400, 401, 403, 429, 503, ...extra];
  return Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]));
}
