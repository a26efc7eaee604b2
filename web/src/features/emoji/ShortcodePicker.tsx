import { Popover } from '../../ui/Popover.js';
import type { ShortcodePickerState } from './useShortcodePicker.js';

/** The emoji that fit the `:code` being typed, beside the text box (which keeps the focus). */
export function ShortcodePicker({
  picker,
  anchor,
}: {
  picker: ShortcodePickerState;
  anchor: HTMLElement | null;
}) {
  if (!anchor) return null;
  return (
    <Popover anchor={anchor} onClose={picker.dismiss} align="start" className="mention-popover">
      <ul
        className="mention-picker"
        id={picker.listId}
        role="listbox"
        aria-label="Emoji"
        data-testid="shortcode-picker"
      >
        {picker.options.map((s, i) => (
          <li
            key={s.emoji}
            id={picker.optionId(i)}
            role="option"
            aria-selected={i === picker.active}
            className={`mention-picker__option${i === picker.active ? ' mention-picker__option--active' : ''}`}
            onMouseDown={(e) => {
              e.preventDefault();
              picker.choose(s);
            }}
            onMouseMove={() => i !== picker.active && picker.hover(i)}
          >
            <span className="shortcode__emoji" aria-hidden="true">
              {s.emoji}
            </span>
            <span className="mention-picker__name">:{s.name}:</span>
          </li>
        ))}
      </ul>
    </Popover>
  );
}
