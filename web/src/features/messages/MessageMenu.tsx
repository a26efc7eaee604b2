import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import type { MessagePermissions } from './permissions.js';

/** The reactions one press away in the menu. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

export type MenuAction =
  | { kind: 'react'; emoji: string }
  | { kind: 'moreReactions' | 'reply' | 'edit' | 'copy' | 'pin' | 'delete' };

function Item({
  icon,
  label,
  danger,
  onSelect,
}: {
  icon: IconName;
  label: string;
  danger?: boolean;
  onSelect: () => void;
}) {
  return (
    <button
      type="button"
      role="menuitem"
      className={`menu__item${danger ? ' menu__item--danger' : ''}`}
      onClick={onSelect}
    >
      <Icon name={icon} size={18} />
      <span>{label}</span>
    </button>
  );
}

/** Arrow keys move between the items (wrapping), Home and End jump; Tab leaves and closes. */
function moveFocus(e: KeyboardEvent<HTMLDivElement>, onClose: () => void): void {
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>('[role="menuitem"]')];
  const i = items.indexOf(document.activeElement as HTMLElement);
  const go = (j: number) => {
    e.preventDefault();
    items[(j + items.length) % items.length]?.focus();
  };
  if (e.key === 'ArrowDown' || e.key === 'ArrowRight') go(i + 1);
  else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') go(i - 1);
  else if (e.key === 'Home') go(0);
  else if (e.key === 'End') go(items.length - 1);
  else if (e.key === 'Tab') onClose();
}

/** The actions on one message, beside it (a sheet at the bottom on a phone). */
export function MessageMenu({
  message,
  perms,
  anchor,
  onAction,
  onClose,
}: {
  message: Message;
  perms: MessagePermissions;
  anchor: HTMLElement;
  onAction: (a: MenuAction) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, []);
  return (
    <Popover anchor={anchor} onClose={onClose} sheet className="menu-popover">
      <div
        ref={ref}
        role="menu"
        aria-label="Message actions"
        className="menu"
        onKeyDown={(e) => moveFocus(e, onClose)}
      >
        {perms.react && (
          <div className="menu__reactions" role="group" aria-label="Quick reactions">
            {QUICK_REACTIONS.map((emoji) => (
              <button
                key={emoji}
                type="button"
                role="menuitem"
                className="menu__emoji"
                aria-label={`React with ${emoji}`}
                title={`React with ${emoji}`}
                onClick={() => onAction({ kind: 'react', emoji })}
              >
                {emoji}
              </button>
            ))}
            <button
              type="button"
              role="menuitem"
              className="menu__emoji menu__emoji--more"
              aria-label="More reactions"
              title="More reactions"
              onClick={() => onAction({ kind: 'moreReactions' })}
            >
              <Icon name="smilePlus" size={20} />
            </button>
          </div>
        )}
        {perms.reply && (
          <Item icon="reply" label="Reply" onSelect={() => onAction({ kind: 'reply' })} />
        )}
        {perms.edit && (
          <Item icon="edit" label="Edit" onSelect={() => onAction({ kind: 'edit' })} />
        )}
        {perms.copy && (
          <Item icon="copy" label="Copy text" onSelect={() => onAction({ kind: 'copy' })} />
        )}
        {perms.pin && (
          <Item
            icon="pin"
            label={message.pinned ? 'Unpin' : 'Pin'}
            onSelect={() => onAction({ kind: 'pin' })}
          />
        )}
        {perms.delete && (
          <Item icon="trash" label="Delete" danger onSelect={() => onAction({ kind: 'delete' })} />
        )}
      </div>
    </Popover>
  );
}
