import { describe, expect, it } from 'vitest';
import { msg } from '../../test/factories.js';
import { buildRows } from './rows.js';

const ME = 1;

describe('message rows', () => {
  it('groups consecutive messages by sender and breaks on system messages and days', () => {
    const items = [
      msg(1, { senderId: 2 }),
      msg(2, { senderId: 2 }),
      msg(3, { senderId: 3 }),
      msg(4, { senderId: 3, kind: 'system', body: 'joined' }),
      msg(5, { senderId: 3 }),
      msg(6, { senderId: 3, createdAt: '2026-11-26T12:00:00.000Z' }),
    ];
    const rows = buildRows(items, [], ME);
    expect(rows.map((r) => [r.first, r.last])).toEqual([
      [true, false],
      [false, true],
      [true, true],
      [true, true],
      [true, true],
      [true, true],
    ]);
    expect(rows.map((r) => r.dayOf !== null)).toEqual([true, false, false, false, false, true]);
  });

  it('puts no day separator above the oldest message while older history is not loaded', () => {
    expect(buildRows([msg(5), msg(6)], [], ME, null, true)[0]!.dayOf).toBeNull();
    expect(buildRows([msg(5), msg(6)], [], ME, null, false)[0]!.dayOf).not.toBeNull();
  });

  it('a pending message keeps the key its stored copy will have', () => {
    const pending = {
      clientId: 'k',
      conversationId: 1,
      body: 'x',
      createdAt: msg(3).createdAt,
      state: 'sending' as const,
      replyTo: null,
      attachments: [],
      error: null,
      autoRetry: true,
      attempts: 0,
    };
    const before = buildRows([msg(1, { senderId: ME })], [pending], ME);
    const after = buildRows(
      [msg(1, { senderId: ME }), msg(2, { senderId: ME, clientId: 'k' })],
      [],
      ME,
    );
    expect(before[1]!.key).toBe(after[1]!.key);
    expect(before[1]!.first).toBe(false);
  });

  it('marks the first unread message from someone else', () => {
    const items = [msg(1), msg(2, { senderId: ME }), msg(3), msg(4)];
    const rows = buildRows(items, [], ME, 2);
    expect(rows.map((r) => r.kind === 'message' && r.newMarker)).toEqual([
      false,
      false,
      true,
      false,
    ]);
  });

  it('marks nothing in a window that starts after the first unread message', () => {
    // The newest page (40…42) while the first unread is 11: older history is still to load.
    const newest = [msg(40), msg(41), msg(42)];
    const marks = (rows: ReturnType<typeof buildRows>) =>
      rows.map((r) => r.kind === 'message' && r.newMarker);
    expect(marks(buildRows(newest, [], ME, 11, true))).toEqual([false, false, false]);
    // Once the window reaches it (or holds the whole history), the marker is there.
    expect(marks(buildRows([msg(11), ...newest], [], ME, 11, true))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(marks(buildRows(newest, [], ME, 11, false))).toEqual([true, false, false]);
  });
});
