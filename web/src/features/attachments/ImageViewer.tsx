import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { closeModal, openModal } from '../../ui/modal.js';
import { AttachmentIcon } from './FileIcon.js';
import { formatBytes } from './format.js';
import type { Picture } from './ImageGrid.js';
import { useFileSrc } from './useFileSrc.js';
import './attachments.css';

const FOCUSABLE = 'a[href], button:not(:disabled)';

/**
 * Tab and Shift+Tab go round the viewer's controls: a modal dialog makes the page behind it
 * inert, but the browser would still let focus leave for its own toolbar.
 */
function keepFocusInside(e: KeyboardEvent<HTMLDialogElement>): void {
  const all = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = all[0];
  const last = all[all.length - 1];
  if (!first || !last) return;
  const at = document.activeElement;
  if (e.shiftKey && (at === first || !e.currentTarget.contains(at))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !e.currentTarget.contains(at))) {
    e.preventDefault();
    first.focus();
  }
}

function FullImage({ picture }: { picture: Picture }) {
  const { src, failed, onError } = useFileSrc(picture.url);
  const [loaded, setLoaded] = useState(false);
  if (failed) {
    return (
      <p className="att-viewer__failed" role="alert">
        <AttachmentIcon name="alert" size={20} />
        This image could not be loaded.
      </p>
    );
  }
  // The thumbnail (already loaded in the message) stands in until the full image is here.
  const placeholder = picture.thumbnailUrl && !loaded ? `url("${picture.thumbnailUrl}")` : 'none';
  return (
    <img
      className="att-viewer__img"
      src={src}
      alt={picture.name}
      width={picture.width}
      height={picture.height}
      style={{ backgroundImage: placeholder }}
      onLoad={() => setLoaded(true)}
      onError={onError}
      draggable={false}
      data-testid="viewer-image"
    />
  );
}

/**
 * The pictures of a message at full size, in a modal dialog: Escape (or Close, or a press
 * beside the picture) closes it, Left and Right go to the previous and next picture, and the
 * download button saves the original. The browser keeps focus inside while it is open; on
 * closing, focus goes back to the thumbnail of the picture shown last (see `returnFocus`).
 */
export function ImageViewer({
  pictures,
  index,
  onIndex,
  onClose,
  returnFocus,
}: {
  pictures: readonly Picture[];
  index: number;
  onIndex: (index: number) => void;
  onClose: () => void;
  /** Where focus goes when the viewer closes, given the picture shown last. */
  returnFocus?: (index: number) => HTMLElement | null;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const count = pictures.length;
  const at = Math.min(Math.max(0, index), count - 1);
  const picture = pictures[at];
  // Read when the viewer closes: the picture shown last, and where its thumbnail is.
  const shown = useRef(at);
  const returnTo = useRef(returnFocus);
  useEffect(() => {
    shown.current = at;
    returnTo.current = returnFocus;
  });

  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement as HTMLElement | null;
    if (d) openModal(d);
    closeRef.current?.focus();
    return () => {
      if (d) closeModal(d);
      const target = returnTo.current?.(shown.current) ?? before;
      target?.focus?.();
    };
  }, []);

  if (!picture) return null;
  const go = (step: number) => {
    if (count > 1) onIndex((at + step + count) % count);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Tab') {
      keepFocusInside(e);
      return;
    }
    if (e.key === 'ArrowLeft') go(-1);
    else if (e.key === 'ArrowRight') go(1);
    else if (e.key === 'Home' && count > 1) onIndex(0);
    else if (e.key === 'End' && count > 1) onIndex(count - 1);
    else return;
    e.preventDefault();
  };
  const position = count > 1 ? `${at + 1} of ${count}` : null;

  return (
    <dialog
      ref={ref}
      className="att-viewer"
      aria-labelledby={titleId}
      aria-roledescription="image viewer"
      data-testid="image-viewer"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={onKeyDown}
    >
      <div className="att-viewer__bar">
        <div className="att-viewer__heading">
          <h2 id={titleId} className="att-viewer__title">
            {picture.name}
          </h2>
          <p className="att-viewer__sub">
            {position && <span data-testid="viewer-position">{position} · </span>}
            {picture.width} × {picture.height} · {formatBytes(picture.size)}
          </p>
        </div>
        <a
          className="att-viewer__action"
          href={picture.url}
          download={picture.name}
          aria-label={`Download ${picture.name}`}
          title="Download"
        >
          <AttachmentIcon name="download" size={20} />
        </a>
        <button
          type="button"
          ref={closeRef}
          className="att-viewer__action"
          onClick={onClose}
          aria-label="Close viewer"
          title="Close (Escape)"
        >
          <AttachmentIcon name="close" size={20} />
        </button>
      </div>
      <div
        className="att-viewer__stage"
        onMouseDown={(e) => {
          // A press beside the picture (on the dark stage itself) closes, as on a backdrop.
          if (e.target === e.currentTarget) onClose();
        }}
      >
        {count > 1 && (
          <button
            type="button"
            className="att-viewer__nav att-viewer__nav--prev"
            onClick={() => go(-1)}
            aria-label="Previous image"
            title="Previous (Left arrow)"
          >
            <AttachmentIcon name="chevronLeft" size={26} />
          </button>
        )}
        <FullImage key={picture.id} picture={picture} />
        {count > 1 && (
          <button
            type="button"
            className="att-viewer__nav att-viewer__nav--next"
            onClick={() => go(1)}
            aria-label="Next image"
            title="Next (Right arrow)"
          >
            <AttachmentIcon name="chevronRight" size={26} />
          </button>
        )}
      </div>
      <p className="sr-only" aria-live="polite">
        {position ? `Image ${position}: ${picture.name}` : picture.name}
      </p>
    </dialog>
  );
}
