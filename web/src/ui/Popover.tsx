import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

const GAP = 6;
const MARGIN = 8;

/** Where a box of this size goes beside an anchor: below, else above, kept on screen. */
export function placeNear(
  anchor: DOMRect,
  size: { width: number; height: number },
  viewport: { width: number; height: number },
  align: 'start' | 'end',
): { top: number; left: number } {
  const below = anchor.bottom + GAP;
  const above = anchor.top - GAP - size.height;
  const top = below + size.height <= viewport.height - MARGIN || above < MARGIN ? below : above;
  const left = align === 'end' ? anchor.right - size.width : anchor.left;
  return {
    top: Math.max(MARGIN, Math.min(top, viewport.height - size.height - MARGIN)),
    left: Math.max(MARGIN, Math.min(left, viewport.width - size.width - MARGIN)),
  };
}

/**
 * A floating box beside an element, above everything (in a portal, so the scrolling list
 * does not clip it). It follows the element while the page scrolls, and closes on Escape, on
 * a press outside, or when the element goes away. On a phone it is a sheet at the bottom.
 */
export function Popover({
  anchor,
  onClose,
  children,
  className,
  align = 'end',
  sheet = false,
}: {
  anchor: HTMLElement;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  align?: 'start' | 'end';
  /** Becomes a bottom sheet at phone width. */
  sheet?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ top: number; left: number } | null>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    let frame = 0;
    const place = () => {
      frame = 0;
      const box = ref.current;
      if (!box) return;
      if (!anchor.isConnected) {
        close.current();
        return;
      }
      setPos(
        placeNear(
          anchor.getBoundingClientRect(),
          { width: box.offsetWidth, height: box.offsetHeight },
          { width: window.innerWidth, height: window.innerHeight },
          align,
        ),
      );
    };
    place();
    const later = () => {
      frame ||= requestAnimationFrame(place);
    };
    const resize = new ResizeObserver(later);
    if (ref.current) resize.observe(ref.current);
    window.addEventListener('resize', later);
    document.addEventListener('scroll', later, true);
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      window.removeEventListener('resize', later);
      document.removeEventListener('scroll', later, true);
    };
  }, [anchor, align]);

  useEffect(() => {
    const onDown = (e: Event) => {
      const t = e.target as Node;
      if (ref.current?.contains(t) || anchor.contains(t)) return;
      // A dialog opened from here (the delete confirmation) is not "outside".
      if ((t as Element).closest?.('dialog')) return;
      close.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      close.current();
    };
    document.addEventListener('pointerdown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onDown, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [anchor]);

  return createPortal(
    <>
      {sheet && <div className="popover-backdrop" aria-hidden="true" />}
      <div
        ref={ref}
        className={`popover${sheet ? ' popover--sheet' : ''}${className ? ` ${className}` : ''}`}
        style={{
          ['--popover-top' as string]: `${pos?.top ?? 0}px`,
          ['--popover-left' as string]: `${pos?.left ?? 0}px`,
          // Not visibility: hidden, which would keep focus from moving in before it is placed.
          opacity: pos ? undefined : 0,
        }}
      >
        {children}
      </div>
    </>,
    document.body,
  );
}
