/**
 * Unsent text of the composer, per user and conversation, in localStorage: it survives
 * switching conversations, a reload and a browser restart. A draft is at most one message long
 * (8000 characters), so a write per keystroke is cheap. Storage can be missing or full (private
 * modes): then drafts live as long as the page.
 */
const PREFIX = 'parley:draft:';
const memory = new Map<string, string>();

const keyOf = (userId: number, conversationId: number) => `${PREFIX}${userId}:${conversationId}`;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export const drafts = {
  get(userId: number, conversationId: number): string {
    const key = keyOf(userId, conversationId);
    try {
      return storage()?.getItem(key) ?? memory.get(key) ?? '';
    } catch {
      return memory.get(key) ?? '';
    }
  },

  set(userId: number, conversationId: number, text: string): void {
    const key = keyOf(userId, conversationId);
    if (text === '') memory.delete(key);
    else memory.set(key, text);
    try {
      if (text === '') storage()?.removeItem(key);
      else storage()?.setItem(key, text);
    } catch {
      /* full or disabled: the copy in memory stays */
    }
  },

  /** Forgets every draft of one user (they signed out on purpose). */
  clear(userId: number): void {
    const mine = `${PREFIX}${userId}:`;
    for (const key of [...memory.keys()]) if (key.startsWith(mine)) memory.delete(key);
    const s = storage();
    if (!s) return;
    try {
      const keys: string[] = [];
      for (let i = 0; i < s.length; i++) {
        const key = s.key(i);
        if (key?.startsWith(mine)) keys.push(key);
      }
      for (const key of keys) s.removeItem(key);
    } catch {
      /* nothing stored */
    }
  },
};
