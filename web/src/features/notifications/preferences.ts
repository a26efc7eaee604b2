import { useSyncExternalStore } from 'react';

// Per-browser preferences (never tokens): muted conversations and whether we asked about
// desktop notifications. The protocol has no mute setting, so muting is kept here.
const listeners = new Set<() => void>();
const cache = new Map<string, string | null>();

function read(key: string): string | null {
  if (!cache.has(key)) {
    let v: string | null = null;
    try {
      v = localStorage.getItem(key);
    } catch {
      v = null;
    }
    cache.set(key, v);
  }
  return cache.get(key) ?? null;
}

function write(key: string, value: string): void {
  cache.set(key, value);
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode: keep it for this page only */
  }
  for (const l of [...listeners]) l();
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key) cache.delete(e.key);
    for (const l of [...listeners]) l();
  });
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

const mutedKey = (userId: number) => `parley.muted.${userId}`;
const parsedMuted = new Map<string, { raw: string | null; set: ReadonlySet<number> }>();

/** Conversations muted in this browser by this user. */
export function mutedSet(userId: number): ReadonlySet<number> {
  const key = mutedKey(userId);
  const raw = read(key);
  const held = parsedMuted.get(key);
  if (held && held.raw === raw) return held.set;
  let ids: number[] = [];
  try {
    const v: unknown = raw ? JSON.parse(raw) : [];
    if (Array.isArray(v)) ids = v.filter((x): x is number => typeof x === 'number');
  } catch {
    ids = [];
  }
  const set = new Set(ids);
  parsedMuted.set(key, { raw, set });
  return set;
}

export function setMuted(userId: number, conversationId: number, muted: boolean): void {
  const next = new Set(mutedSet(userId));
  if (muted) next.add(conversationId);
  else next.delete(conversationId);
  write(mutedKey(userId), JSON.stringify([...next]));
}

export function useMuted(userId: number): ReadonlySet<number> {
  return useSyncExternalStore(
    subscribe,
    () => mutedSet(userId),
    () => mutedSet(userId),
  );
}

const ASKED = 'parley.notifications.asked';
export function notificationsAsked(): boolean {
  return read(ASKED) === '1';
}
export function markNotificationsAsked(): void {
  write(ASKED, '1');
}
export function useNotificationsAsked(): boolean {
  return useSyncExternalStore(subscribe, notificationsAsked, notificationsAsked);
}
