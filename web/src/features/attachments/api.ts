import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { api, ApiError, currentToken, refreshAccessToken, toApiError } from '../../lib/http.js';

export interface UploadOptions {
  /** Bytes sent so far of the whole request body (the file and its multipart envelope). */
  onProgress?: (loaded: number, total: number) => void;
  /** Aborting stops the request; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
}

const abortError = () => new DOMException('The upload was cancelled', 'AbortError');

interface Reply {
  status: number;
  body: unknown;
}

function parse(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/** One POST of the file through XMLHttpRequest (fetch reports no upload progress). */
function send(file: Blob, name: string, token: string, opts: UploadOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { signal, onProgress } = opts;
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const settle = () => signal?.removeEventListener('abort', onAbort);
    xhr.open('POST', '/api/uploads');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded, e.total);
    };
    xhr.onabort = () => {
      settle();
      reject(abortError());
    };
    xhr.onerror = () => {
      settle();
      reject(
        new ApiError('network', 'The upload was interrupted: the server could not be reached'),
      );
    };
    xhr.onload = () => {
      settle();
      resolve({ status: xhr.status, body: parse(xhr.responseText) });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
}

/**
 * Uploads one file for a message (`POST /api/uploads`, multipart field `file`), reporting
 * progress; resolves to the stored Attachment. A refused access token is refreshed once and
 * the upload sent again, as `api()` does. Rejects with an ApiError in the contract's shape
 * (`payload_too_large`, `rate_limited`, `unsupported_media_type`…) or an AbortError.
 */
export async function uploadAttachment(file: File, opts: UploadOptions = {}): Promise<Attachment> {
  const name = file.name || 'file';
  let res = await send(file, name, await currentToken(), opts);
  if (res.status === 401) {
    const first = toApiError(401, res.body);
    if (first.code !== 'unauthorized') throw first;
    res = await send(file, name, await refreshAccessToken(), opts);
  }
  if (res.status < 200 || res.status >= 300) throw toApiError(res.status, res.body);
  return res.body as Attachment;
}

/** Takes back an upload no message carries yet (the file removed from the composer). */
export function deleteUpload(id: number): Promise<void> {
  return api<void>('DELETE', `/api/uploads/${id}`);
}
