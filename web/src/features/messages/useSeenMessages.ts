import { useCallback, useEffect, useRef } from 'react';
import { useClient, usePageAttention } from '../realtime/ChatContext.js';

/** The attribute a stored message's element carries (its seq), for the seen check. */
export const SEEN_ATTR = 'data-seen-seq';

/**
 * Whether an element counts as seen in a scroller's box: at least half of it is inside, or
 * (a message taller than the screen) it fills at least half of the box.
 */
export function isSeen(el: DOMRect, box: DOMRect): boolean {
  const visible = Math.min(el.bottom, box.bottom) - Math.max(el.top, box.top);
  if (visible <= 0 || el.height === 0) return false;
  return visible >= el.height / 2 || visible >= box.height / 2;
}

/** The highest seq among the message elements seen in a scroller right now, or 0. */
export function newestSeen(scroller: HTMLElement): number {
  const box = scroller.getBoundingClientRect();
  if (box.height === 0) return 0;
  let newest = 0;
  for (const el of scroller.querySelectorAll<HTMLElement>(`[${SEEN_ATTR}]`)) {
    const seq = Number(el.getAttribute(SEEN_ATTR));
    if (seq > newest && isSeen(el.getBoundingClientRect(), box)) newest = seq;
  }
  return newest;
}

/**
 * "Read" means seen: marks a conversation read up to the newest message that is on screen
 * while the tab is visible and focused. Checked when the list scrolls, when its rows change
 * (a message arriving in view), and when the tab comes back; a message that arrives below the
 * screen while the reader is scrolled up stays unread until it is scrolled into view.
 * Returns the ref callback for the list's scroller.
 */
export function useSeenMessages(conversationId: number): (el: HTMLElement | null) => void {
  const client = useClient();
  const attentive = usePageAttention();
  const attention = useRef(attentive);
  attention.current = attentive;
  const scroller = useRef<HTMLElement | null>(null);
  const frame = useRef(0);
  const cleanup = useRef<(() => void) | null>(null);

  const check = useCallback(() => {
    frame.current = 0;
    const el = scroller.current;
    if (!el || !attention.current) return;
    const seq = newestSeen(el);
    if (seq > 0) client.markRead(conversationId, seq);
  }, [client, conversationId]);

  const later = useCallback(() => {
    frame.current ||= requestAnimationFrame(check);
  }, [check]);

  useEffect(() => {
    if (attentive) later();
  }, [attentive, later]);

  useEffect(
    () => () => {
      cancelAnimationFrame(frame.current);
      frame.current = 0;
    },
    [],
  );

  return useCallback(
    (el: HTMLElement | null) => {
      cleanup.current?.();
      cleanup.current = null;
      scroller.current = el;
      if (!el) return;
      const rows = new MutationObserver(later);
      rows.observe(el, { childList: true, subtree: true });
      const resized = new ResizeObserver(later);
      resized.observe(el);
      el.addEventListener('scroll', later, { passive: true });
      later();
      cleanup.current = () => {
        rows.disconnect();
        resized.disconnect();
        el.removeEventListener('scroll', later);
      };
    },
    [later],
  );
}
