import type { Key, ReactNode } from 'react';
import { Popover } from './Popover.js';
import type { CompletionPicker } from './useCompletion.js';

/**
 * A completion list beside a text box. The text box keeps the focus (it points at the active
 * option with aria-activedescendant); a press picks an option, on mouse down, before the text
 * box would lose the focus.
 */
export function CompletionList<T>({
  picker,
  anchor,
  label,
  testId,
  keyOf,
  children,
}: {
  picker: CompletionPicker<T>;
  anchor: HTMLElement | null;
  label: string;
  testId: string;
  keyOf: (option: T) => Key;
  children: (option: T) => ReactNode;
}) {
  if (!anchor) return null;
  return (
    <Popover anchor={anchor} onClose={picker.dismiss} align="start" className="mention-popover">
      <ul
        className="mention-picker"
        id={picker.listId}
        role="listbox"
        aria-label={label}
        data-testid={testId}
      >
        {picker.options.map((option, i) => (
          <li
            key={keyOf(option)}
            id={picker.optionId(i)}
            role="option"
            aria-selected={i === picker.active}
            className={`mention-picker__option${i === picker.active ? ' mention-picker__option--active' : ''}`}
            onMouseDown={(e) => {
              e.preventDefault();
              picker.choose(option);
            }}
            onMouseMove={() => i !== picker.active && picker.hover(i)}
          >
            {children(option)}
          </li>
        ))}
      </ul>
    </Popover>
  );
}
