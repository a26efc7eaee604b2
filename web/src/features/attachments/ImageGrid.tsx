import type { CSSProperties, Ref } from 'react';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { AttachmentIcon } from './FileIcon.js';
import { fitWithin } from './format.js';
import { useFileSrc } from './useFileSrc.js';
import './attachments.css';

export type Picture = Attachment & { width: number; height: number };

/** The longest side of a lone picture in a message, and the shortest it is cropped to. */
const SINGLE_MAX = 320;
const SINGLE_MIN = 96;

/** Columns of the grid for several pictures: 2 and 4 make squares, the rest rows of three. */
export function gridColumns(count: number): number {
  if (count <= 1) return 1;
  return count === 2 || count === 4 ? 2 : 3;
}

function Thumb({
  picture,
  style,
  onOpen,
  buttonRef,
}: {
  picture: Picture;
  style: CSSProperties;
  onOpen: () => void;
  buttonRef: Ref<HTMLButtonElement>;
}) {
  const { src, failed, onError } = useFileSrc(picture.thumbnailUrl ?? picture.url);
  return (
    <button
      type="button"
      ref={buttonRef}
      className={`att-thumb${failed ? ' att-thumb--failed' : ''}`}
      style={style}
      onClick={onOpen}
      aria-label={`View ${picture.name}`}
      title={picture.name}
      data-testid="attachment-image"
    >
      {failed ? (
        <span className="att-thumb__failed">
          <AttachmentIcon name="image" size={24} />
          <span>Image unavailable</span>
        </span>
      ) : (
        <img
          src={src}
          alt={picture.name}
          width={picture.width}
          height={picture.height}
          loading="lazy"
          decoding="async"
          draggable={false}
          onError={onError}
        />
      )}
    </button>
  );
}

/**
 * A message's pictures: one alone at its own shape (its box is sized from width and height
 * before it loads, so nothing moves when it does), several as a grid of squares. Pressing one
 * opens it in the viewer.
 */
export function ImageGrid({
  pictures,
  onOpen,
  thumbRef,
}: {
  pictures: readonly Picture[];
  onOpen: (index: number) => void;
  /** Receives each thumbnail's button by index (focus goes back there from the viewer). */
  thumbRef?: (index: number, el: HTMLButtonElement | null) => void;
}) {
  if (pictures.length === 0) return null;
  if (pictures.length === 1) {
    const p = pictures[0]!;
    const box = fitWithin(p.width, p.height, SINGLE_MAX, SINGLE_MIN);
    return (
      <div className="att-images att-images--single">
        <Thumb
          picture={p}
          style={{ width: box.width, aspectRatio: `${box.width} / ${box.height}` }}
          onOpen={() => onOpen(0)}
          buttonRef={(el) => thumbRef?.(0, el)}
        />
      </div>
    );
  }
  const columns = gridColumns(pictures.length);
  return (
    <div
      className="att-images att-images--grid"
      style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
      data-columns={columns}
    >
      {pictures.map((p, i) => (
        <Thumb
          key={p.id}
          picture={p}
          style={{ aspectRatio: '1 / 1' }}
          onOpen={() => onOpen(i)}
          buttonRef={(el) => thumbRef?.(i, el)}
        />
      ))}
    </div>
  );
}
