import { memo } from 'react';
import { messageParts } from '../mentions/mention-parts.js';

/**
 * Message text as text: React escapes every character, so markup in a message is shown, never
 * interpreted. Only http(s) URLs become links, opening in a new tab without an opener. With
 * `names` (the lower-cased usernames that can be mentioned), `@mentions` become chips; those
 * of `me` (my lower-cased username) stand out.
 */
export const MessageText = memo(function MessageText({
  text,
  names,
  me = '',
}: {
  text: string;
  names?: ReadonlySet<string> | undefined;
  me?: string;
}) {
  return (
    <>
      {messageParts(text, names, me).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : part.kind === 'mention' ? (
          <span
            key={i}
            className={`mention${part.me ? ' mention--me' : ''}`}
            data-testid="mention"
            data-me={part.me || undefined}
          >
            {part.text}
          </span>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
});
