import { useCallback, useEffect, useState, type RefObject } from 'react';
import { useCompletion, type CompletionPicker } from '../../ui/useCompletion.js';
import {
  closedShortcodeAt,
  exactShortcode,
  insertAt,
  loadShortcodes,
  matchShortcodes,
  shortcodeQueryAt,
  type Shortcode,
} from './shortcodes.js';

export type ShortcodePickerState = CompletionPicker<Shortcode>;

const insertEmoji = (text: string, q: { start: number }, caret: number, s: Shortcode) =>
  insertAt(text, q.start, caret, s.emoji);

/**
 * `:shortcode:` completion in a text box: typing `:ta` lists 🎉 :tada: and the like (arrows
 * move, Enter or Tab inserts, Escape closes); typing a whole `:tada:` turns it into 🎉.
 * `onKeyDown` answers whether it used the key; `onChange` is called with every new value.
 */
export function useShortcodePicker(
  ref: RefObject<HTMLTextAreaElement | null>,
  value: string,
  setValue: (v: string) => void,
) {
  const [table, setTable] = useState<readonly Shortcode[] | null>(null);
  const optionsFor = useCallback(
    (typed: string) => (table ? matchShortcodes(table, typed) : []),
    [table],
  );
  const c = useCompletion(ref, value, setValue, shortcodeQueryAt, optionsFor, insertEmoji);

  // The table loads the first time a `:word` is typed.
  const wanted = c.query !== null;
  useEffect(() => {
    if (wanted && !table) void loadShortcodes().then(setTable);
  }, [wanted, table]);

  /** After each change: the caret, and a `:name:` just closed becomes its emoji. */
  const onChange = (el: HTMLTextAreaElement) => {
    c.track(el);
    const at = el.selectionStart === el.selectionEnd ? el.selectionStart : null;
    if (at === null || !table) return;
    const closed = closedShortcodeAt(el.value, at);
    const emoji = closed && exactShortcode(table, closed.name);
    if (closed && emoji) c.apply(insertAt(el.value, closed.from, at, emoji));
  };

  return {
    picker: c.picker,
    onKeyDown: c.onKeyDown,
    onChange,
    track: c.track,
    close: c.close,
    aria: c.aria,
  };
}
