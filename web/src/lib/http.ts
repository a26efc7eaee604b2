import type { ErrorBody, ErrorCode } from '../../../protocol/errors.js';
import type { RefreshResult } from '../../../protocol/schemas/auth.js';
import { CLIENT_HEADER } from '../../../protocol/limits.js';

/** A failed call, in the contract's error shape. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
    readonly status = 0,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field name → what is wrong with it, from `details.fields` (validation and conflicts). */
  get fields(): Record<string, string> {
    const raw = this.details.fields;
    const out: Record<string, string> = {};
    if (raw && typeof raw === 'object') {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v === 'string') out[k.replace(/^body\./, '')] = v;
      }
    }
    return out;
  }

  /** Errors worth trying again later (the server or the network was the problem). */
  get transient(): boolean {
    return (
      this.code === 'network' ||
      this.code === 'unavailable' ||
      this.code === 'rate_limited' ||
      this.code === 'internal'
    );
  }
}

/** Turns any thrown value into a sentence for the user. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong';
}

function isErrorBody(x: unknown): x is ErrorBody {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as ErrorBody).error?.code === 'string' &&
    typeof (x as ErrorBody).error.message === 'string'
  );
}

/** Builds an ApiError from a response status and its parsed body. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) {
    return new ApiError(body.error.code, body.error.message, status, body.error.details ?? {});
  }
  if (status === 0) return new ApiError('network', 'Cannot reach the server', 0);
  return new ApiError(status >= 500 ? 'internal' : 'validation_failed', `HTTP ${status}`, status);
}

// The access token lives only in this module's memory (never in web storage); the refresh
// token is an HttpOnly cookie the page cannot read.
let accessToken: string | null = null;
let accessExpiresAt = 0;
let onSessionEnded: (reason: ApiError) => void = () => {};
let refreshing: Promise<string> | null = null;

export const tokens = {
  set(token: string, expiresAt: string): void {
    accessToken = token;
    accessExpiresAt = Date.parse(expiresAt);
  },
  clear(): void {
    accessToken = null;
    accessExpiresAt = 0;
  },
  has(): boolean {
    return accessToken !== null;
  },
  /** Called once whenever the server says the session is over (expired or revoked). */
  onSessionEnded(fn: (reason: ApiError) => void): void {
    onSessionEnded = fn;
  },
};

const SKEW_MS = 30_000;

async function postRefresh(): Promise<RefreshResult> {
  let res: Response;
  try {
    res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { [CLIENT_HEADER]: 'web' },
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('network', 'Cannot reach the server');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw toApiError(res.status, body);
  return body as RefreshResult;
}

/**
 * Trades the refresh cookie for a new access token. Each refresh rotates the cookie and a
 * reused cookie ends the session, so refreshes are serialized: within the tab by sharing one
 * promise, across tabs by a Web Lock (every tab holds its own access token, so each still
 * refreshes, one after another, each with the cookie the previous one left).
 */
export function refreshAccessToken(): Promise<string> {
  refreshing ??= (async () => {
    try {
      const run = async () => {
        const r = await postRefresh();
        tokens.set(r.accessToken, r.expiresAt);
        return r.accessToken;
      };
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      return locks ? await locks.request('parley-refresh', run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** A token good for at least the next half minute, refreshing first when needed. */
export async function currentToken(): Promise<string> {
  if (accessToken && accessExpiresAt - Date.now() > SKEW_MS) return accessToken;
  try {
    return await refreshAccessToken();
  } catch (err) {
    if (err instanceof ApiError && isSessionOver(err)) endSession(err);
    throw err;
  }
}

function isSessionOver(err: ApiError): boolean {
  return err.code === 'session_expired' || err.code === 'unauthorized';
}

function endSession(err: ApiError): void {
  if (accessToken === null) return;
  tokens.clear();
  onSessionEnded(err);
}

export interface RequestOptions {
  /** Send without a bearer token (sign-in, sign-up). */
  anonymous?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** One REST call: JSON in and out, bearer token attached, one silent refresh on 401. */
export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const attempt = async (token: string | null): Promise<Response> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError('network', 'Cannot reach the server');
    }
  };

  let res = await attempt(opts.anonymous ? null : await currentToken());
  if (res.status === 401 && !opts.anonymous) {
    const first = toApiError(401, await res.json().catch(() => null));
    if (first.code !== 'unauthorized') {
      endSession(first);
      throw first;
    }
    // The access token was refused (expired early, or the secret changed): refresh once.
    let token: string;
    try {
      token = await refreshAccessToken();
    } catch (err) {
      if (err instanceof ApiError && isSessionOver(err)) endSession(err);
      throw err;
    }
    res = await attempt(token);
  }
  return readReply<T>(res, opts.anonymous === true);
}

async function readReply<T>(res: Response, anonymous: boolean): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const err = toApiError(res.status, parsed);
    if (!anonymous && res.status === 401) endSession(err);
    throw err;
  }
  return parsed as T;
}

/** Uploads one file as multipart field `file`, reporting progress from 0 to 1. */
export async function upload<T>(
  method: 'PUT' | 'POST',
  path: string,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<T> {
  const token = await currentToken();
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError('network', 'Cannot reach the server'));
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        parsed = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(parsed as T);
      } else {
        const err = toApiError(xhr.status, parsed);
        if (xhr.status === 401) endSession(err);
        reject(err);
      }
    };
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
}
