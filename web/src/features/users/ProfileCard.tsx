import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { errorMessage } from '../../lib/http.js';
import { navigate } from '../../lib/router.js';
import { formatPresence } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import { conversationsApi } from '../conversations/api.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe, useNow, usePresenceLive } from '../realtime/ChatContext.js';

/**
 * Someone's card beside their name or picture: picture, names, presence, and a button to
 * write to them (or, on my own card, to edit my profile). Escape or a press outside closes it,
 * and the focus goes back to what opened it.
 */
export function ProfileCard({
  userId,
  anchor,
  onClose,
}: {
  userId: number;
  anchor: HTMLElement;
  onClose: () => void;
}) {
  const client = useClient();
  const me = useMe();
  const user = useChat(useCallback((s: ChatState) => s.users[userId], [userId]));
  const live = usePresenceLive();
  const now = useNow(30_000);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!user) client.wantUser(userId);
  }, [client, user, userId]);
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('button, a')?.focus();
    return () => anchor.focus();
  }, [anchor]);

  const write = async () => {
    setBusy(true);
    try {
      const c = await conversationsApi.openDirect(userId);
      client.adopt(c);
      onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  const self = userId === me.id;
  const name = user?.displayName ?? 'Someone';
  return (
    <Popover anchor={anchor} onClose={onClose} align="start" className="profile-popover">
      <div
        className="profile-card"
        role="dialog"
        aria-label={`Profile of ${name}`}
        data-testid="profile-card"
        ref={box}
      >
        <Avatar
          name={name}
          url={user?.avatarUrl}
          seed={userId}
          size={72}
          online={live && (user?.online ?? false)}
        />
        <div className="profile-card__names">
          <strong className="profile-card__name">{name}</strong>
          {user && <span className="profile-card__username">@{user.username}</span>}
          {user && (
            <span className="profile-card__presence">
              {live
                ? formatPresence(user.online, user.lastSeenAt, now)
                : 'waiting for the connection…'}
            </span>
          )}
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {self ? (
          <button
            type="button"
            className="button button--ghost button--block"
            onClick={() => {
              onClose();
              navigate('/profile');
            }}
          >
            <Icon name="user" size={18} /> Edit your profile
          </button>
        ) : (
          <button
            type="button"
            className="button button--primary button--block"
            onClick={() => void write()}
            disabled={busy}
          >
            <Icon name="message" size={18} /> Send a message
          </button>
        )}
      </div>
    </Popover>
  );
}

/**
 * A name or picture that opens the person's card when pressed (a real button, so keyboards
 * and screen readers reach it too).
 */
export function ProfileTrigger({
  userId,
  name,
  className,
  children,
}: {
  userId: number;
  name: string;
  className?: string;
  children: ReactNode;
}) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  return (
    <>
      <button
        type="button"
        className={`profile-trigger${className ? ` ${className}` : ''}`}
        aria-haspopup="dialog"
        aria-expanded={anchor !== null}
        onClick={(e) => {
          const target = e.currentTarget;
          setAnchor((open) => (open ? null : target));
        }}
      >
        {/* Named "Profile of …" by text (not aria-label), so the visible name stays part of it. */}
        {typeof children === 'string' ? (
          <>
            <span className="sr-only">Profile of </span>
            {children}
          </>
        ) : (
          <>
            <span className="sr-only">Profile of {name}</span>
            {children}
          </>
        )}
      </button>
      {anchor && <ProfileCard userId={userId} anchor={anchor} onClose={() => setAnchor(null)} />}
    </>
  );
}
