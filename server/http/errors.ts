import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, toAppError, validationFailed } from '../errors.js';
import type { EventBus } from '../events.js';

type Issue = {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[] } };
};

/** Names each failing field by its path ("body.password", "query.limit"), with zod's reason. */
function fieldsOf(context: string | undefined, issues: Issue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const i of issues) {
    const path = (i.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const name = path !== '' ? path : (context ?? 'body');
    fields[name] ??= i.message ?? 'is invalid';
  }
  return fields;
}

/** Turns any framework error into the contract's error, keeping the real status where it is meaningful. */
function fromFramework(err: FastifyError): AppError {
  if (hasZodFastifySchemaValidationErrors(err)) {
    return validationFailed(fieldsOf(err.validationContext, err.validation));
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Unsupported Content-Type for this endpoint');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('payload_too_large', 'The request body is too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return validationFailed({ body: 'is required' }, 'The request body is empty');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('unsupported_media_type', 'Expected a multipart/form-data upload');
    default:
      break;
  }
  const status = err.statusCode ?? 500;
  if (status === 413) return new AppError('payload_too_large', 'The request body is too large');
  if (status === 415) return new AppError('unsupported_media_type', 'Unsupported media type');
  if (status >= 400 && status < 500) {
    // Broken JSON, prototype poisoning, bad content length: the body is what is wrong.
    return validationFailed(
      { body: 'is not valid JSON for this endpoint' },
      'The request body could not be parsed',
    );
  }
  return toAppError(err);
}

/** Sends an AppError in the contract's shape, with Retry-After where it applies. */
export function sendError(reply: FastifyReply, e: AppError): FastifyReply {
  if (e.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.retryAfterSeconds));
  return reply.code(e.status).type('application/json; charset=utf-8').send(e.toBody());
}

/** Installs the one error handler and the JSON 404 for /api. */
export function installErrorHandling(app: FastifyInstance, events: EventBus): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const e = err instanceof AppError ? err : fromFramework(err);
    if (e.code === 'internal') request.log.error({ err }, 'request failed');
    else if (e.code === 'unavailable')
      request.log.warn(
        { err: { message: err.message, code: err.code } },
        'backing service unavailable',
      );
    const sent = sendError(reply, e);
    events.publishAll(e.events);
    return sent;
  });
}

/**
 * For Fastify's `frameworkErrors` option: failures raised before routing (a URL that cannot be
 * decoded, an over-long path parameter) answered in the contract's shape, not Fastify's own.
 */
export function frameworkError(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const e =
    err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? validationFailed({ url: 'is not a valid URL' }, 'The request URL is not valid')
      : toAppError(err);
  reply.header('cache-control', 'no-store');
  void sendError(reply, e);
}

export function apiNotFound(reply: FastifyReply): FastifyReply {
  return sendError(reply, new AppError('not_found', 'No such endpoint'));
}
