import { useEffect, useRef, type PointerEvent } from 'react';

const HOLD_MS = 500;
const SLOP_PX = 10;
/** How long after the finger lifts its click may still come. */
const CLICK_WAIT_MS = 350;

/** Swallows the click that ends a long press: it would press what opened under the finger. */
function swallowNextClick(): () => void {
  const swallow = (e: Event) => {
    e.preventDefault();
    e.stopPropagation();
  };
  window.addEventListener('click', swallow, { capture: true, once: true });
  return () => window.removeEventListener('click', swallow, { capture: true });
}

/**
 * A long press with a finger (touch pointers only; a mouse has its menu button and right
 * click). Moving the finger, as in scrolling, cancels it.
 */
export function useLongPress(onLongPress: (target: HTMLElement) => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const start = useRef<{ x: number; y: number } | null>(null);
  const release = useRef<(() => void) | null>(null);
  const cb = useRef(onLongPress);
  cb.current = onLongPress;

  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    start.current = null;
  };
  const lifted = () => {
    cancel();
    const done = release.current;
    release.current = null;
    if (done) setTimeout(done, CLICK_WAIT_MS);
  };
  useEffect(() => cancel, []);

  return {
    onPointerDown: (e: PointerEvent<HTMLElement>) => {
      if (e.pointerType !== 'touch') return;
      start.current = { x: e.clientX, y: e.clientY };
      const target = e.currentTarget;
      timer.current = setTimeout(() => {
        cancel();
        release.current = swallowNextClick();
        navigator.vibrate?.(10);
        cb.current(target);
      }, HOLD_MS);
    },
    onPointerMove: (e: PointerEvent<HTMLElement>) => {
      const s = start.current;
      if (s && Math.hypot(e.clientX - s.x, e.clientY - s.y) > SLOP_PX) cancel();
    },
    onPointerUp: lifted,
    onPointerCancel: lifted,
  };
}
