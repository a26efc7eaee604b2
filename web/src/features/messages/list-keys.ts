import type { KeyboardEvent } from 'react';

const ROW = '[data-testid="message"][tabindex]';

/** The message rows on screen (or just beside it), in order. */
function rowsOf(list: HTMLElement): HTMLElement[] {
  return [...list.querySelectorAll<HTMLElement>(ROW)];
}

/** The first or last row fully inside the scroller's view. */
function visibleRow(list: HTMLElement, scroller: HTMLElement, last: boolean): HTMLElement | null {
  const view = scroller.getBoundingClientRect();
  const inside = rowsOf(list).filter((el) => {
    const r = el.getBoundingClientRect();
    return r.top >= view.top - 1 && r.bottom <= view.bottom + 1;
  });
  return (last ? inside[inside.length - 1] : inside[0]) ?? null;
}

/** Focuses the row before or after one, scrolling to render it when it is not in the DOM yet. */
function step(list: HTMLElement, from: HTMLElement, by: 1 | -1, retry = true): void {
  const rows = rowsOf(list);
  const next = rows[rows.indexOf(from) + by];
  if (next) {
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: 'nearest' });
    return;
  }
  const scroller = list.querySelector<HTMLElement>('[data-testid="virtuoso-scroller"]');
  if (!scroller || !retry) return;
  scroller.scrollBy({ top: by * 160 });
  requestAnimationFrame(() => step(list, from, by, false));
}

/**
 * Keyboard in the message list. From the list itself, Up or Down enters the messages (the
 * newest or oldest on screen); on a message, Up and Down move between messages, Enter (or the
 * context-menu key) opens its actions, Escape goes back to the composer.
 */
export function onListKeyDown(e: KeyboardEvent<HTMLElement>): void {
  // With a modifier the keys are the app's (Alt+Up and Alt+Down change conversation).
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const list = e.currentTarget;
  const target = e.target as HTMLElement;
  const up = e.key === 'ArrowUp';
  const down = e.key === 'ArrowDown';
  if (target.matches('[data-testid="virtuoso-scroller"]')) {
    if (!up && !down) return;
    const row = visibleRow(list, target, up);
    if (!row) return;
    e.preventDefault();
    row.focus();
    return;
  }
  if (!target.matches(ROW)) return;
  if (up || down) {
    e.preventDefault();
    step(list, target, up ? -1 : 1);
  } else if (e.key === 'Enter' || e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
    const button = target.querySelector<HTMLElement>('[data-menu-button]');
    if (!button) return;
    e.preventDefault();
    button.click();
  } else if (e.key === 'Escape') {
    e.preventDefault();
    document.querySelector<HTMLElement>('.composer textarea')?.focus();
  }
}
