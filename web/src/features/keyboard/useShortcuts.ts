import { useEffect, useLayoutEffect, useRef } from 'react';
import { navigate } from '../../lib/router.js';
import { sortByActivity } from '../conversations/conversations-state.js';
import { useClient } from '../realtime/ChatContext.js';

/** The conversation `step` places away from `activeId` in the sidebar's order, or null. */
export function neighbour(ids: readonly number[], activeId: number | null, step: 1 | -1) {
  if (ids.length === 0) return null;
  const i = activeId === null ? -1 : ids.indexOf(activeId);
  if (i < 0) return step === 1 ? ids[0]! : ids[ids.length - 1]!;
  const next = i + step;
  return next < 0 || next >= ids.length ? null : ids[next]!;
}

/**
 * The app's keys: Ctrl+K (Cmd+K on a Mac) opens the quick switcher, Alt+Up and Alt+Down go to
 * the conversation above or below the open one in the sidebar.
 */
export function useShortcuts(activeId: number | null, openSwitcher: () => void): void {
  const client = useClient();
  // Read when a key comes, not when the listener was added: a key pressed right after a
  // change of conversation (a held Alt+Down) must start from the new one, also before the
  // effects of that render have run.
  const current = useRef({ activeId, openSwitcher });
  useLayoutEffect(() => {
    current.current = { activeId, openSwitcher };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        current.current.openSwitcher();
        return;
      }
      if (e.altKey && !mod && !e.shiftKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        // Not while a dialog is open: it owns the keys.
        if (document.querySelector('dialog[open]')) return;
        const ids = sortByActivity(client.store.getState().conversations).map((c) => c.id);
        const to = neighbour(ids, current.current.activeId, e.key === 'ArrowDown' ? 1 : -1);
        e.preventDefault();
        if (to !== null) navigate(`/c/${to}`);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [client]);
}
