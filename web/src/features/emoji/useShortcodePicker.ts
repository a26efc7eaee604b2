import {
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from 'react';
import {
  closedShortcodeAt,
  exactShortcode,
  insertAt,
  loadShortcodes,
  matchShortcodes,
  shortcodeQueryAt,
  type Shortcode,
} from './shortcodes.js';

export interface ShortcodePickerState {
  listId: string;
  optionId: (i: number) => string;
  options: Shortcode[];
  active: number;
  choose: (s: Shortcode) => void;
  hover: (i: number) => void;
  dismiss: () => void;
}

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
  const listId = useId();
  const [table, setTable] = useState<readonly Shortcode[] | null>(null);
  const [caret, setCaret] = useState<number | null>(null);
  const [activeAt, setActiveAt] = useState({ key: '', index: 0 });
  const [dismissed, setDismissed] = useState<number | null>(null);
  const nextCaret = useRef<number | null>(null);

  const query = caret === null ? null : shortcodeQueryAt(value, caret);
  const wanted = query !== null;
  useEffect(() => {
    if (wanted && !table) void loadShortcodes().then(setTable);
  }, [wanted, table]);
  const typed = query?.query ?? null;
  const options = useMemo(
    () => (typed === null || !table ? [] : matchShortcodes(table, typed)),
    [table, typed],
  );
  const open = query !== null && query.start !== dismissed && options.length > 0;
  const queryKey = query ? `${query.start}:${query.query}` : '';
  const active = activeAt.key === queryKey ? activeAt.index : 0;
  const current = Math.min(active, Math.max(0, options.length - 1));

  const closed = query === null;
  useEffect(() => {
    if (closed) setDismissed(null);
  }, [closed]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (nextCaret.current === null || !el) return;
    el.focus();
    el.setSelectionRange(nextCaret.current, nextCaret.current);
    setCaret(nextCaret.current);
    nextCaret.current = null;
  }, [value, ref]);

  const replace = (from: number, to: number, emoji: string) => {
    const next = insertAt(value, from, to, emoji);
    nextCaret.current = next.caret;
    setValue(next.text);
  };
  const choose = (s: Shortcode) => {
    if (query && caret !== null) replace(query.start, caret, s.emoji);
  };

  /** After each change: the caret, and a `:name:` just closed becomes its emoji. */
  const onChange = (el: HTMLTextAreaElement) => {
    const at = el.selectionStart === el.selectionEnd ? el.selectionStart : null;
    setCaret(at);
    if (at === null || !table) return;
    const closed = closedShortcodeAt(el.value, at);
    const emoji = closed && exactShortcode(table, closed.name);
    if (closed && emoji) {
      const next = insertAt(el.value, closed.from, at, emoji);
      nextCaret.current = next.caret;
      setValue(next.text);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open || e.nativeEvent.isComposing) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActiveAt({ key: queryKey, index: (current + step + options.length) % options.length });
    } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      choose(options[current]!);
    } else if (e.key === 'Escape') {
      setDismissed(query.start);
    } else return false;
    e.preventDefault();
    e.stopPropagation();
    return true;
  };

  const optionId = (i: number) => `${listId}-${i}`;
  const picker: ShortcodePickerState | null = open
    ? {
        listId,
        optionId,
        options,
        active: current,
        choose,
        hover: (i) => setActiveAt({ key: queryKey, index: i }),
        dismiss: () => setDismissed(query.start),
      }
    : null;
  return {
    picker,
    onKeyDown,
    onChange,
    track: (el: HTMLTextAreaElement) =>
      setCaret(el.selectionStart === el.selectionEnd ? el.selectionStart : null),
    close: () => setCaret(null),
    /** For the text box: the list it controls and its active option. */
    aria: open
      ? { 'aria-controls': listId, 'aria-activedescendant': optionId(current) }
      : ({} as Record<string, string>),
  };
}
