import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { queryWords } from '../search.js';
import { DecimalInt, PlainText, Text } from './common.js';
import { Message } from './conversations.js';

export const MessageSearchQuery = z.object({
  q: PlainText(Text({ min: 1, max: LIMITS.searchQueryMax })).refine(
    (q) => queryWords(q).length > 0,
    { message: 'must contain a word (letters, digits or _)' },
  ),
  conversationId: DecimalInt(1).optional(),
  senderId: DecimalInt(1).optional(),
  /** A message id: only lower ids (older messages) are returned. */
  before: DecimalInt(1).optional(),
  limit: DecimalInt(1, LIMITS.searchLimitMax).optional().default(LIMITS.searchLimitDefault),
});
export type MessageSearchQuery = z.infer<typeof MessageSearchQuery>;

export const SearchResult = z
  .object({
    message: Message,
    /** `[start, end)` UTF-16 offsets into `message.body` of every matching word, ascending. */
    highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  })
  .meta({ id: 'SearchResult' });
export type SearchResult = z.infer<typeof SearchResult>;

export const SearchPage = z
  .object({ results: z.array(SearchResult), nextBefore: z.number().int().nullable() })
  .meta({ id: 'SearchPage' });
export type SearchPage = z.infer<typeof SearchPage>;
