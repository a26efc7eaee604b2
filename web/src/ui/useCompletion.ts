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

/** The word being completed at the caret: where it starts and what is typed so far. */
export interface CompletionQuery {
  start: number;
  query: string;
}

/** What a completion list needs to draw itself and to act. */
export interface CompletionPicker<T> {
  listId: string;
  optionId: (i: number) => string;
  options: T[];
  active: number;
  choose: (option: T) => void;
  hover: (i: number) => void;
  /** Closes the list until the caret leaves this word (Escape, a press elsewhere). */
  dismiss: () => void;
}

/** A new text and where its caret goes once it is rendered. */
export interface Edit {
  text: string;
  caret: number;
}

/**
 * A completion list in a text box, whatever it completes (`@name`, `:shortcode:`): open while
 * the caret is in a word `find` recognizes and `optionsFor` has options for. Arrows move (the
 * highlight goes back to the first whenever the word changes), Enter or Tab inserts the option
 * through `insert`, Escape closes it until the caret leaves that word. `onKeyDown` answers
 * whether it used the key; `track` follows the caret (typing, clicks, arrow keys); `apply`
 * replaces the text and puts the caret where the edit says once it is rendered.
 */
export function useCompletion<T>(
  ref: RefObject<HTMLTextAreaElement | null>,
  value: string,
  setValue: (v: string) => void,
  find: (text: string, caret: number) => CompletionQuery | null,
  optionsFor: (query: string) => T[],
  insert: (text: string, query: CompletionQuery, caret: number, option: T) => Edit,
) {
  const listId = useId();
  const [caret, setCaret] = useState<number | null>(null);
  const [activeAt, setActiveAt] = useState({ key: '', index: 0 });
  const [dismissed, setDismissed] = useState<number | null>(null);
  const nextCaret = useRef<number | null>(null);

  const query = caret === null ? null : find(value, caret);
  const typed = query?.query ?? null;
  const options = useMemo(() => (typed === null ? [] : optionsFor(typed)), [optionsFor, typed]);
  const open = query !== null && query.start !== dismissed && options.length > 0;
  const queryKey = query ? `${query.start}:${query.query}` : '';
  const active = activeAt.key === queryKey ? activeAt.index : 0;
  const current = Math.min(active, Math.max(0, options.length - 1));
  const setActive = (index: number) => setActiveAt({ key: queryKey, index });

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

  const apply = (edit: Edit) => {
    nextCaret.current = edit.caret;
    setValue(edit.text);
  };
  const choose = (option: T) => {
    if (query && caret !== null) apply(insert(value, query, caret, option));
  };
  const track = (el: HTMLTextAreaElement) =>
    setCaret(el.selectionStart === el.selectionEnd ? el.selectionStart : null);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open || e.nativeEvent.isComposing) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((current + step + options.length) % options.length);
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
  const picker: CompletionPicker<T> | null = open
    ? {
        listId,
        optionId,
        options,
        active: current,
        choose,
        hover: setActive,
        dismiss: () => setDismissed(query.start),
      }
    : null;
  return {
    picker,
    query,
    onKeyDown,
    track,
    apply,
    close: () => setCaret(null),
    /** For the text box: the list it controls and its active option, while open. */
    aria: open
      ? { 'aria-controls': listId, 'aria-activedescendant': optionId(current) }
      : ({} as Record<string, string>),
  };
}
