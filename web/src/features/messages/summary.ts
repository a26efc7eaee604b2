import type { Message } from '../../../../protocol/schemas/conversations.js';
import { attachmentSummary } from '../attachments/format.js';
import { markdownIfLoaded } from './markdown-loader.js';

/**
 * A message as one line of text, as the conversation list, a notification and a screen reader
 * say it: the words without markup, a file-only message by its files, a deleted one as such;
 * cut to `max` code points (never inside an emoji) with an ellipsis. Markup is taken out once
 * the parser has loaded (markdown-loader.ts; callers that show markup load it): until then the
 * text is shown as written.
 */
export function messageSummary(
  m: Pick<Message, 'body' | 'deletedAt' | 'attachments'>,
  max = Infinity,
): string {
  if (m.deletedAt) return 'This message was deleted';
  const text =
    m.body === ''
      ? attachmentSummary(m.attachments)
      : (markdownIfLoaded()?.plainText(m.body) ?? m.body).replace(/\s+/g, ' ').trim();
  const points = [...text];
  return points.length > max ? `${points.slice(0, max).join('')}…` : text;
}
