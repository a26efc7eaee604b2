// v1.1 "Files in messages": upload, attach on send (socket and REST), read by whoever can read
// the message, gone for outsiders and former members, and removed from storage with the message;
// on local disk and on a real S3-compatible server (s3rver) started here.
import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/api.js';
import { Chat, expectAckError, expectError, expectMessage } from '../helpers/chat.js';
import {
  fetchBytes,
  fileRow,
  gif,
  jpeg,
  noise,
  png,
  storeProbe,
  upload,
  webp,
  type StoreProbe,
} from '../helpers/files.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connectSocket, waitForNew, type TestSocket } from '../helpers/socket.js';

const cid = () => randomBytes(6).toString('hex');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Asserts the exact Attachment shape. */
function expectAttachment(a: any, expected: Record<string, unknown> = {}): void {
  expect(Object.keys(a).sort()).toEqual(
    ['height', 'id', 'mime', 'name', 'size', 'thumbnailUrl', 'url', 'width'].sort(),
  );
  expect(Number.isSafeInteger(a.id) && a.id > 0).toBe(true);
  expect(a.url).toBe(`/api/files/${a.id}`);
  expect(a.thumbnailUrl === null || a.thumbnailUrl === `/api/files/${a.id}/thumbnail`).toBe(true);
  expect(Number.isSafeInteger(a.size) && a.size > 0).toBe(true);
  expect(a).toMatchObject(expected);
}

