import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, tokens } from '../../lib/http.js';
import { uploadAttachment } from './api.js';

type Handler = ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null;

/** A stand-in XMLHttpRequest: the test answers each request it sends. */
class FakeXhr {
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  aborted = false;
  upload: { onprogress: Handler } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k.toLowerCase()] = v;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total });
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = body === null ? '' : JSON.stringify(body);
    this.onload?.();
  }
}

const soon = () => new Date(Date.now() + 15 * 60_000).toISOString();
const tick = () => new Promise((r) => setTimeout(r, 0));
const stored = {
  id: 3,
  name: 'cat.png',
  mime: 'image/png',
  size: 4,
  width: 1,
  height: 1,
  url: '/api/files/3',
  thumbnailUrl: '/api/files/3/thumbnail',
};

beforeEach(() => {
  FakeXhr.sent = [];
  tokens.set('good', soon());
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
});

afterEach(() => {
  vi.unstubAllGlobals();
  tokens.clear();
});

const cat = () => new File([new Uint8Array(4)], 'cat.png', { type: 'image/png' });

describe('uploadAttachment', () => {
  it('posts the file as the multipart field `file` with the bearer token, reporting progress', async () => {
    const seen: Array<[number, number]> = [];
    const p = uploadAttachment(cat(), { onProgress: (l, t) => seen.push([l, t]) });
    await tick();
    const xhr = FakeXhr.sent[0]!;
    expect([xhr.method, xhr.url]).toEqual(['POST', '/api/uploads']);
    expect(xhr.headers.authorization).toBe('Bearer good');
    expect((xhr.body!.get('file') as File).name).toBe('cat.png');
    xhr.progress(100, 400);
    xhr.progress(400, 400);
    xhr.answer(201, stored);
    await expect(p).resolves.toEqual(stored);
    expect(seen).toEqual([
      [100, 400],
      [400, 400],
    ]);
  });

  it('a refusal rejects with the server’s code and message', async () => {
    const p = uploadAttachment(cat());
    await tick();
    FakeXhr.sent[0]!.answer(413, {
      error: {
        code: 'payload_too_large',
        message: 'This would exceed your storage quota of 1024 MB (UPLOAD_QUOTA_MB)',
        details: { quotaBytes: 1024 },
      },
    });
    const err = (await p.catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('payload_too_large');
    expect(err.message).toMatch(/quota of 1024 MB/);
    expect(err.details.quotaBytes).toBe(1024);
  });

  it('aborting stops the request and rejects with an AbortError', async () => {
    const ctl = new AbortController();
    const p = uploadAttachment(cat(), { signal: ctl.signal });
    await tick();
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(FakeXhr.sent[0]!.aborted).toBe(true);
  });

  it('a lost connection is a network error', async () => {
    const p = uploadAttachment(cat());
    await tick();
    FakeXhr.sent[0]!.onerror?.();
    await expect(p).rejects.toMatchObject({ code: 'network' });
  });

  it('a refused token is refreshed once and the file sent again', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Response.json({ accessToken: 'fresh', expiresAt: soon() }, { status: 200 }),
      ),
    );
    const p = uploadAttachment(cat());
    await tick();
    FakeXhr.sent[0]!.answer(401, { error: { code: 'unauthorized', message: 'expired' } });
    await vi.waitFor(() => expect(FakeXhr.sent).toHaveLength(2));
    expect(FakeXhr.sent[1]!.headers.authorization).toBe('Bearer fresh');
    FakeXhr.sent[1]!.answer(201, stored);
    await expect(p).resolves.toEqual(stored);
  });
});
