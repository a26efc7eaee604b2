import type { Message } from '../../../../protocol/schemas/conversations.js';
import { Icon } from '../../ui/Icon.js';
import { useUiDispatch, type Overlay } from './conversation-ui.js';
import type { MessagePermissions } from './permissions.js';

/**
 * The small toolbar beside a message on hover or focus: react, reply, and the menu button
 * with every action. Out of the Tab order: from the keyboard, a focused message opens its
 * menu with Enter.
 */
export function MessageTools({
  message,
  perms,
  menuOpen,
}: {
  message: Message;
  perms: MessagePermissions;
  menuOpen: boolean;
}) {
  const ui = useUiDispatch();
  const open = (kind: Overlay['kind'], el: HTMLElement) =>
    ui({
      type: 'overlay',
      overlay: {
        kind,
        messageId: message.id,
        anchor: el,
        returnTo: el.closest<HTMLElement>('[data-testid="message"]'),
      },
    });
  return (
    <div className="msg__tools">
      {perms.react && (
        <button
          type="button"
          className="msg__tool"
          tabIndex={-1}
          aria-label="Add reaction"
          title="Add reaction"
          onClick={(e) => open('picker', e.currentTarget)}
        >
          <Icon name="smilePlus" size={18} />
        </button>
      )}
      {perms.reply && (
        <button
          type="button"
          className="msg__tool"
          tabIndex={-1}
          aria-label="Reply"
          title="Reply"
          onClick={() => ui({ type: 'reply', message })}
        >
          <Icon name="reply" size={18} />
        </button>
      )}
      <button
        type="button"
        className="msg__tool"
        tabIndex={-1}
        aria-label="More actions"
        title="More actions"
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        data-menu-button=""
        onClick={(e) => open('menu', e.currentTarget)}
      >
        <Icon name="more" size={18} strokeWidth={3} />
      </button>
    </div>
  );
}
