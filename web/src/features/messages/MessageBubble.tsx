import type {
  Attachment,
  MessageStatus,
  ReplyTo,
} from '../../../../protocol/schemas/conversations.js';
import { formatClock, formatFull } from '../../lib/time.js';
import { AttachmentList } from '../attachments/AttachmentList.js';
import { useMentionNames, useMyMentionKey } from '../mentions/useMentionNames.js';
import { Ticks } from './MessageParts.js';
import { hasMarkup } from './markup.js';
import { MessageText } from './MessageText.js';
import { ReplyQuote } from './ReplyQuote.js';

export interface BubbleContent {
  body: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  replyTo: ReplyTo | null;
  /** Who the server found mentioned (stored messages only). */
  mentions?: readonly number[];
  /** Its files (a deleted message has none to show). */
  attachments?: readonly Attachment[];
}

/**
 * The bubble of a text message: the quote it replies to, its text (or the tombstone of a deleted
 * message, which never shows the old text), and its time, "edited" mark and ticks.
 */
export function MessageBubble({
  conversationId,
  content,
  mine,
  tick,
}: {
  conversationId: number;
  content: BubbleContent;
  mine: boolean;
  tick: MessageStatus | 'sending' | 'failed' | null;
}) {
  const { body, createdAt, editedAt, deletedAt, replyTo, mentions, attachments } = content;
  const names = useMentionNames(conversationId, mentions);
  const meKey = useMyMentionKey();
  const deleted = deletedAt !== null;
  const edited = editedAt !== null && !deleted;
  const clock = formatClock(createdAt);
  // Paragraphs, lists, quotes and code blocks stack as blocks; the time goes below them.
  const block = !deleted && hasMarkup(body) && body.includes('\n');
  return (
    <div className={`bubble${deleted ? ' bubble--deleted' : ''}`}>
      {replyTo && !deleted && <ReplyQuote conversationId={conversationId} replyTo={replyTo} />}
      {!deleted && attachments && attachments.length > 0 && (
        <AttachmentList attachments={attachments} />
      )}
      {deleted ? (
        <span className="bubble__text" data-testid="message-deleted">
          This message was deleted
        </span>
      ) : body === '' && attachments?.length ? null : (
        <span
          className={`bubble__text${block ? ' bubble__text--block' : ''}`}
          data-testid="message-text"
        >
          <MessageText text={body} names={names} me={meKey} />
        </span>
      )}
      {/* An invisible copy of the meta keeps room for it at the end of the last line. */}
      <span className="bubble__spacer" aria-hidden="true">
        {edited && 'edited '}
        {clock}
        {mine && !deleted && <span className="bubble__tick-space" />}
      </span>
      <span className="bubble__meta">
        {edited && (
          <span className="bubble__edited" title={`Edited ${formatFull(editedAt)}`}>
            edited
          </span>
        )}
        <time dateTime={createdAt} title={formatFull(createdAt)}>
          {clock}
        </time>
        {mine && tick && !deleted && <Ticks status={tick} />}
      </span>
    </div>
  );
}
