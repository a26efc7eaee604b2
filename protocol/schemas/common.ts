import { z } from 'zod';

/**
 * A whole number in a path or query string, in plain decimal digits only: `0x10`, `1.0`,
 * ` 1` and `1e3` are refused rather than read as numbers.
 */
export const DecimalInt = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
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

/** Text without control characters other than tab and line breaks (no NUL, no escapes). */
export const PlainText = (s: z.ZodString) =>
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  s.refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), {
    message: 'must not contain control characters',
  });

export const IsoTime = z.iso.datetime().describe('ISO-8601 UTC time with milliseconds');
