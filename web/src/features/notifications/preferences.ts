import { useSyncExternalStore } from 'react';

// Per-browser preferences (never tokens): the notification sound, and whether we asked about
// desktop notifications. Muting and notification levels live on the server now (they follow the
// user to every device); what an earlier version muted in this browser is moved there once.
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

/** Conversations an earlier version muted in this browser only (to move to the server). */
export function legacyMutedIds(userId: number): number[] {
  const raw = read(mutedKey(userId));
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x) && x > 0) : [];
  } catch {
    return [];
  }
}

export function clearLegacyMuted(userId: number): void {
  cache.set(mutedKey(userId), null);
  try {
    localStorage.removeItem(mutedKey(userId));
  } catch {
    /* nothing stored */
  }
}

const SOUND = 'parley.sound';
/** Whether new messages make a sound (on unless turned off). */
export function soundEnabled(): boolean {
  return read(SOUND) !== '0';
}
export function setSoundEnabled(on: boolean): void {
  write(SOUND, on ? '1' : '0');
}
export function useSoundEnabled(): boolean {
  return useSyncExternalStore(subscribe, soundEnabled, soundEnabled);
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
