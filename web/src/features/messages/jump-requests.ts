import { useEffect, useSyncExternalStore } from 'react';

// A message to show once its conversation is open (a search result, say): asked for before
// navigating, taken by that conversation's view when it is on screen.
let pending: { conversationId: number; seq: number } | null = null;
let version = 0;
const listeners = new Set<() => void>();

export function requestJump(conversationId: number, seq: number): void {
  pending = { conversationId, seq };
  version++;
  for (const l of [...listeners]) l();
}

/** The jump asked for in this conversation, if any, left in place. */
export function peekJump(conversationId: number): number | null {
  return pending?.conversationId === conversationId ? pending.seq : null;
}

/** Takes the jump asked for in this conversation, if any (once). */
export function takeJump(conversationId: number): number | null {
  if (pending?.conversationId !== conversationId) return null;
  const { seq } = pending;
  pending = null;
  return seq;
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const snapshot = () => version;

/** Calls `onJump` with the seq whenever a jump is asked for in this conversation. */
export function useJumpRequests(conversationId: number, onJump: (seq: number) => void): void {
  const v = useSyncExternalStore(subscribe, snapshot, snapshot);
  useEffect(() => {
    const seq = takeJump(conversationId);
    if (seq !== null) onJump(seq);
  }, [v, conversationId, onJump]);
}