describe.each(['local', 's3'] as const)('attachments on %s storage', (kind) => {
  let t: TestServer;
  let s3: TestS3 | null = null;
  let store: StoreProbe;
  let chat: Chat;
  const open: TestSocket[] = [];

  beforeAll(async () => {
    if (kind === 's3') s3 = await startTestS3();
    t = await startTestServer({
      ...s3?.env,
      MESSAGES_PER_SECOND: '10000',
      SOCKET_EVENTS_PER_SECOND: '10000',
    });
    store = storeProbe(t, s3);
    chat = new Chat(t.api);
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
    await s3?.close();
  });

  const users = (n: number) => Promise.all(Array.from({ length: n }, () => registerUser(t.api)));
  async function connect(u: TestUser): Promise<TestSocket> {
    const s = await connectSocket(t.url, u.token);
    open.push(s);
    return s;
  }
  async function uploaded(u: TestUser, bytes: Buffer, name: string, type?: string) {
    const res = await upload(t.api, u, bytes, name, type);
    expect(res.status, res.text).toBe(201);
    expectAttachment(res.body);
    return res.body;
  }
  /** The stored objects of an upload (file and thumbnail), from its row. */
  async function objectsOf(id: number): Promise<string[]> {
    const row = await fileRow(t, id);
    if (!row) return [];
    return row.thumb_key ? [row.storage_key, row.thumb_key] : [row.storage_key];
  }
  const send = (u: TestUser, conversationId: number, body: Record<string, unknown>) =>
    t.api.post(`/api/conversations/${conversationId}/messages`, body, { token: u.token });

  it('uploads any file: its type judged by the bytes, stored under a generated key', async () => {
    const [a, b] = await users(2);
    expect(t.deps.files.kind).toBe(kind);
    const bytes = noise(5000);
    const file = await uploaded(a!, bytes, 'notes.txt', 'text/plain');
    expectAttachment(file, {
      name: 'notes.txt',
      mime: 'application/octet-stream',
      size: 5000,
      width: null,
      height: null,
      thumbnailUrl: null,
    });
    const row = await fileRow(t, file.id);
    expect(row).toMatchObject({
      owner_id: a!.id,
      kind: 'attachment',
      message_id: null,
      name: 'notes.txt',
      sha256: sha(bytes),
    });
    expect(row!.storage_key).toMatch(/^uploads\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
    expect(Number(row!.expires_at) - Number(row!.created_at)).toBe(24 * 3600 * 1000);
    expect(await store.has(row!.storage_key)).toBe(true);
    expect(sha(await store.read(row!.storage_key))).toBe(sha(bytes));

    // Before it is attached, only the uploader reads it; anyone else gets 404.
    const mine = await fetchBytes(t, file.url, { token: a!.token });
    expect(mine.status).toBe(200);
    expect(mine.bytes.equals(bytes)).toBe(true);
    const theirs = await fetchBytes(t, file.url, { token: b!.token });
    expect(theirs.status).toBe(404);
    expect(JSON.parse(theirs.text).error.code).toBe('not_found');
    // Without a sign-in: 401.
    expect((await fetchBytes(t, file.url)).status).toBe(401);
  });

  it.each([
    ['PNG', png, 'image/png'],
    ['JPEG', jpeg, 'image/jpeg'],
    ['GIF', gif, 'image/gif'],
    ['WebP', webp, 'image/webp'],
  ] as const)('%s gets its size, a thumbnail and a re-encoded copy', async (_n, make, mime) => {
    const [a] = await users(1);
    const input = await make(640, 480);
    // Named and declared as something else: the bytes decide.
    const img = await uploaded(a!, input, 'picture.dat', 'application/pdf');
    expectAttachment(img, { mime, width: 640, height: 480, name: 'picture.dat' });
    expect(img.thumbnailUrl).toBe(`${img.url}/thumbnail`);
    const row = await fileRow(t, img.id);
    const stored = await store.read(row!.storage_key);
    expect(Number(row!.size)).toBe(stored.length);
    expect(img.size).toBe(stored.length);
    expect(row!.sha256).toBe(sha(stored));

    const served = await fetchBytes(t, img.url, { token: a!.token });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe(mime);
    expect(served.bytes.equals(stored)).toBe(true);
    const meta = await sharp(served.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([640, 480]);

    const thumb = await fetchBytes(t, img.thumbnailUrl, { token: a!.token });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const tm = await sharp(thumb.bytes).metadata();
    expect([tm.format, tm.width, tm.height]).toEqual(['webp', 400, 300]);
    expect(await store.has(row!.thumb_key!)).toBe(true);
  });

  it('upload → send → read by members → 404 to outsiders and former members → delete removes the files', async () => {
    const [a, b, c, outsider] = await users(4);
    const g = await chat.group(a!, { memberIds: [b!.id, c!.id] });
    const doc = noise(20_000);
    const photo = await png(300, 200, '#ff00ff');
    const fDoc = await uploaded(a!, doc, 'report.bin');
    const fImg = await uploaded(a!, photo, 'photo.png', 'image/png');
    const objects = [...(await objectsOf(fDoc.id)), ...(await objectsOf(fImg.id))];
    expect(objects).toHaveLength(3);
    for (const k of objects) expect(await store.has(k), k).toBe(true);

    const [sa, sb] = await Promise.all([connect(a!), connect(b!)]);
    const arrived = waitForNew(sb, 'message:new', (m) => m.conversationId === g.id);
    const ack = await sa.request('message:send', {
      conversationId: g.id,
      clientId: cid(),
      body: '',
      attachmentIds: [fImg.id, fDoc.id],
    });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    expectMessage(ack.data, { body: '', senderId: a!.id });
    // In the order they were given.
    expect(ack.data.attachments.map((x: any) => x.id)).toEqual([fImg.id, fDoc.id]);
    expect(ack.data.attachments).toEqual([fImg, fDoc]);
    const m = ack.data;
    expect((await arrived).attachments).toEqual([fImg, fDoc]);
    expect((await fileRow(t, fDoc.id))!.expires_at).toBeNull();

    // Everywhere the message is sent: history, changes, one message, lastMessage.
    const page = await chat.history(b!, g.id);
    expect(page.messages.find((x: any) => x.id === m.id).attachments).toEqual([fImg, fDoc]);
    const changes = await t.api.get(`/api/conversations/${g.id}/changes?since=0`, {
      token: c!.token,
    });
    expect(changes.body.messages.find((x: any) => x.id === m.id).attachments).toEqual([fImg, fDoc]);
    const one = await t.api.get(`/api/messages/${m.id}`, { token: c!.token });
    expect(one.body.attachments).toEqual([fImg, fDoc]);
    expect((await chat.view(b!, g.id)).lastMessage.attachments).toEqual([fImg, fDoc]);

    // Members read the bytes, as uploaded (the image as stored, re-encoded).
    for (const u of [a!, b!, c!]) {
      const got = await fetchBytes(t, fDoc.url, { token: u.token });
      expect(got.status).toBe(200);
      expect(got.bytes.equals(doc)).toBe(true);
      expect(got.headers.get('content-type')).toBe('application/octet-stream');
      expect(got.headers.get('content-disposition')).toBe(
        `attachment; filename="report.bin"; filename*=UTF-8''report.bin`,
      );
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      const image = await fetchBytes(t, fImg.url, { token: u.token });
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
      expect(image.bytes.equals(await store.read(objects[1]!))).toBe(true);
      expect((await fetchBytes(t, fImg.thumbnailUrl, { token: u.token })).status).toBe(200);
    }

    // An outsider: 404, exactly as for an id that does not exist.
    const missing = await fetchBytes(t, '/api/files/987654321', { token: outsider!.token });
    for (const url of [fDoc.url, fImg.url, fImg.thumbnailUrl]) {
      const res = await fetchBytes(t, url, { token: outsider!.token });
      expect(res.status, url).toBe(404);
      expect(res.text).toBe(missing.text);
    }

    // A removed member: 404 from then on.
    await chat.remove(a!, g.id, c!.id);
    for (const url of [fDoc.url, fImg.url, fImg.thumbnailUrl]) {
      expect((await fetchBytes(t, url, { token: c!.token })).status, url).toBe(404);
    }
    expect((await fetchBytes(t, fDoc.url, { token: b!.token })).status).toBe(200);

    // Deleting the message: a tombstone without attachments, every member told, files gone.
    const updated = waitForNew(sb, 'message:updated', (x) => x.id === m.id);
    const del = await sa.request('message:delete', { messageId: m.id });
    expect(del.ok, JSON.stringify(del)).toBe(true);
    expectMessage(del.data, { attachments: [], body: '' });
    expect(del.data.deletedAt).not.toBeNull();
    expect((await updated).attachments).toEqual([]);
    for (const k of objects) expect(await store.has(k), k).toBe(false);
    expect(await fileRow(t, fDoc.id)).toBeUndefined();
    expect(await fileRow(t, fImg.id)).toBeUndefined();
    for (const u of [a!, b!]) {
      expect((await fetchBytes(t, fDoc.url, { token: u.token })).status).toBe(404);
      expect((await fetchBytes(t, fImg.thumbnailUrl, { token: u.token })).status).toBe(404);
    }
    const after = await chat.history(a!, g.id);
    expect(after.messages.find((x: any) => x.id === m.id).attachments).toEqual([]);
    // A second delete changes nothing and fails nothing.
    expect((await sa.request('message:delete', { messageId: m.id })).ok).toBe(true);
  });

  it('a file in a public group is readable by any signed-in user; deleting the group removes it', async () => {
    const [a, stranger] = await users(2);
    const g = await chat.group(a!, { isPrivate: false, name: 'Open' });
    const f = await uploaded(a!, noise(3000), 'open.bin');
    const sent = await send(a!, g.id, { body: 'for all', attachmentIds: [f.id] });
    expect(sent.status, sent.text).toBe(201);
    expect((await fetchBytes(t, f.url, { token: stranger!.token })).status).toBe(200);
    const keys = await objectsOf(f.id);
    expect(await store.has(keys[0]!)).toBe(true);
    const del = await t.api.delete(`/api/conversations/${g.id}`, { token: a!.token });
    expect(del.status).toBe(204);
    expect(await store.has(keys[0]!)).toBe(false);
    expect(await fileRow(t, f.id)).toBeUndefined();
    expect((await fetchBytes(t, f.url, { token: a!.token })).status).toBe(404);
  });

  it('the last member leaving a group removes its files too', async () => {
    const [a] = await users(1);
    const g = await chat.group(a!);
    const f = await uploaded(a!, noise(100), 'x.bin');
    expect((await send(a!, g.id, { body: 'x', attachmentIds: [f.id] })).status).toBe(201);
    const [key] = await objectsOf(f.id);
    await chat.leave(a!, g.id);
    expect(await store.has(key!)).toBe(false);
  });

  it('attachmentIds must be the sender’s own uploads, unattached, existing, at most 10, each once', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const mine = await uploaded(a!, noise(100), 'a.bin');
    const theirs = await uploaded(b!, noise(100), 'b.bin');
    const used = await uploaded(a!, noise(100), 'used.bin');
    expect((await send(a!, dm.id, { body: 'first', attachmentIds: [used.id] })).status).toBe(201);
    const before = (await chat.view(a!, dm.id)).lastSeq;

    const refused: Array<[string, unknown]> = [
      ["someone else's upload", [theirs.id]],
      ['an upload already attached', [used.id]],
      ['an id that does not exist', [999_999]],
      ['one good and one bad', [mine.id, theirs.id]],
    ];
    for (const [what, ids] of refused) {
      const res = await send(a!, dm.id, { body: 'x', attachmentIds: ids });
      expectError(res, 400, 'validation_failed');
      expect(Object.keys(res.body.error.details.fields), what).toEqual(['attachmentIds']);
    }
    for (const [what, ids] of [
      ['eleven', Array.from({ length: 11 }, (_, i) => i + 1)],
      ['twice the same', [mine.id, mine.id]],
      ['not numbers', ['1']],
    ] as const) {
      const res = await send(a!, dm.id, { body: 'x', attachmentIds: ids });
      expectError(res, 400, 'validation_failed');
      for (const field of Object.keys(res.body.error.details.fields)) {
        expect(field, what).toMatch(/^attachmentIds(\.\d+)?$/);
      }
    }
    // The same over the socket.
    const sa = await connect(a!);
    const ack = await sa.request('message:send', {
      conversationId: dm.id,
      clientId: cid(),
      body: '',
      attachmentIds: [theirs.id],
    });
    expectAckError(ack, 'validation_failed');
    // Nothing was stored, and the good upload is still free to attach.
    expect((await chat.view(a!, dm.id)).lastSeq).toBe(before);
    expect((await fileRow(t, mine.id))!.message_id).toBeNull();
    const ok = await send(a!, dm.id, { body: '', attachmentIds: [mine.id] });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.attachments.map((x: any) => x.id)).toEqual([mine.id]);
  });

  it('an empty body needs attachments; a clientId repeat answers the stored message first', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    for (const body of ['', '   ', '\n\t']) {
      const res = await send(a!, dm.id, { body });
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details.fields).toEqual({ body: 'must not be empty' });
      expectError(await send(a!, dm.id, { body, attachmentIds: [] }), 400, 'validation_failed');
    }
    const sa = await connect(a!);
    expectAckError(
      await sa.request('message:send', { conversationId: dm.id, clientId: cid(), body: '' }),
      'validation_failed',
    );
    // An invisible-only body stays refused, attachments or not.
    const f = await uploaded(a!, noise(100), 'f.bin');
    expectError(
      await send(a!, dm.id, { body: '\u200b', attachmentIds: [f.id] }),
      400,
      'validation_failed',
    );

    const clientId = cid();
    const first = await send(a!, dm.id, { clientId, body: ' ', attachmentIds: [f.id] });
    expect(first.status, first.text).toBe(201);
    expect(first.body.body).toBe('');
    // The same send again (its upload now attached): the stored message, nothing new.
    const again = await send(a!, dm.id, { clientId, body: ' ', attachmentIds: [f.id] });
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, attachments: first.body.attachments });
    const ack = await sa.request('message:send', {
      conversationId: dm.id,
      clientId,
      body: '',
      attachmentIds: [f.id],
    });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    expect(ack.data.id).toBe(first.body.id);
    expect((await chat.view(a!, dm.id)).lastSeq).toBe(first.body.seq);
  });

  it('editing keeps the attachments; "" is allowed only on a message that has some', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const f = await uploaded(a!, noise(100), 'keep.bin');
    const withFile = (await send(a!, dm.id, { body: 'caption', attachmentIds: [f.id] })).body;
    const plain = (await send(a!, dm.id, { body: 'just text' })).body;

    const edited = await t.api.patch(
      `/api/messages/${withFile.id}`,
      { body: '' },
      {
        token: a!.token,
      },
    );
    expect(edited.status, edited.text).toBe(200);
    expectMessage(edited.body, { body: '', attachments: [f] });
    expect(edited.body.editedAt).not.toBeNull();
    const again = await t.api.patch(
      `/api/messages/${withFile.id}`,
      { body: 'new caption' },
      {
        token: a!.token,
      },
    );
    expect(again.body.attachments).toEqual([f]);
    // Attachments cannot be edited: the field is not part of an edit.
    expectError(
      await t.api.patch(
        `/api/messages/${withFile.id}`,
        { body: 'x', attachmentIds: [] },
        { token: a!.token },
      ),
      400,
      'validation_failed',
    );

    const refused = await t.api.patch(
      `/api/messages/${plain.id}`,
      { body: '' },
      {
        token: a!.token,
      },
    );
    expectError(refused, 400, 'validation_failed');
    expect(refused.body.error.details.fields).toEqual({ body: 'must not be empty' });
    expect((await fetchBytes(t, f.url, { token: b!.token })).status).toBe(200);
  });

  it('reads with the parley_files cookie that sign-in and refresh set', async () => {
    const [a] = await users(1);
    const login = await t.api.post('/api/auth/login', {
      login: a!.username,
      password: a!.password,
    });
    expect(login.status).toBe(200);
    const cookies = login.headers.getSetCookie();
    const files = cookies.find((c) => c.startsWith('parley_files='));
    expect(files).toBeDefined();
    const attrs = files!.split(';').map((x) => x.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).toContain('path=/api/files');
    const expires = attrs.find((x) => x.startsWith('expires='))!;
    expect(Math.abs(Date.parse(expires.slice(8)) - Date.parse(login.body.expiresAt))).toBeLessThan(
      1500,
    );
    const pair = files!.split(';')[0]!;
    expect(pair).toBe(`parley_files=${login.body.accessToken}`);

    const f = await uploaded(a!, noise(500), 'c.bin');
    const byCookie = await fetchBytes(t, f.url, { cookie: pair });
    expect(byCookie.status).toBe(200);
    expect(byCookie.bytes.length).toBe(500);
    expect((await fetchBytes(t, f.url, { cookie: 'parley_files=not.a.token' })).status).toBe(401);
    // The cookie is only for reading files: other routes do not take it.
    expect((await t.api.get('/api/users/me', { cookie: pair })).status).toBe(401);

    // Refresh sets a fresh one; logout clears it.
    const refresh = await t.api.post('/api/auth/refresh', undefined, {
      cookie: cookies.find((c) => c.startsWith('parley_refresh='))!.split(';')[0],
      headers: { 'x-parley-client': 'web' },
    });
    expect(refresh.status).toBe(200);
    const renewed = refresh.headers.getSetCookie().find((c) => c.startsWith('parley_files='));
    expect(renewed?.split(';')[0]).toBe(`parley_files=${refresh.body.accessToken}`);
    const out = await t.api.post('/api/auth/logout', undefined, {
      token: refresh.body.accessToken,
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => /^parley_files=;/.test(c))).toBe(true);
    // The session is over: its token, in the cookie too, reads nothing any more.
    expect((await fetchBytes(t, f.url, { cookie: pair })).status).toBe(401);
    expect(attrs).not.toContain('secure');

    // Served over https, the cookie is Secure.
    const secure = await startTestServer({ ...s3?.env, PUBLIC_URL: 'https://chat.example.test' });
    try {
      const reg = await secure.api.post('/api/auth/register', {
        username: `sec${randomBytes(3).toString('hex')}`,
        email: `sec${randomBytes(3).toString('hex')}@example.test`,
        password: 'a long passphrase',
      });
      expect(reg.status).toBe(201);
      const c = reg.headers.getSetCookie().find((x) => x.startsWith('parley_files='))!;
      const secureAttrs = c.split(';').map((x) => x.trim().toLowerCase());
      expect(secureAttrs).toContain('secure');
      expect(secureAttrs).toContain('path=/api/files');
    } finally {
      await secure.close();
    }
  });

  it('streams big files and answers byte ranges and HEAD', async () => {
    const [a] = await users(1);
    // Past 5 MiB, the smallest S3 part (multipart uploads: server/storage/s3-store.test.ts).
    const big = noise(6 * 1024 * 1024 + 12345);
    const f = await uploaded(a!, big, 'big.bin');
    expect(f.size).toBe(big.length);
    const [key] = await objectsOf(f.id);
    expect(sha(await store.read(key!))).toBe(sha(big));
    const whole = await fetchBytes(t, f.url, { token: a!.token });
    expect(whole.headers.get('content-length')).toBe(String(big.length));
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(sha(whole.bytes)).toBe(sha(big));

    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=5242870-5242900', 5242870, 5242900],
      [`bytes=${big.length - 10}-`, big.length - 10, big.length - 1],
      ['bytes=-7', big.length - 7, big.length - 1],
      [`bytes=100-${big.length + 500}`, 100, big.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const part = await fetchBytes(t, f.url, { token: a!.token, headers: { range } });
      expect(part.status, range).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${big.length}`);
      expect(part.bytes.equals(big.subarray(start, end + 1)), range).toBe(true);
    }
    // Ranges it does not serve give the whole file.
    for (const range of [`bytes=${big.length}-`, 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-5']) {
      const res = await fetchBytes(t, f.url, { token: a!.token, headers: { range } });
      expect(res.status, range).toBe(200);
      expect(res.bytes.length).toBe(big.length);
    }
    const head = await fetchBytes(t, f.url, { token: a!.token, method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(big.length));
    expect(head.bytes.length).toBe(0);
    // The validator: unchanged bytes answer 304.
    const etag = whole.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const cached = await fetchBytes(t, f.url, {
      token: a!.token,
      headers: { 'if-none-match': etag },
    });
    expect(cached.status).toBe(304);
  });

  it('the uploader takes back an unattached upload; attached ones only go with their message', async () => {
    const [a, b] = await users(2);
    const dm = await chat.direct(a!, b!);
    const f = await uploaded(a!, noise(200), 'oops.bin');
    const [key] = await objectsOf(f.id);
    expectError(await t.api.delete(`/api/uploads/${f.id}`, { token: b!.token }), 404, 'not_found');
    const del = await t.api.delete(`/api/uploads/${f.id}`, { token: a!.token });
    expect(del.status).toBe(204);
    expect(await store.has(key!)).toBe(false);
    expect(await fileRow(t, f.id)).toBeUndefined();
    expectError(
      await send(a!, dm.id, { body: 'x', attachmentIds: [f.id] }),
      400,
      'validation_failed',
    );
    const g = await uploaded(a!, noise(200), 'kept.bin');
    expect((await send(a!, dm.id, { body: 'x', attachmentIds: [g.id] })).status).toBe(201);
    expectError(await t.api.delete(`/api/uploads/${g.id}`, { token: a!.token }), 404, 'not_found');
    expect((await fetchBytes(t, g.url, { token: b!.token })).status).toBe(200);
  });
});
