import { useCallback, useEffect, useState } from 'react';
import type {
  Conversation,
  ConversationWithMembers,
} from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { Link, navigate } from '../../lib/router.js';
import { formatPresence } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { Composer } from '../messages/Composer.js';
import { MessageList } from '../messages/MessageList.js';
import { TypingIndicator, useTypingNames } from '../messages/TypingIndicator.js';
import { setMuted, useMuted } from '../notifications/preferences.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe, useNow, usePageAttention } from '../realtime/ChatContext.js';
import { conversationsApi } from './api.js';
import { conversationTitle } from './conversations-state.js';
import { GroupSettings } from './GroupSettings.js';

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

function ChatHeader({ c, settingsOpen }: { c: Conversation; settingsOpen: boolean }) {
  const me = useMe();
  const mutedHere = useMuted(me.id).has(c.id);
  const title = conversationTitle(c);
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
          className={`icon-button${mutedHere ? ' icon-button--on' : ''}`}
          onClick={() => setMuted(me.id, c.id, !mutedHere)}
          aria-pressed={mutedHere}
          aria-label={mutedHere ? 'Unmute notifications' : 'Mute notifications'}
          title={mutedHere ? 'Unmute notifications' : 'Mute notifications'}
        >
          <Icon name={mutedHere ? 'bellOff' : 'bell'} />
        </button>
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

/** A conversation I am not in: a public group can be previewed and joined. */
function NotAMember({ id }: { id: number }) {
  const client = useClient();
  const [group, setGroup] = useState<ConversationWithMembers | null | 'missing'>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    conversationsApi.get(id).then(
      (c) => !cancelled && setGroup(c),
      () => !cancelled && setGroup('missing'),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);
  if (group === null) {
    return (
      <div className="empty-state">
        <Spinner />
      </div>
    );
  }
  if (group === 'missing' || group.kind !== 'group' || group.myRole !== null) {
    return (
      <div className="empty-state">
        <Icon name="message" size={40} />
        <h2>Conversation not found</h2>
        <p>It may have been deleted, or you are not a member.</p>
        <Link to="/" className="button button--primary">
          Back to conversations
        </Link>
      </div>
    );
  }
  const join = async () => {
    try {
      client.adopt(await conversationsApi.join(id));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <div className="empty-state">
      <Avatar name={group.name ?? '#'} seed={group.id + 7} size={64} square />
      <h2>{group.name}</h2>
      <p>
        {group.memberCount} members{group.topic ? ` · ${group.topic}` : ''}
      </p>
      {error && <p className="form-error">{error}</p>}
      <button type="button" className="button button--primary" onClick={() => void join()}>
        Join group
      </button>
    </div>
  );
}

/** One conversation: header, history, who is typing, and the composer. */
export function ConversationView({ id, settingsOpen }: { id: number; settingsOpen: boolean }) {
  const client = useClient();
  const c = useChat(useCallback((s: ChatState) => s.conversations[id], [id]));
  const listLoaded = useChat(useCallback((s: ChatState) => s.listLoaded, []));
  const held = useChat(useCallback((s: ChatState) => s.messages[id] !== undefined, [id]));
  const newest = useChat(
    useCallback(
      (s: ChatState) => {
        const items = s.messages[id]?.items;
        return items?.length ? items[items.length - 1]!.seq : 0;
      },
      [id],
    ),
  );
  const attentive = usePageAttention();
  const exists = c !== undefined;
  const unread = c?.unreadCount ?? 0;

  useEffect(() => {
    if (exists) client.open(id);
  }, [client, id, exists, held]);

  // Messages count as read once they are on a visible, focused screen.
  useEffect(() => {
    if (exists && attentive && newest > 0) client.markRead(id);
  }, [client, id, exists, attentive, newest, unread]);

  useEffect(() => {
    if (settingsOpen && c && c.kind !== 'group') navigate(`/c/${id}`, { replace: true });
  }, [settingsOpen, c, id]);

  if (!c) {
    return listLoaded ? (
      <NotAMember id={id} />
    ) : (
      <div className="empty-state">
        <Spinner />
      </div>
    );
  }
  const title = conversationTitle(c);
  const intro =
    c.kind === 'direct'
      ? `This is the beginning of your conversation with ${title}.`
      : `This is the beginning of “${title}”.`;
  return (
    <div className={`conversation${settingsOpen ? ' conversation--with-panel' : ''}`}>
      <section className="chat" aria-label={title}>
        <ChatHeader c={c} settingsOpen={settingsOpen} />
        <MessageList
          key={`list-${id}`}
          conversationId={id}
          isGroup={c.kind === 'group'}
          intro={intro}
        />
        <TypingIndicator conversationId={id} />
        <Composer key={`composer-${id}`} conversationId={id} placeholder={`Message ${title}`} />
      </section>
      {settingsOpen && c.kind === 'group' && <GroupSettings c={c} />}
    </div>
  );
}
