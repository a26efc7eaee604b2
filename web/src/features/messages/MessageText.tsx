import { memo } from 'react';
import { linkify } from '../../lib/linkify.js';

/**
 * Message text as text: React escapes every character, so markup in a message is shown, never
 * interpreted. Only http(s) URLs become links, opening in a new tab without an opener.
 */
export const MessageText = memo(function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
});
