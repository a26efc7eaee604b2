import { lazy, Suspense } from 'react';
import { Spinner } from '../../ui/Field.js';
import { Popover } from '../../ui/Popover.js';

const EmojiPicker = lazy(() => import('./EmojiPicker.js'));

/** The emoji picker beside a button (a sheet on a phone); picking closes it. */
export function ReactionPicker({
  anchor,
  onPick,
  onClose,
  label = 'Choose a reaction',
}: {
  anchor: HTMLElement;
  onPick: (emoji: string) => void;
  onClose: () => void;
  label?: string;
}) {
  return (
    <Popover anchor={anchor} onClose={onClose} sheet className="picker-popover">
      <div className="picker" role="dialog" aria-label={label} data-testid="emoji-picker">
        <Suspense
          fallback={
            <div className="picker__loading">
              <Spinner label="Loading emoji" />
            </div>
          }
        >
          <EmojiPicker
            onPick={(emoji) => {
              onPick(emoji);
              onClose();
            }}
          />
        </Suspense>
      </div>
    </Popover>
  );
}
