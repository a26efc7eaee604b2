import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { memoryOutbox, openOutbox, type OutboxEntry } from './outbox.js';

const entry = (clientId: string, userId: number, createdAt: string): OutboxEntry => ({
  clientId,
  userId,
  conversationId: 1,
  body: `body ${clientId}`,
  createdAt,
  replyTo: null,
  failed: null,
});

describe.each([
  ['IndexedDB', () => openOutbox(new IDBFactory())],
  ['memory', () => memoryOutbox()],
])('outbox (%s)', (_, make) => {
  it('keeps each user’s messages in the order written, until removed', async () => {
    const box = make();
    await box.put(entry('b', 1, '2026-11-24T09:00:02.000Z'));
    await box.put(entry('a', 1, '2026-11-24T09:00:01.000Z'));
    await box.put(entry('x', 2, '2026-11-24T09:00:00.000Z'));
    expect((await box.load(1)).map((e) => e.clientId)).toEqual(['a', 'b']);
    await box.put({ ...entry('a', 1, '2026-11-24T09:00:01.000Z'), failed: 'refused' });
    expect((await box.load(1))[0]!.failed).toBe('refused');
    await box.remove('a');
    expect((await box.load(1)).map((e) => e.clientId)).toEqual(['b']);
    await box.clear(1);
    expect(await box.load(1)).toEqual([]);
    expect((await box.load(2)).map((e) => e.clientId)).toEqual(['x']);
  });
});

it('survives the page: a second outbox on the same database sees what the first wrote', async () => {
  const db = new IDBFactory();
  await openOutbox(db).put(entry('k', 7, '2026-11-24T09:00:00.000Z'));
  expect((await openOutbox(db).load(7)).map((e) => e.body)).toEqual(['body k']);
});
