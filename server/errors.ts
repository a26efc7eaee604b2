import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../protocol/errors.js';
import type { DomainEvent } from './events.js';

/** A failure the caller can act on; transports turn it into the contract's error shape. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds to wait before retrying (rate_limited, unavailable). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /**
   * Events of a change that was made and committed although the caller is refused (a reused
   * refresh token revokes its session): transports publish them after answering.
   */
  events: readonly DomainEvent[] = [];

  /** This error, carrying `events` to publish once the refusal is answered. */
  after(events: readonly DomainEvent[]): this {
    this.events = events;
    return this;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const notFound = (what = 'Not found') => new AppError('not_found', what);
export const forbidden = (why = 'You are not allowed to do that') => new AppError('forbidden', why);

/** A validation failure for named fields: `details.fields` maps each path to what is wrong. */
export function validationFailed(fields: Record<string, string>, message?: string): AppError {
  const names = Object.keys(fields);
  return new AppError(
    'validation_failed',
    message ?? (names.length ? `Invalid value for ${names.join(', ')}` : 'Invalid request'),
    { fields },
  );
}

/** A conflict on one unique field, e.g. a taken username. */
export function conflict(field: string, message: string): AppError {
  return new AppError('conflict', message, { field, fields: { [field]: message } });
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'POOL_CLOSED',
  'SQLITE_BUSY',
  // A transaction chosen as a deadlock victim or timed out on a lock: retrying succeeds.
  '40P01', // PostgreSQL deadlock_detected
  '40001', // serialization_failure
  '55P03', // lock_not_available
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** True when an error means the database (or another backing service) cannot be reached now. */
export function isUnavailableError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; fatal?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isUnavailableError)) return true;
  if (e.fatal === true) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Connection lost|connect ECONNREFUSED|Pool is closed|Client has encountered a connection error|driver has already been destroyed/i.test(
    msg,
  );
}

/** True when an insert failed on a unique constraint (any of the three databases). */
export function isUniqueViolation(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; errno?: unknown };
  return (
    e.code === '23505' ||
    e.code === 'ER_DUP_ENTRY' ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * True when the database refused text it cannot store: PostgreSQL rejects NUL characters
 * (22021) and characters outside the database encoding (22P05). The input is at fault.
 */
export function isUnstorableTextError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  return code === '22021' || code === '22P05';
}

/**
 * Maps anything thrown to the contract's error: AppErrors as they are, outages to
 * `unavailable`, text the database cannot store to `validation_failed`, the rest to `internal`.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isUnstorableTextError(err)) {
    return validationFailed(
      {},
      'The request contains a character that cannot be stored, such as a NUL character',
    );
  }
  if (isUnavailableError(err)) {
    return new AppError(
      'unavailable',
      'The service is temporarily unavailable; try again shortly',
      undefined,
      5,
    );
  }
  return new AppError('internal', 'Something went wrong on our side');
}
