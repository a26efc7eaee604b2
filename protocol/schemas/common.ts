import { z } from 'zod';

/** A positive integer id in a URL path. */
export const IdParam = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
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
