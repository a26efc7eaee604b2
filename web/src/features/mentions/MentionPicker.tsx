import { Avatar } from '../../ui/Avatar.js';
import { Popover } from '../../ui/Popover.js';
import type { MentionPickerState } from './useMentionPicker.js';

/**
 * The member list shown beside a text box while an `@name` is typed. The text box keeps the
 * focus (it points at the active option with aria-activedescendant); a press picks a person.
 */
export function MentionPicker({
  picker,
  anchor,
}: {
  picker: MentionPickerState;
  anchor: HTMLElement | null;
}) {
  if (!anchor) return null;
  return (
    <Popover anchor={anchor} onClose={picker.dismiss} align="start" className="mention-popover">
      <ul
        className="mention-picker"
        id={picker.listId}
        role="listbox"
        aria-label="Mention someone"
        data-testid="mention-picker"
      >
        {picker.options.map((u, i) => (
          <li
            key={u.id}
            id={picker.optionId(i)}
            role="option"
            aria-selected={i === picker.active}
            className={`mention-picker__option${i === picker.active ? ' mention-picker__option--active' : ''}`}
            // Keep the focus in the text box: pick on mouse down, before it would blur.
            onMouseDown={(e) => {
              e.preventDefault();
              picker.choose(u);
            }}
            onMouseMove={() => i !== picker.active && picker.hover(i)}
          >
            <Avatar name={u.displayName} url={u.avatarUrl} seed={u.id} size={28} />
            <span className="mention-picker__name">{u.displayName}</span>
            <span className="mention-picker__username">@{u.username}</span>
          </li>
        ))}
      </ul>
    </Popover>
  );
}
