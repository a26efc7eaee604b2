import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Conversation, NotifyLevel } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import { setNotice } from '../auth/session.js';
import { conversationsApi } from '../conversations/api.js';
import { useClient } from '../realtime/ChatContext.js';

const LEVELS: Array<{ level: NotifyLevel; label: string; hint: string }> = [
  { level: 'all', label: 'All messages', hint: 'Every new message' },
  { level: 'mentions', label: 'Only @mentions', hint: 'Messages that mention you' },
  { level: 'none', label: 'Nothing', hint: 'No notifications' },
];

/** The header's bell: what it looks like and says for the conversation's settings. */
export function notifyIcon(c: Pick<Conversation, 'muted' | 'notify'>): {
  icon: IconName;
  label: string;
} {
  const level = LEVELS.find((l) => l.level === c.notify)!;
  if (c.muted) return { icon: 'bellOff', label: `Muted · ${level.label}` };
  const icon: IconName = c.notify === 'mentions' ? 'at' : c.notify === 'none' ? 'bellOff' : 'bell';
  return { icon, label: level.label };
}

/** Arrow keys move between the items (wrapping), Home and End jump; Tab closes. */
function moveFocus(e: KeyboardEvent<HTMLDivElement>, close: () => void): void {
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>('[role^="menuitem"]')];
  const i = items.indexOf(document.activeElement as HTMLElement);
  const go = (j: number) => {
    e.preventDefault();
    items[(j + items.length) % items.length]?.focus();
  };
  if (e.key === 'ArrowDown') go(i + 1);
  else if (e.key === 'ArrowUp') go(i - 1);
  else if (e.key === 'Home') go(0);
  else if (e.key === 'End') go(items.length - 1);
  else if (e.key === 'Tab') close();
}

/**
 * Notification settings of one conversation, from its header: the level (all, mentions,
 * nothing) and mute. Saved on the server, so every device of mine follows; shown at once and
 * put back if the server refuses.
 */
export function NotifyMenu({ c }: { c: Conversation }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const { icon, label } = notifyIcon(c);
  const titleId = useId();

  useEffect(() => {
    if (open) menu.current?.querySelector<HTMLElement>('[aria-checked="true"]')?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const save = (change: { notify?: NotifyLevel; muted?: boolean }) => {
    const before = client.store.getState().conversations[c.id];
    close();
    if (!before) return;
    client.adopt({ ...before, ...change });
    conversationsApi.settings(c.id, change).then(
      (fresh) => client.adopt(fresh),
      (err: unknown) => {
        const now = client.store.getState().conversations[c.id];
        if (now) client.adopt({ ...now, notify: before.notify, muted: before.muted });
        setNotice(`Could not save the notification settings: ${errorMessage(err)}`);
      },
    );
  };

  return (
    <>
      <button
        ref={button}
        type="button"
        className={`icon-button${open ? ' icon-button--on' : ''}`}
        onClick={() => setOpen((o) => !o)}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="Notification settings"
        title={`Notifications: ${label}`}
        data-notify={c.notify}
        data-muted={c.muted || undefined}
      >
        <Icon name={icon} />
      </button>
      {open && button.current && (
        <Popover anchor={button.current} onClose={close} className="menu-popover">
          <div
            ref={menu}
            role="menu"
            aria-label="Notification settings"
            className="menu notify-menu"
            onKeyDown={(e) => moveFocus(e, close)}
          >
            <div role="group" aria-labelledby={titleId}>
              <p className="menu__title" id={titleId}>
                Notify me about
              </p>
              {LEVELS.map((l) => (
                <button
                  key={l.level}
                  type="button"
                  role="menuitemradio"
                  aria-checked={c.notify === l.level}
                  className="menu__item menu__item--choice"
                  onClick={() => save({ notify: l.level })}
                >
                  <Icon name={c.notify === l.level ? 'check' : 'blank'} size={18} />
                  <span className="menu__label">
                    {l.label}
                    <small>{l.hint}</small>
                  </span>
                </button>
              ))}
            </div>
            <div className="menu__separator" role="separator" />
            <button
              type="button"
              role="menuitemcheckbox"
              aria-checked={c.muted}
              className="menu__item"
              onClick={() => save({ muted: !c.muted })}
            >
              <Icon name={c.muted ? 'check' : 'blank'} size={18} />
              <span className="menu__label">
                Mute conversation
                <small>No notifications, left out of the unread count</small>
              </span>
            </button>
          </div>
        </Popover>
      )}
    </>
  );
}
