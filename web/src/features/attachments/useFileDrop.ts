import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { dragHasFiles, filesOf } from './transfer.js';

export interface FileDrop {
  /** Files are being dragged over the area: show the drop target. */
  active: boolean;
  /** Spread on the element that takes drops. */
  handlers: {
    onDragEnter: (e: DragEvent<HTMLElement>) => void;
    onDragOver: (e: DragEvent<HTMLElement>) => void;
    onDragLeave: (e: DragEvent<HTMLElement>) => void;
    onDrop: (e: DragEvent<HTMLElement>) => void;
  };
}

/**
 * Makes an element a drop target for files. Drags of anything else (text, links, images from
 * the page itself) are left alone. Enter and leave events come for every child crossed, so a
 * depth count says when the drag has really left.
 */
export function useFileDrop(onFiles: (files: File[]) => void, enabled = true): FileDrop {
  const [active, setActive] = useState(false);
  const depth = useRef(0);
  const latest = useRef(onFiles);
  useEffect(() => {
    latest.current = onFiles;
  });

  const reset = useCallback(() => {
    depth.current = 0;
    setActive(false);
  }, []);

  // A drag that ends elsewhere (Escape, a drop outside the window) never sends our leave.
  useEffect(() => {
    if (!active) return;
    window.addEventListener('dragend', reset);
    window.addEventListener('drop', reset);
    return () => {
      window.removeEventListener('dragend', reset);
      window.removeEventListener('drop', reset);
    };
  }, [active, reset]);

  const onDragEnter = (e: DragEvent<HTMLElement>) => {
    if (!enabled || !dragHasFiles(e.dataTransfer)) return;
    e.preventDefault();
    depth.current++;
    setActive(true);
  };
  const onDragOver = (e: DragEvent<HTMLElement>) => {
    if (!enabled || !dragHasFiles(e.dataTransfer)) return;
    // Without this the browser opens the dropped file in the tab.
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = (e: DragEvent<HTMLElement>) => {
    if (!enabled || !dragHasFiles(e.dataTransfer)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setActive(false);
  };
  const onDrop = (e: DragEvent<HTMLElement>) => {
    if (!enabled || !dragHasFiles(e.dataTransfer)) return;
    e.preventDefault();
    reset();
    const files = filesOf(e.dataTransfer);
    if (files.length > 0) latest.current(files);
  };
  return { active, handlers: { onDragEnter, onDragOver, onDragLeave, onDrop } };
}
