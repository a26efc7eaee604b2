import { useCallback, useMemo, useRef, useState } from 'react';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { FileCard } from './FileCard.js';
import { isPicture } from './format.js';
import { ImageGrid, type Picture } from './ImageGrid.js';
import { ImageViewer } from './ImageViewer.js';
import './attachments.css';

/**
 * The files of a message, in the order they were sent: its pictures as previews (a grid when
 * there are several; pressing one opens the viewer, which moves between this message's
 * pictures), then the other files as download cards.
 */
export function AttachmentList({ attachments }: { attachments: readonly Attachment[] }) {
  const pictures = useMemo(() => attachments.filter(isPicture) as Picture[], [attachments]);
  const files = useMemo(() => attachments.filter((a) => !isPicture(a)), [attachments]);
  const [open, setOpen] = useState<number | null>(null);
  const thumbs = useRef<Array<HTMLButtonElement | null>>([]);
  const thumbRef = useCallback((i: number, el: HTMLButtonElement | null) => {
    thumbs.current[i] = el;
  }, []);
  const close = useCallback(() => setOpen(null), []);
  const returnFocus = useCallback((i: number) => thumbs.current[i] ?? null, []);

  if (attachments.length === 0) return null;
  return (
    <div className="att-list" data-testid="attachments">
      <ImageGrid pictures={pictures} onOpen={setOpen} thumbRef={thumbRef} />
      {files.map((a) => (
        <FileCard key={a.id} attachment={a} />
      ))}
      {open !== null && pictures.length > 0 && (
        <ImageViewer
          pictures={pictures}
          index={open}
          onIndex={setOpen}
          onClose={close}
          returnFocus={returnFocus}
        />
      )}
    </div>
  );
}
