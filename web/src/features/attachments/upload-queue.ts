import { LIMITS } from '../../../../protocol/limits.js';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { ApiError } from '../../lib/http.js';
import { createStore, type Store } from '../../lib/store.js';
import { deleteUpload, uploadAttachment, type UploadOptions } from './api.js';

export type UploadStatus = 'uploading' | 'done' | 'failed';

/** Why an upload failed, as the server said it (`code` is the contract's error code). */
export interface UploadError {
  code: string;
  message: string;
  /** Trying the same file again may work (network, rate limit, server busy). */
  retryable: boolean;
}

/** One file waiting above the composer. */
export interface PendingUpload {
  /** A local key (the upload has no server id until it is stored). */
  key: string;
  name: string;
  size: number;
  /** The browser's idea of the type (the server judges again by the bytes). */
  type: string;
  status: UploadStatus;
  /** Bytes of the request sent so far, of `total`. */
  loaded: number;
  total: number;
  attachment: Attachment | null;
  error: UploadError | null;
}

export interface UploadQueueState {
  items: readonly PendingUpload[];
  /** Something to tell about the queue as a whole (files left out over the limit). */
  notice: string | null;
}

export type UploadAction =
  | { type: 'added'; items: PendingUpload[]; notice: string | null }
  | { type: 'progress'; key: string; loaded: number; total: number }
  | { type: 'uploaded'; key: string; attachment: Attachment }
  | { type: 'failed'; key: string; error: UploadError }
  | { type: 'retrying'; key: string }
  | { type: 'removed'; key: string }
  | { type: 'sent'; keys: readonly string[] }
  | { type: 'notice'; notice: string | null };

export const emptyQueue: UploadQueueState = { items: [], notice: null };

function update(
  s: UploadQueueState,
  key: string,
  change: (item: PendingUpload) => PendingUpload | null,
): UploadQueueState {
  const i = s.items.findIndex((x) => x.key === key);
  if (i < 0) return s;
  const next = change(s.items[i]!);
  if (next === s.items[i]) return s;
  const items = [...s.items];
  if (next) items[i] = next;
  else items.splice(i, 1);
  return { ...s, items };
}

/** The queue's pure reducer: every change of the pending files goes through here. */
export function uploadReducer(s: UploadQueueState, a: UploadAction): UploadQueueState {
  switch (a.type) {
    case 'added':
      return { items: [...s.items, ...a.items], notice: a.notice };
    case 'progress':
      return update(s, a.key, (x) =>
        x.status !== 'uploading' || (x.loaded === a.loaded && x.total === a.total)
          ? x
          : { ...x, loaded: Math.min(a.loaded, a.total), total: a.total },
      );
    case 'uploaded':
      return update(s, a.key, (x) =>
        x.status !== 'uploading'
          ? x
          : { ...x, status: 'done', loaded: x.total, attachment: a.attachment, error: null },
      );
    case 'failed':
      return update(s, a.key, (x) =>
        x.status !== 'uploading' ? x : { ...x, status: 'failed', error: a.error },
      );
    case 'retrying':
      return update(s, a.key, (x) =>
        x.status !== 'failed' ? x : { ...x, status: 'uploading', loaded: 0, error: null },
      );
    case 'removed': {
      const next = update(s, a.key, () => null);
      return next === s ? s : { ...next, notice: null };
    }
    case 'sent': {
      const gone = new Set(a.keys);
      const items = s.items.filter((x) => !gone.has(x.key));
      return items.length === s.items.length && s.notice === null ? s : { items, notice: null };
    }
    case 'notice':
      return s.notice === a.notice ? s : { ...s, notice: a.notice };
  }
}

/** Every file is stored and there is at least one: the message can go. */
export function readyToSend(s: UploadQueueState): boolean {
  return s.items.length > 0 && s.items.every((x) => x.status === 'done');
}

/** Why the files hold the message back, for the send button's tooltip; null when they do not. */
export function sendBlocker(s: UploadQueueState): string | null {
  if (uploading(s)) return 'Waiting for the files to upload';
  if (s.items.some((x) => x.status === 'failed'))
    return 'Remove the files that could not be uploaded';
  return null;
}

/** The stored attachments, in the order the files were added (the order they are shown). */
export function attachmentsOf(s: UploadQueueState): Attachment[] {
  return s.items.flatMap((x) => (x.status === 'done' && x.attachment ? [x.attachment] : []));
}

/** How far one upload is, from 0 to 1. */
export function progressOf(x: PendingUpload): number {
  if (x.status === 'done') return 1;
  return x.total > 0 ? Math.min(1, x.loaded / x.total) : 0;
}

/** Whether any file is still on its way up. */
export function uploading(s: UploadQueueState): boolean {
  return s.items.some((x) => x.status === 'uploading');
}

/** The error to show for a failed upload: the server's own words, with what can be done. */
export function toUploadError(err: unknown): UploadError {
  if (err instanceof ApiError) {
    return {
      code: err.code,
      message: err.message,
      retryable: err.transient,
    };
  }
  return {
    code: 'network',
    message: err instanceof Error ? err.message : 'The upload failed',
    retryable: true,
  };
}

/** The two calls the queue makes; tests give it their own. */
export interface Uploader {
  upload(file: File, opts: Required<UploadOptions>): Promise<Attachment>;
  remove(id: number): Promise<void>;
}

export const httpUploader: Uploader = { upload: uploadAttachment, remove: deleteUpload };

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

