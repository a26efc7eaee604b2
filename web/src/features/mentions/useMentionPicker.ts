import { useCallback, useMemo, type RefObject, type SyntheticEvent } from 'react';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { useCompletion, type CompletionPicker } from '../../ui/useCompletion.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useMe } from '../realtime/ChatContext.js';
import {
  filterMembers,
  insertMention,
  mentionQueryAt,
  type MentionQuery,
} from './mention-query.js';

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

export type MentionPickerState = CompletionPicker<PublicUser>;

const findMention = (text: string, caret: number) => mentionQueryAt(text, caret);
const insertUser = (text: string, q: MentionQuery, caret: number, u: PublicUser) =>
  insertMention(text, q, caret, u.username);

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
  const optionsFor = useCallback((typed: string) => filterMembers(members, typed), [members]);
  const c = useCompletion(ref, value, setValue, findMention, optionsFor, insertUser);
  const inputProps = {
    'aria-autocomplete': 'list' as const,
    'aria-controls': c.aria['aria-controls'],
    'aria-activedescendant': c.aria['aria-activedescendant'],
    onSelect: (e: SyntheticEvent<HTMLTextAreaElement>) => c.track(e.currentTarget),
  };
  return { picker: c.picker, onKeyDown: c.onKeyDown, inputProps, track: c.track, close: c.close };
}
