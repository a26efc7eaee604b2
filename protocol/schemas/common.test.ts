import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as protocol from '../index.js';
import { LIMITS } from '../limits.js';
import {
  DecimalInt,
  hasVisibleCharacter,
  IdParam,
  isWellFormed,
  NOT_WELL_FORMED,
  PlainText,
  Text,
  trimSpace,
} from './common.js';
import { GroupName, HistoryQuery, MessageBody, Topic } from './conversations.js';
import { DisplayName } from './users.js';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const escape = (s: string) =>
  [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(' ');

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

describe('well-formed Unicode', () => {
  const pair = '\u{1F600}'; // 😀, one code point in two UTF-16 units
  const [high, low] = [pair[0]!, pair[1]!];

  it('tells lone surrogates from pairs', () => {
    for (const ok of ['', 'plain', pair, `a${pair}b`, pair.repeat(3), '\uFFFD', '\uE000']) {
      expect(isWellFormed(ok), JSON.stringify(ok)).toBe(true);
    }
    for (const bad of [high, low, `a${high}`, `${low}a`, low + high, high + high, pair + high]) {
      expect(isWellFormed(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('reports a lone surrogate as such, first and alone, even when other checks would fail', () => {
    const r = MessageBody.safeParse(`  ${high.repeat(LIMITS.messageBodyMax + 1)}  `);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([NOT_WELL_FORMED]);
    expect(Text().safeParse(12).error?.issues[0]?.code).toBe('invalid_type');
  });
});

describe('invisible characters', () => {
  const invisible = [
    ...range(0x200b, 0x200f),
    ...range(0x202a, 0x202e),
    ...range(0x2060, 0x2064),
    ...range(0x2066, 0x2069),
    0xfeff,
  ].map((c) => String.fromCharCode(c));

  it('finds no visible character in white space and invisible characters alone', () => {
    expect(hasVisibleCharacter('')).toBe(false);
    expect(hasVisibleCharacter(` \t\n\u00a0\u3000${invisible.join('')}\u2028`)).toBe(false);
    for (const c of invisible) expect(hasVisibleCharacter(c), escape(c)).toBe(false);
    // Neighbours of the ranges are ordinary characters.
    for (const c of ['\u200a', '\u2010', '\u2029x', '\u2065', '\u206a', '\ufefe', 'a']) {
      expect(hasVisibleCharacter(c), escape(c)).toBe(c !== '\u200a'); // U+200A is a space
    }
    expect(hasVisibleCharacter('\u200b\u0301')).toBe(true); // a lone combining mark still shows
  });

  it('refuses invisible-only message bodies and names, keeps invisibles inside real text', () => {
    for (const c of invisible) {
      for (const S of [MessageBody, GroupName, DisplayName]) {
        const r = S.safeParse(` ${c}${c} `);
        expect(r.error?.issues[0]?.message, escape(c)).toBe('must contain a visible character');
      }
      expect(MessageBody.parse(` ${c}hi${c} `)).toBe(`${c}hi${c}`);
      expect(Topic.parse(c)).toBe(c); // a topic may be empty, so it may also be invisible
    }
    const rtl = '\u05e9\u05dc\u05d5\u05dd \u2066abc\u2069 \u202eevil\u202c';
    expect(MessageBody.parse(rtl)).toBe(rtl);
    expect(GroupName.parse('\u200dteam\u200d')).toBe('\u200dteam\u200d');
  });
});

describe('trimming', () => {
  it('is String.prototype.trim except for U+FEFF', () => {
    const differ: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      if (c === 0xfeff || (c >= 0xd800 && c <= 0xdfff)) continue;
      const ch = String.fromCharCode(c);
      const s = `${ch}${ch}x${ch}`;
      if (trimSpace(s) !== s.trim()) differ.push(c.toString(16));
    }
    expect(differ).toEqual([]);
    expect(trimSpace('\ufeff hi \ufeff')).toBe('\ufeff hi \ufeff');
    expect(trimSpace(' \t\ufeff hi\u3000')).toBe('\ufeff hi');
    expect(trimSpace('   ')).toBe('');
  });

  it('counts length limits in UTF-16 units of what is kept', () => {
    const max = LIMITS.messageBodyMax;
    expect(MessageBody.parse(`\n  ${'x'.repeat(max)}  \t`)).toHaveLength(max);
    expect(MessageBody.safeParse(` ${'x'.repeat(max + 1)} `).error?.issues[0]?.message).toBe(
      `must be at most ${max} characters`,
    );
    const astral = '\u{1F469}'.repeat(max / 2); // exactly max UTF-16 units
    expect(MessageBody.parse(`  ${astral}  `)).toBe(astral);
    expect(MessageBody.safeParse(`${astral}x`).success).toBe(false);
    // zod's own .max() counts code points: 33 of these are 66 units, over the 64 allowed.
    expect(DisplayName.safeParse('\u{1F469}'.repeat(LIMITS.displayNameMax / 2 + 1)).success).toBe(
      false,
    );
    expect(Text({ min: 3 }).safeParse('\u{1F469}\u{1F469}').success).toBe(true);
    expect(Text({ min: 3 }).safeParse('\u{1F469}').success).toBe(false);
  });
});

/** Every string-valued field of every request schema (bodies, query strings, params, payloads). */
function requestFields(): Array<[string, z.ZodType]> {
  const out: Array<[string, z.ZodType]> = [];
  for (const [name, value] of Object.entries(protocol)) {
    if (!(value instanceof z.ZodObject) || !/(Input|Query|Payload|Param|Params)$/.test(name)) {
      continue;
    }
    for (const [field, schema] of Object.entries(value.shape as Record<string, z.ZodType>)) {
      out.push([`${name}.${field}`, schema]);
    }
  }
  return out;
}

describe('every text field of the API', () => {
  const fields = requestFields();

  it('finds the request schemas', () => {
    const names = fields.map(([n]) => n);
    for (const known of [
      'RegisterInput.username',
      'RegisterInput.email',
      'RegisterInput.password',
      'RegisterInput.displayName',
      'LoginInput.login',
      'LoginInput.password',
      'UpdateProfileInput.bio',
      'ChangePasswordInput.currentPassword',
      'ChangePasswordInput.newPassword',
      'SearchUsersQuery.query',
      'CreateGroupInput.name',
      'CreateGroupInput.topic',
      'UpdateGroupInput.topic',
      'PublicGroupsQuery.query',
      'PostMessageInput.body',
      'PostMessageInput.clientId',
      'SendMessagePayload.body',
      'SendMessagePayload.clientId',
      'HistoryQuery.limit',
      'IdParam.id',
    ]) {
      expect(names).toContain(known);
    }
  });

  // A field that takes any string must refuse a lone surrogate with that reason; fields that
  // take no string (numbers, booleans, arrays) or only a fixed set (enums) are left out.
  it('refuses lone surrogates in each field that takes a string', () => {
    let checked = 0;
    for (const [name, schema] of fields) {
      for (const bad of ['\ud800', 'abc\udc00', '12\udbff']) {
        const r = schema.safeParse(bad);
        expect(r.success, `${name} ${escape(bad)}`).toBe(false);
        const first = r.error!.issues[0]!;
        if (first.code === 'invalid_type' || first.code === 'invalid_value') continue;
        expect(first.message, `${name} ${escape(bad)}`).toBe(NOT_WELL_FORMED);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3 * 20);
  });

  it('refuses NUL in each text field except passwords, which are only hashed', () => {
    for (const [name, schema] of fields) {
      const probe = schema.safeParse('12345678901');
      if (!probe.success && ['invalid_type', 'invalid_value'].includes(probe.error.issues[0]!.code))
        continue;
      const r = schema.safeParse('abc\u0000defghij');
      if (/[pP]assword$/.test(name)) expect(r.success, name).toBe(true);
      else expect(r.success, name).toBe(false);
    }
  });
});
