import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { Link } from '../../lib/router.js';
import { formatPresence } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import { useTypingNames } from '../messages/TypingIndicator.js';
import { NotifyMenu } from '../notifications/NotifyMenu.js';
import { useNow, usePresenceLive } from '../realtime/ChatContext.js';
import { ProfileTrigger } from '../users/ProfileCard.js';
import { conversationTitle } from './conversations-state.js';

function Subtitle({ c }: { c: Conversation }) {
  const now = useNow(30_000);
  const typing = useTypingNames(c.id);
  const live = usePresenceLive();
  if (c.kind === 'direct') {
    if (typing.length)
      return <span className="chat-header__sub chat-header__sub--typing">typing…</span>;
    const u = c.otherUser;
    // Disconnected, this client cannot know: it says when it last knew them to be around.
    const online = live && (u?.online ?? false);
    const text = !u
      ? ''
      : live
        ? formatPresence(u.online, u.lastSeenAt, now)
        : u.online || !u.lastSeenAt
          ? 'waiting for the connection…'
          : formatPresence(false, u.lastSeenAt, now);
    return (
      <span
        className={`chat-header__sub${online ? ' chat-header__sub--online' : ''}`}
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
  const live = usePresenceLive();
  return (
    <header className="chat-header">
      <Link to="/" className="icon-button chat-header__back" aria-label="Back to conversations">
        <Icon name="back" />
      </Link>
      {c.kind === 'direct' && c.otherUser ? (
        <ProfileTrigger userId={c.otherUser.id} name={title}>
          <Avatar
            name={title}
            url={c.otherUser.avatarUrl}
            seed={c.otherUser.id}
            size={40}
            online={live && c.otherUser.online}
          />
        </ProfileTrigger>
      ) : c.kind === 'direct' ? (
        <Avatar name={title} seed={c.id} size={40} />
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
