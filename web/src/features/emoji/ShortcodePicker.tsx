import { CompletionList } from '../../ui/CompletionList.js';
import type { ShortcodePickerState } from './useShortcodePicker.js';

/** The emoji that fit the `:code` being typed, beside the text box (which keeps the focus). */
export function ShortcodePicker({
  picker,
  anchor,
}: {
  picker: ShortcodePickerState;
  anchor: HTMLElement | null;
}) {
  return (
    <CompletionList
      picker={picker}
      anchor={anchor}
      label="Emoji"
      testId="shortcode-picker"
      keyOf={(s) => s.emoji}
    >
      {(s) => (
        <>
          <span className="shortcode__emoji" aria-hidden="true">
            {s.emoji}
          </span>
          <span className="mention-picker__name">:{s.name}:</span>
        </>
      )}
    </CompletionList>
  );
}
