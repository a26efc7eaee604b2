/** Every error code of the wire contract, with the HTTP status it answers. */
export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  session_expired: 401,
  invalid_credentials: 401,
  forbidden: 403,
  account_disabled: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error shape of REST replies and socket acks. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
  };
}

/** A socket acknowledgement: `{ok: true, data}` or `{ok: false, error}`. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody['error'] };
