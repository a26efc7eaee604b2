import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
  type SyntheticEvent,
} from 'react';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useMe } from '../realtime/ChatContext.js';
import { filterMembers, insertMention, mentionQueryAt } from './mention-query.js';

/** The members of a conversation other than me, as users (empty until its details load). */
export function useOtherMembers(conversationId: number): PublicUser[] {
  const me = useMe();
  const members = useChat(
    useCallback((s: ChatState) => s.members[conversationId], [conversationId]),
  );
  return useMemo(
    () =>
      members
        ? Object.values(members)
            .map((m) => m.user)
            .filter((u) => u.id !== me.id)
        : [],
    [members, me.id],
  );
}

export interface MentionPickerState {
  listId: string;
  optionId: (i: number) => string;
  options: PublicUser[];
  active: number;
  choose: (u: PublicUser) => void;
  hover: (i: number) => void;
  /** Closes the list until the caret leaves this `@word` (Escape, a press elsewhere). */
  dismiss: () => void;
}

/**
 * The `@` member list of a text box: open while the caret is in an `@word` that some member
 * fits, filtered as one types. Arrows move, Enter or Tab inserts `@username `, Escape closes
 * it (until another `@` is typed). `onKeyDown` answers whether it used the key.
 */
export function useMentionPicker(
  conversationId: number,
  ref: RefObject<HTMLTextAreaElement | null>,
  value: string,
  setValue: (v: string) => void,
) {
  const members = useOtherMembers(conversationId);
  const listId = useId();
  const [caret, setCaret] = useState<number | null>(null);
  const [activeAt, setActiveAt] = useState({ key: '', index: 0 });
  const [dismissed, setDismissed] = useState<number | null>(null);
  const nextCaret = useRef<number | null>(null);

  const query = caret === null ? null : mentionQueryAt(value, caret);
  const typed = query?.query ?? null;
  const options = useMemo(
    () => (typed === null ? [] : filterMembers(members, typed)),
    [members, typed],
  );
  const open = query !== null && query.start !== dismissed && options.length > 0;
  // The highlighted option goes back to the first whenever the query changes.
  const queryKey = query ? `${query.start}:${query.query}` : '';
  const active = activeAt.key === queryKey ? activeAt.index : 0;
  const current = Math.min(active, Math.max(0, options.length - 1));
  const setActive = (index: number) => setActiveAt({ key: queryKey, index });

  // Escape holds until the caret leaves that `@word`.
  const closed = query === null;
  useEffect(() => {
    if (closed) setDismissed(null);
  }, [closed]);

  // After an insertion, put the caret after the inserted name once the text is rendered.
  useLayoutEffect(() => {
    const el = ref.current;
    if (nextCaret.current === null || !el) return;
    el.focus();
    el.setSelectionRange(nextCaret.current, nextCaret.current);
    setCaret(nextCaret.current);
    nextCaret.current = null;
  }, [value, ref]);

  const choose = (u: PublicUser) => {
    const el = ref.current;
    if (!query || !el) return;
    const next = insertMention(value, query, el.selectionStart, u.username);
    nextCaret.current = next.caret;
    setValue(next.text);
  };

  /** Keeps track of the caret (typing, clicks, arrow keys). */
  const track = (el: HTMLTextAreaElement) =>
    setCaret(el.selectionStart === el.selectionEnd ? el.selectionStart : null);
  const onSelect = (e: SyntheticEvent<HTMLTextAreaElement>) => track(e.currentTarget);

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
  const inputProps = {
    'aria-autocomplete': 'list' as const,
    'aria-controls': open ? listId : undefined,
    'aria-activedescendant': open ? optionId(current) : undefined,
    onSelect,
  };
  const picker: MentionPickerState | null = open
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
  return { picker, onKeyDown, inputProps, track, close: () => setCaret(null) };
}
