import { useCallback, useMemo } from 'react';
import type { Member } from '../../../../protocol/schemas/conversations.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useMe } from '../realtime/ChatContext.js';

type Members = Readonly<Record<number, Member>>;
const cache = new WeakMap<Members, ReadonlySet<string>>();

/** The lower-cased usernames of a member list (one set per list held). */
function namesOf(members: Members): ReadonlySet<string> {
  let set = cache.get(members);
  if (!set) {
    set = new Set(Object.values(members).map((m) => m.user.username.toLowerCase()));
    cache.set(members, set);
  }
  return set;
}

/**
 * Who a message's `@names` can be, for drawing chips: the conversation's members now, plus the
 * people the server found mentioned when it was sent (`message.mentions`), who may have left
 * since. Undefined until the members are known.
 */
export function useMentionNames(
  conversationId: number,
  mentionIds: readonly number[] | undefined,
): ReadonlySet<string> | undefined {
  const members = useChat(
    useCallback((s: ChatState) => s.members[conversationId], [conversationId]),
  );
  const ids = mentionIds?.join(',') ?? '';
  const mentioned = useChat(
    useCallback(
      (s: ChatState) =>
        ids
          .split(',')
          .filter(Boolean)
          .map((id) => s.users[Number(id)]?.username.toLowerCase() ?? '')
          .join(' '),
      [ids],
    ),
  );
  return useMemo(() => {
    if (!members) return undefined;
    const base = namesOf(members);
    const extra = mentioned.split(' ').filter((n) => n !== '' && !base.has(n));
    return extra.length ? new Set([...base, ...extra]) : base;
  }, [members, mentioned]);
}

/** My username, lower-cased, as it is now (it can change live). */
export function useMyMentionKey(): string {
  const me = useMe();
  const live = useChat(useCallback((s: ChatState) => s.users[me.id]?.username, [me.id]));
  return (live ?? me.username).toLowerCase();
}