let nextKey = 1;

/**
 * The files waiting above one composer: each is uploaded as soon as it is added (several in
 * parallel) and shows its progress; a file removed while on its way is aborted, one removed
 * after it was stored is taken back from the server (DELETE /api/uploads/:id). `take()` hands
 * the stored attachments to a message and empties the queue.
 */
export class UploadQueue {
  readonly store: Store<UploadQueueState, UploadAction>;
  private readonly files = new Map<string, File>();
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly uploader: Uploader = httpUploader,
    private readonly max: number = LIMITS.attachmentsPerMessageMax,
  ) {
    this.store = createStore(uploadReducer, emptyQueue);
  }

  get state(): UploadQueueState {
    return this.store.getState();
  }

  /** Queues files and starts uploading them; files past the per-message limit are left out. */
  add(files: Iterable<File>): void {
    const all = [...files];
    if (all.length === 0) return;
    const room = Math.max(0, this.max - this.state.items.length);
    const taken = all.slice(0, room);
    const left = all.length - taken.length;
    const notice =
      left === 0
        ? null
        : `A message can carry at most ${this.max} files: ${
            left === 1 ? '1 file was' : `${left} files were`
          } left out`;
    const items = taken.map((file): PendingUpload => {
      const key = `u${nextKey++}`;
      this.files.set(key, file);
      return {
        key,
        name: file.name || 'file',
        size: file.size,
        type: file.type,
        status: 'uploading',
        loaded: 0,
        total: file.size,
        attachment: null,
        error: null,
      };
    });
    this.store.dispatch({ type: 'added', items, notice });
    for (const x of items) this.start(x.key);
  }

  /** The file a pending upload was made from (for a local preview), while it is queued. */
  fileOf(key: string): File | undefined {
    return this.files.get(key);
  }

  /** Tries a failed upload again with the same file. */
  retry(key: string): void {
    const x = this.state.items.find((i) => i.key === key);
    if (x?.status !== 'failed' || !this.files.has(key)) return;
    this.store.dispatch({ type: 'retrying', key });
    this.start(key);
  }

  /**
   * Takes a file off the queue: aborts it while it is on its way, takes back the stored copy
   * once it is stored (best effort: an upload never attached is removed by the server after
   * a day anyway).
   */
  remove(key: string): void {
    const x = this.state.items.find((i) => i.key === key);
    if (!x) return;
    this.running.get(key)?.abort();
    this.running.delete(key);
    this.files.delete(key);
    this.store.dispatch({ type: 'removed', key });
    if (x.status === 'done' && x.attachment) this.uploader.remove(x.attachment.id).catch(() => {});
  }

  /**
   * The stored attachments for a message, taken off the queue; null while any file is still
   * uploading or failed (the message waits for all of them).
   */
  take(): Attachment[] | null {
    const s = this.state;
    if (!readyToSend(s)) return null;
    const keys = s.items.map((x) => x.key);
    for (const k of keys) this.files.delete(k);
    this.store.dispatch({ type: 'sent', keys });
    return attachmentsOf(s);
  }

  /** Forgets the notice about files left out. */
  dismissNotice(): void {
    this.store.dispatch({ type: 'notice', notice: null });
  }

  /**
   * Drops every file without asking anything of the server (the session is over): aborts what
   * is on its way; what is stored and never sent is removed by the server after a day.
   */
  abandon(): void {
    for (const c of this.running.values()) c.abort();
    this.running.clear();
    this.files.clear();
    this.store.dispatch({ type: 'sent', keys: this.state.items.map((x) => x.key) });
  }

  /** Removes every file (aborting and taking back as `remove` does). */
  clear(): void {
    for (const x of this.state.items) this.remove(x.key);
  }

  private start(key: string): void {
    const file = this.files.get(key);
    if (!file) return;
    const controller = new AbortController();
    this.running.set(key, controller);
    const onProgress = (loaded: number, total: number) => {
      if (!controller.signal.aborted) this.store.dispatch({ type: 'progress', key, loaded, total });
    };
    this.uploader.upload(file, { onProgress, signal: controller.signal }).then(
      (attachment) => {
        const current = this.running.get(key) === controller;
        if (current) this.running.delete(key);
        if (!current || controller.signal.aborted || !this.state.items.some((x) => x.key === key)) {
          // Removed while the answer was on its way: nobody wants this copy.
          this.uploader.remove(attachment.id).catch(() => {});
          return;
        }
        this.store.dispatch({ type: 'uploaded', key, attachment });
      },
      (err: unknown) => {
        if (this.running.get(key) !== controller) return;
        this.running.delete(key);
        if (isAbort(err)) return;
        this.store.dispatch({ type: 'failed', key, error: toUploadError(err) });
      },
    );
  }
}

const queues = new Map<string, UploadQueue>();

/**
 * The queue of one user's composer in one conversation, kept for the life of the page, so
 * files keep uploading (and stay ready to send) while the user looks at another conversation.
 */
export function uploadQueueFor(userId: number, conversationId: number): UploadQueue {
  const key = `${userId}:${conversationId}`;
  let q = queues.get(key);
  if (!q) {
    q = new UploadQueue();
    queues.set(key, q);
  }
  return q;
}

/** Drops every queue of the page (the session ended): uploads on their way are aborted. */
export function forgetUploadQueues(): void {
  for (const q of queues.values()) q.abandon();
  queues.clear();
}
