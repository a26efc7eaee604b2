import { z } from 'zod';

import { hasVisibleCharacter, isWellFormed, NOT_WELL_FORMED, trimSpace } from '../text.js';

export { hasVisibleCharacter, isWellFormed, NOT_WELL_FORMED, trimSpace };

export interface TextOptions {
  /** Strip white space at both ends (see `trimSpace`) before any length check. */
  trim?: boolean;
  /** Fewest UTF-16 code units, counted after trimming. */
  min?: number;
  /** Most UTF-16 code units, counted after trimming. */
  max?: number;
  tooShort?: string;
  tooLong?: string;
}

/**
 * The root of every text field the API accepts: build string inputs on `Text()`, never on
 * `z.string()`. A lone surrogate has no UTF-8 form: the database drivers silently store it as
 * U+FFFD (three of them on SQLite), so what is read back would differ from what was acked. The
 * check aborts, and comes first, so a broken string is reported as that, not as too long.
 *
 * The contract counts lengths in UTF-16 code units (JavaScript's `length`), but zod's `.min()`
 * and `.max()` count code points. So the unit count is checked first, aborting, and zod's
 * checks follow only to put `minLength`/`maxLength` in the OpenAPI document: a string within
 * `max` units is within `max` code points, and a non-empty one has a code point, but `min` > 1
 * could be met in units and missed in code points, so zod's `.min()` is only declared for 1.
 */
export function Text(opts: TextOptions = {}): z.ZodString {
  let s = z.string().refine(isWellFormed, { message: NOT_WELL_FORMED, abort: true });
  if (opts.trim) s = s.overwrite(trimSpace);
  const { min, max } = opts;
  if (min !== undefined) {
    const message =
      opts.tooShort ?? (min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    s = s.refine((v) => v.length >= min, { message, abort: true });
    if (min === 1) s = s.min(min, message);
  }
  if (max !== undefined) {
    const message = opts.tooLong ?? `must be at most ${max} characters`;
    s = s.refine((v) => v.length <= max, { message, abort: true }).max(max, message);
  }
  return s;
}

/** Text without control characters other than tab and line breaks (no NUL, no escapes). */
export const PlainText = (s: z.ZodString) =>
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  s.refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), {
    message: 'must not contain control characters',
  });

/** Refuses text that would render as nothing: only white space and invisible characters. */
export const Visible = (s: z.ZodString) =>
  s.refine(hasVisibleCharacter, { message: 'must contain a visible character' });

/**
 * A whole number in a path or query string, in plain decimal digits only: `0x10`, `1.0`,
 * ` 1` and `1e3` are refused rather than read as numbers.
 */
export const DecimalInt = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  Text()
    .regex(/^\d{1,16}$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A positive integer id in a URL path. */
export const IdParam = z.object({ id: DecimalInt(1) });
export type IdParam = z.infer<typeof IdParam>;

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const IsoTime = z.iso.datetime().describe('ISO-8601 UTC time with milliseconds');

// `v` mode's \p{RGI_Emoji} matches one recommended emoji sequence (flags, keycaps, modifiers,
// ZWJ sequences). Built at run time: the type libraries here stop before the `v` flag.
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');

/** True when the string is exactly one fully qualified emoji. */
export const isOneEmoji = (s: string): boolean => ONE_EMOJI.test(s);
