import type { ReplyTo } from '../../../../protocol/schemas/conversations.js';
import { Icon } from '../../ui/Icon.js';
import { useUiDispatch } from './conversation-ui.js';
import { useName } from './MessageParts.js';

/** Above the composer while replying: whom and what, and a way to stop replying. */
export function ReplyBar({ replyTo }: { replyTo: ReplyTo }) {
  const ui = useUiDispatch();
  const name = useName(replyTo.senderId, 'yourself');
  return (
    <div className="reply-bar" data-testid="reply-bar">
      <Icon name="reply" size={18} className="reply-bar__icon" />
      <button
        type="button"
        className="reply-bar__quote"
        onClick={() => ui({ type: 'jump', seq: replyTo.seq, highlight: true })}
        title="Show the message"
      >
        <span className="reply-bar__name">Replying to {name}</span>
        <span className="reply-bar__text">{replyTo.excerpt}</span>
      </button>
      <button
        type="button"
        className="icon-button icon-button--small"
        onClick={() => ui({ type: 'reply', message: null })}
        aria-label="Cancel reply"
        title="Cancel reply (Escape)"
      >
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}
