// Uploads never attached to a message are removed after UPLOAD_EXPIRY_MINUTES (24 hours by
// default) by a periodic sweep that several nodes may run at once; tested with a short age, on
// local disk and on S3 (s3rver).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/api.js';
import { Chat, expectError, sleep } from '../helpers/chat.js';
import { fetchBytes, fileRow, noise, png, storeProbe, upload } from '../helpers/files.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { createTestDatabase, testDbKind } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sweepExpiredUploads } from '../../server/features/files/sweep-uploads.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe.each(['local', 's3'] as const)('expired uploads on %s storage', (kind) => {
  let s3: TestS3 | null = null;
  beforeAll(async () => {
    if (kind === 's3') s3 = await startTestS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  async function objectsOf(t: TestServer, id: number): Promise<string[]> {
    const row = await fileRow(t, id);
    if (!row) throw new Error(`no row for upload ${id}`);
    return row.thumb_key ? [row.storage_key, row.thumb_key] : [row.storage_key];
  }

  it('the sweeper removes uploads left unattached, and only those', async () => {
    // Uploads expire after 1.2 s; each node sweeps every 0.2 s.
    const t = await startTestServer({
      ...s3?.env,
      UPLOAD_EXPIRY_MINUTES: '0.02',
      UPLOAD_SWEEP_SECONDS: '0.2',
    });
    try {
      const store = storeProbe(t, s3);
      const chat = new Chat(t.api);
      const [a, b] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
      const dm = await chat.direct(a, b);
      const left = (await upload(t.api, a, await png(20, 20), 'left.png', 'image/png')).body;
      const sent = (await upload(t.api, a, noise(100), 'sent.bin')).body;
      const leftKeys = await objectsOf(t, left.id);
      const sentKeys = await objectsOf(t, sent.id);
      expect(leftKeys).toHaveLength(2);
      const msg = await t.api.post(
        `/api/conversations/${dm.id}/messages`,
        { body: 'kept', attachmentIds: [sent.id] },
        { token: a.token },
      );
      expect(msg.status, msg.text).toBe(201);
      for (const k of [...leftKeys, ...sentKeys]) expect(await store.has(k)).toBe(true);

      // The row goes first (the claim), then its objects.
      await until('the unattached upload is swept', async () => !(await fileRow(t, left.id)));
      for (const k of leftKeys) await until(`${k} is gone`, async () => !(await store.has(k)));
      expect((await fetchBytes(t, left.url, { token: a.token })).status).toBe(404);
      expectError(
        await t.api.post(
          `/api/conversations/${dm.id}/messages`,
          { body: 'late', attachmentIds: [left.id] },
          { token: a.token },
        ),
        400,
        'validation_failed',
      );
      // The attached one stays, long after the age.
      await sleep(1500);
      for (const k of sentKeys) expect(await store.has(k), k).toBe(true);
      expect((await fetchBytes(t, sent.url, { token: b.token })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('an expired upload cannot be attached even before a sweep; sweeps running at once remove each upload once', async () => {
    // Expiry after 3 s, and no sweep of its own during the test.
    const t = await startTestServer({
      ...s3?.env,
      UPLOAD_EXPIRY_MINUTES: '0.05',
      UPLOAD_SWEEP_SECONDS: '3600',
    });
    try {
      const store = storeProbe(t, s3);
      const chat = new Chat(t.api);
      const [a, b] = await Promise.all([registerUser(t.api), registerUser(t.api)]);
      const dm = await chat.direct(a, b);
      const files = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const res = await upload(t.api, a, noise(64 + i), `f${i}.bin`);
          expect(res.status, res.text).toBe(201);
          return res.body;
        }),
      );
      const keys = (await Promise.all(files.map((f) => objectsOf(t, f.id)))).flat();
      await sleep(3200);
      expectError(
        await t.api.post(
          `/api/conversations/${dm.id}/messages`,
          { body: 'too late', attachmentIds: [files[0].id] },
          { token: a.token },
        ),
        400,
        'validation_failed',
      );
      // Still there until a sweep: the refusal came from its expiry alone.
      expect(await fileRow(t, files[0].id)).toBeDefined();
      // A fresh upload is not touched by the sweeps.
      const fresh = (await upload(t.api, a, noise(10), 'fresh.bin')).body;

      const removed = await Promise.all(
        Array.from({ length: 4 }, () => sweepExpiredUploads(t.deps)),
      );
      expect(removed.reduce((x, y) => x + y, 0)).toBe(files.length);
      for (const f of files) expect(await fileRow(t, f.id)).toBeUndefined();
      for (const k of keys) expect(await store.has(k), k).toBe(false);
      expect(await fileRow(t, fresh.id)).toBeDefined();
      expect(await sweepExpiredUploads(t.deps)).toBe(0);
    } finally {
      await t.close();
    }
  });

  // Two nodes on one database (SQLite is a single-node database) and one store.
  it.skipIf(testDbKind() === 'sqlite')(
    'two nodes share the files: uploaded through one, read and removed through the other',
    async () => {
      const db = await createTestDatabase();
      const env = {
        ...s3?.env,
        // Every node signs and checks tokens with the same secret.
        JWT_SECRET: randomBytes(32).toString('hex'),
        UPLOAD_EXPIRY_MINUTES: '0.02',
        UPLOAD_SWEEP_SECONDS: '0.2',
      };
      const one = await startTestServer(env, { db });
      const two = await startTestServer(env, { db });
      try {
        const store = storeProbe(one, s3);
        const chat = new Chat(one.api);
        const [a, b] = await Promise.all([registerUser(one.api), registerUser(two.api)]);
        const dm = await chat.direct(a, b);
        const bytes = noise(10_000);
        const f = (await upload(one.api, a, bytes, 'shared.bin')).body;
        const left = (await upload(two.api, a, noise(10), 'left.bin')).body;
        const leftKeys = await objectsOf(one, left.id);
        const sent = await two.api.post(
          `/api/conversations/${dm.id}/messages`,
          { body: '', attachmentIds: [f.id] },
          { token: a.token },
        );
        expect(sent.status, sent.text).toBe(201);
        const got = await fetchBytes(two, f.url, { token: b.token });
        expect(got.status).toBe(200);
        expect(got.bytes.equals(bytes)).toBe(true);
        const keys = await objectsOf(one, f.id);
        const del = await two.api.delete(`/api/messages/${sent.body.id}`, { token: a.token });
        expect(del.status).toBe(200);
        for (const k of keys) expect(await store.has(k)).toBe(false);
        expect((await fetchBytes(one, f.url, { token: a.token })).status).toBe(404);
        // Both nodes sweep; the expired upload goes exactly once, without an error on either.
        await until('the upload is swept', async () => !(await fileRow(one, left.id)));
        for (const k of leftKeys) await until(`${k} is gone`, async () => !(await store.has(k)));
      } finally {
        await one.stop();
        await two.stop();
        await db.drop();
      }
    },
  );
});
