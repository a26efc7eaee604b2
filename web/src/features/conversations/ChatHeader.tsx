import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { Link } from '../../lib/router.js';
import { formatPresence } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import { useTypingNames } from '../messages/TypingIndicator.js';
import { NotifyMenu } from '../notifications/NotifyMenu.js';
import { useNow } from '../realtime/ChatContext.js';
import { conversationTitle } from './conversations-state.js';

function Subtitle({ c }: { c: Conversation }) {
  const now = useNow(30_000);
  const typing = useTypingNames(c.id);
  if (c.kind === 'direct') {
    if (typing.length)
      return <span className="chat-header__sub chat-header__sub--typing">typing…</span>;
    const u = c.otherUser;
    const text = u ? formatPresence(u.online, u.lastSeenAt, now) : '';
    return (
      <span
        className={`chat-header__sub${u?.online ? ' chat-header__sub--online' : ''}`}
        data-testid="presence"
      >
        {text}
      </span>
    );
  }
  return (
    <span className="chat-header__sub">
      {c.memberCount} {c.memberCount === 1 ? 'member' : 'members'}
      {c.topic ? ` · ${c.topic}` : ''}
    </span>
  );
}

/** The conversation's name, presence or members, and its buttons: pins, notifications, settings. */
export function ChatHeader({
  c,
  panel,
  onTogglePins,
}: {
  c: Conversation;
  panel: 'settings' | 'pins' | null;
  onTogglePins: () => void;
}) {
  const title = conversationTitle(c);
  const settingsOpen = panel === 'settings';
  return (
    <header className="chat-header">
      <Link to="/" className="icon-button chat-header__back" aria-label="Back to conversations">
        <Icon name="back" />
      </Link>
      {c.kind === 'direct' ? (
        <Avatar
          name={title}
          url={c.otherUser?.avatarUrl}
          seed={c.otherUser?.id ?? c.id}
          size={40}
          online={c.otherUser?.online ?? false}
        />
      ) : (
        <Avatar name={title} seed={c.id + 7} size={40} square />
      )}
      <div className="chat-header__text">
        <h1 className="chat-header__title">
          {c.kind === 'group' && c.isPrivate && <Icon name="lock" size={15} />}
          {title}
        </h1>
        <Subtitle c={c} />
      </div>
      <div className="chat-header__actions">
        <button
          type="button"
          className={`icon-button${panel === 'pins' ? ' icon-button--on' : ''}`}
          onClick={onTogglePins}
          aria-expanded={panel === 'pins'}
          aria-label="Pinned messages"
          title="Pinned messages"
        >
          <Icon name="pin" />
        </button>
        <NotifyMenu c={c} />
        {c.kind === 'group' && (
          <Link
            to={settingsOpen ? `/c/${c.id}` : `/c/${c.id}/settings`}
            className={`icon-button${settingsOpen ? ' icon-button--on' : ''}`}
            aria-label="Group settings"
            title="Group settings"
            aria-expanded={settingsOpen}
          >
            <Icon name="settings" />
          </Link>
        )}
      </div>
    </header>
  );
}
