import { useSyncExternalStore } from 'react';

/** The user's choice of colours: follow the system, or always light, or always dark. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const LAST = 'parley:theme';
const ofUser = (userId: number) => `parley:theme:${userId}`;
const listeners = new Set<() => void>();
let current: ThemeChoice = 'system';

function read(key: string): ThemeChoice {
  try {
    const v = localStorage.getItem(key);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function write(key: string, choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(key);
    else localStorage.setItem(key, choice);
  } catch {
    /* storage disabled: the choice lasts for this page */
  }
}

/**
 * Applies a choice to the page: `data-theme` on <html> selects the colours in app.css (none:
 * the system's), and the browser's own controls and scrollbars follow through color-scheme.
 */
function apply(choice: ThemeChoice): void {
  current = choice;
  if (typeof document !== 'undefined') {
    const root = document.documentElement;
    if (choice === 'system') delete root.dataset.theme;
    else root.dataset.theme = choice;
  }
  for (const l of [...listeners]) l();
}

export const theme = {
  /** After sign-in: this user's choice on this browser. */
  useFor(userId: number): void {
    const choice = read(ofUser(userId));
    write(LAST, choice);
    apply(choice);
  },
  /** The user picks a theme: kept per user, and as the first paint's choice on this browser. */
  set(userId: number, choice: ThemeChoice): void {
    write(ofUser(userId), choice);
    write(LAST, choice);
    apply(choice);
  },
  get: (): ThemeChoice => current,
};

/** The current choice, re-rendering when it changes. */
export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    theme.get,
    theme.get,
  );
}

// The choice last made on this browser applies as soon as the app's code runs, before React
// draws anything, so a dark choice does not flash light (the first user's own choice follows
// at sign-in).
apply(read(LAST));
