import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DecimalInt, IdParam, PlainText } from './common.js';
import { HistoryQuery, MessageBody } from './conversations.js';

describe('DecimalInt', () => {
  it('reads plain decimal digits only', () => {
    expect(IdParam.parse({ id: '42' })).toEqual({ id: 42 });
    for (const bad of ['0x10', '1.0', ' 1', '1e3', '-1', '0', '', '12345678901234567', 'abc']) {
      expect(IdParam.safeParse({ id: bad }).success, bad).toBe(false);
    }
  });

  it('keeps bounds and defaults in query strings', () => {
    expect(HistoryQuery.parse({})).toEqual({ limit: 50 });
    expect(HistoryQuery.parse({ after: '0', limit: '200' })).toEqual({ after: 0, limit: 200 });
    expect(HistoryQuery.safeParse({ limit: '201' }).success).toBe(false);
    expect(HistoryQuery.safeParse({ limit: ['1', '2'] }).success).toBe(false);
    expect(DecimalInt(5, 9).safeParse('4').success).toBe(false);
  });
});

describe('PlainText', () => {
  it('refuses control characters but keeps tabs and line breaks', () => {
    const T = PlainText(z.string());
    expect(T.safeParse('a\tb\nc\r\nd').success).toBe(true);
    for (const bad of ['a\u0000b', '\u001b[31mred', 'x\u007f'])
      expect(T.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(MessageBody.safeParse('hi\u0000').success).toBe(false);
    expect(MessageBody.parse('  hello  ')).toBe('hello');
  });
});
