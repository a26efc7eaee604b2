import { describe, expect, it } from 'vitest';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { ApiError } from '../../lib/http.js';
import {
  attachmentsOf,
  emptyQueue,
  forgetUploadQueues,
  progressOf,
  readyToSend,
  toUploadError,
  uploadQueueFor,
  UploadQueue,
  uploadReducer,
  uploading,
  type PendingUpload,
  type Uploader,
} from './upload-queue.js';

const file = (name: string, size = 100, type = 'image/png') =>
  new File([new Uint8Array(size)], name, { type });

const attachment = (id: number, name: string, over: Partial<Attachment> = {}): Attachment => ({
  id,
  name,
  mime: 'image/png',
  size: 90,
  width: 40,
  height: 30,
  url: `/api/files/${id}`,
  thumbnailUrl: `/api/files/${id}/thumbnail`,
  ...over,
});

interface Call {
  file: File;
  progress: (loaded: number, total: number) => void;
  signal: AbortSignal;
  resolve: (a: Attachment) => void;
  reject: (e: unknown) => void;
}

/** An uploader whose every call waits until the test settles it. */
function fakeUploader() {
  const calls: Call[] = [];
  const removed: number[] = [];
  const uploader: Uploader = {
    upload: (f, { onProgress, signal }) =>
      new Promise<Attachment>((resolve, reject) => {
        signal.addEventListener('abort', () =>
          reject(new DOMException('The upload was cancelled', 'AbortError')),
        );
        calls.push({ file: f, progress: onProgress, signal, resolve, reject });
      }),
    remove: async (id) => {
      removed.push(id);
    },
  };
  return { uploader, calls, removed };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

const item = (over: Partial<PendingUpload> = {}): PendingUpload => ({
  key: 'k1',
  name: 'a.png',
  size: 100,
  type: 'image/png',
  status: 'uploading',
  loaded: 0,
  total: 100,
  attachment: null,
  error: null,
  ...over,
});

describe('upload queue state', () => {
  it('is ready to send only when every file is stored, and there is at least one', () => {
    expect(readyToSend(emptyQueue)).toBe(false);
    let s = uploadReducer(emptyQueue, {
      type: 'added',
      items: [item({ key: 'a' }), item({ key: 'b' })],
      notice: null,
    });
    expect(uploading(s)).toBe(true);
    s = uploadReducer(s, { type: 'uploaded', key: 'a', attachment: attachment(1, 'a.png') });
    expect(readyToSend(s)).toBe(false);
    s = uploadReducer(s, { type: 'uploaded', key: 'b', attachment: attachment(2, 'b.png') });
    expect(readyToSend(s)).toBe(true);
    expect(uploading(s)).toBe(false);
    expect(attachmentsOf(s).map((a) => a.id)).toEqual([1, 2]);
  });

  it('a failed file holds the message back until it is removed', () => {
    let s = uploadReducer(emptyQueue, {
      type: 'added',
      items: [item({ key: 'a' }), item({ key: 'b' })],
      notice: null,
    });
    s = uploadReducer(s, { type: 'uploaded', key: 'a', attachment: attachment(1, 'a.png') });
    s = uploadReducer(s, {
      type: 'failed',
      key: 'b',
      error: { code: 'payload_too_large', message: 'too big', retryable: false },
    });
    expect(readyToSend(s)).toBe(false);
    s = uploadReducer(s, { type: 'removed', key: 'b' });
    expect(readyToSend(s)).toBe(true);
  });

  it('progress moves only while uploading, never past the total, and unchanged is the same state', () => {
    let s = uploadReducer(emptyQueue, { type: 'added', items: [item()], notice: null });
    s = uploadReducer(s, { type: 'progress', key: 'k1', loaded: 50, total: 200 });
    expect(progressOf(s.items[0]!)).toBe(0.25);
    expect(uploadReducer(s, { type: 'progress', key: 'k1', loaded: 50, total: 200 })).toBe(s);
    s = uploadReducer(s, { type: 'progress', key: 'k1', loaded: 500, total: 200 });
    expect(progressOf(s.items[0]!)).toBe(1);
    s = uploadReducer(s, { type: 'uploaded', key: 'k1', attachment: attachment(1, 'a.png') });
    expect(uploadReducer(s, { type: 'progress', key: 'k1', loaded: 1, total: 200 })).toBe(s);
    expect(uploadReducer(s, { type: 'progress', key: 'nope', loaded: 1, total: 2 })).toBe(s);
  });

  it('a retry starts a failed file again from zero; a stored one is not retried', () => {
    let s = uploadReducer(emptyQueue, { type: 'added', items: [item()], notice: null });
    s = uploadReducer(s, { type: 'progress', key: 'k1', loaded: 60, total: 100 });
    s = uploadReducer(s, {
      type: 'failed',
      key: 'k1',
      error: { code: 'network', message: 'lost', retryable: true },
    });
    s = uploadReducer(s, { type: 'retrying', key: 'k1' });
    expect(s.items[0]).toMatchObject({ status: 'uploading', loaded: 0, error: null });
    s = uploadReducer(s, { type: 'uploaded', key: 'k1', attachment: attachment(1, 'a.png') });
    expect(uploadReducer(s, { type: 'retrying', key: 'k1' })).toBe(s);
  });

  it('server errors keep their code and message; only passing troubles may be retried', () => {
    const tooBig = toUploadError(
      new ApiError('payload_too_large', 'This would exceed your storage quota of 1024 MB', 413),
    );
    expect(tooBig).toEqual({
      code: 'payload_too_large',
      message: 'This would exceed your storage quota of 1024 MB',
      retryable: false,
    });
    expect(toUploadError(new ApiError('rate_limited', 'Too many uploads', 429)).retryable).toBe(
      true,
    );
    expect(
      toUploadError(new ApiError('unsupported_media_type', 'cannot be decoded', 415)).retryable,
    ).toBe(false);
    expect(toUploadError(new Error('boom'))).toMatchObject({ code: 'network', message: 'boom' });
  });
});

describe('UploadQueue', () => {
  it('uploads every added file at once and reports each one’s progress', async () => {
    const { uploader, calls } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('a.png'), file('b.pdf', 300, 'application/pdf')]);
    expect(calls.map((c) => c.file.name)).toEqual(['a.png', 'b.pdf']);
    expect(q.state.items.map((x) => x.status)).toEqual(['uploading', 'uploading']);

    calls[1]!.progress(150, 300);
    expect(progressOf(q.state.items[1]!)).toBe(0.5);
    expect(q.take()).toBeNull();

    calls[1]!.resolve(attachment(8, 'b.pdf', { mime: 'application/pdf', width: null }));
    calls[0]!.resolve(attachment(7, 'a.png'));
    await flush();
    expect(readyToSend(q.state)).toBe(true);
    // In the order the files were added, whatever order they finished in.
    expect(q.take()!.map((a) => a.id)).toEqual([7, 8]);
    expect(q.state.items).toEqual([]);
  });

  it('cancelling a file on its way aborts its request and asks nothing of the server', async () => {
    const { uploader, calls, removed } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('big.png', 5000)]);
    calls[0]!.progress(1000, 5000);
    q.remove(q.state.items[0]!.key);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(q.state.items).toEqual([]);
    await flush();
    expect(removed).toEqual([]);
    expect(q.state.items).toEqual([]);
  });

  it('removing a stored file takes it back from the server (DELETE)', async () => {
    const { uploader, calls, removed } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('a.png'), file('b.png')]);
    calls[0]!.resolve(attachment(11, 'a.png'));
    calls[1]!.resolve(attachment(12, 'b.png'));
    await flush();
    q.remove(q.state.items[0]!.key);
    expect(removed).toEqual([11]);
    expect(attachmentsOf(q.state).map((a) => a.id)).toEqual([12]);
  });

  it('an answer that comes after the file was removed is taken back too', async () => {
    const { calls, removed } = fakeUploader();
    // An uploader that ignores the abort (the server had stored it already).
    const stubborn: Uploader = {
      upload: (f) =>
        new Promise<Attachment>((resolve) => {
          calls.push({
            file: f,
            progress: () => {},
            signal: new AbortController().signal,
            resolve,
            reject: () => {},
          });
        }),
      remove: async (id) => {
        removed.push(id);
      },
    };
    const q = new UploadQueue(stubborn);
    q.add([file('a.png')]);
    q.remove(q.state.items[0]!.key);
    calls[0]!.resolve(attachment(21, 'a.png'));
    await flush();
    expect(removed).toEqual([21]);
    expect(q.state.items).toEqual([]);
  });

  it('a refused file shows the server’s reason; a passing failure can be retried', async () => {
    const { uploader, calls, removed } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('huge.bin', 10, ''), file('busy.png')]);
    calls[0]!.reject(
      new ApiError('payload_too_large', 'The file is larger than 16 MB (MAX_UPLOAD_MB)', 413),
    );
    calls[1]!.reject(new ApiError('rate_limited', 'Too many uploads; try again in 30 s', 429));
    await flush();
    const [huge, busy] = q.state.items;
    expect(huge).toMatchObject({
      status: 'failed',
      error: {
        code: 'payload_too_large',
        message: 'The file is larger than 16 MB (MAX_UPLOAD_MB)',
      },
    });
    expect(busy!.error).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(q.take()).toBeNull();

    q.retry(huge!.key); // not retryable by its nature, but the user may insist: same file again
    q.retry(busy!.key);
    expect(calls.map((c) => c.file.name)).toEqual(['huge.bin', 'busy.png', 'huge.bin', 'busy.png']);
    calls[3]!.resolve(attachment(31, 'busy.png'));
    q.remove(huge!.key);
    await flush();
    expect(removed).toEqual([]);
    expect(q.take()!.map((a) => a.id)).toEqual([31]);
  });

  it('keeps at most the per-message limit and says how many files were left out', () => {
    const { uploader, calls } = fakeUploader();
    const q = new UploadQueue(uploader, 3);
    q.add([file('1.png'), file('2.png')]);
    q.add([file('3.png'), file('4.png'), file('5.png')]);
    expect(q.state.items.map((x) => x.name)).toEqual(['1.png', '2.png', '3.png']);
    expect(calls).toHaveLength(3);
    expect(q.state.notice).toBe('A message can carry at most 3 files: 2 files were left out');
    q.dismissNotice();
    expect(q.state.notice).toBeNull();
  });

  it('clear aborts what is on its way and takes back what is stored', async () => {
    const { uploader, calls, removed } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('a.png'), file('b.png')]);
    calls[0]!.resolve(attachment(41, 'a.png'));
    await flush();
    q.clear();
    expect(calls[1]!.signal.aborted).toBe(true);
    expect(removed).toEqual([41]);
    expect(q.state.items).toEqual([]);
  });

  it('abandon aborts what is on its way and asks nothing of the server', async () => {
    const { uploader, calls, removed } = fakeUploader();
    const q = new UploadQueue(uploader);
    q.add([file('a.png'), file('b.png')]);
    calls[0]!.resolve(attachment(51, 'a.png'));
    await flush();
    q.abandon();
    expect(calls[1]!.signal.aborted).toBe(true);
    expect(q.state.items).toEqual([]);
    await flush();
    expect(removed).toEqual([]);
    expect(q.state.items).toEqual([]);
  });

  it('the session ending aborts the uploads of every queue and starts the next one empty', () => {
    const { uploader, calls } = fakeUploader();
    const q = uploadQueueFor(9, 1);
    // The page's queues upload through the real API; swap in the fake for this one.
    (q as unknown as { uploader: Uploader }).uploader = uploader;
    q.add([file('c.png')]);
    forgetUploadQueues();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(q.state.items).toEqual([]);
    expect(uploadQueueFor(9, 1)).not.toBe(q);
  });

  it('keeps one queue per user and conversation', () => {
    expect(uploadQueueFor(1, 5)).toBe(uploadQueueFor(1, 5));
    expect(uploadQueueFor(1, 5)).not.toBe(uploadQueueFor(1, 6));
    expect(uploadQueueFor(1, 5)).not.toBe(uploadQueueFor(2, 5));
  });
});
