import Picker from 'emoji-picker-react';
import { useThemeChoice } from '../../lib/theme.js';

/**
 * The full emoji picker (emoji-picker-react: its data ships in the package and native emoji are
 * drawn by the system font, so nothing is fetched from elsewhere). Loaded only when first
 * opened, as its own chunk.
 */
export default function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const choice = useThemeChoice();
  return (
    <Picker
      onEmojiClick={(data) => onPick(data.emoji)}
      colorScheme={choice === 'system' ? 'auto' : choice}
      // The server accepts fully qualified emoji its Unicode tables know; newer ones would fail.
      emojiVersion="15.0"
      autoFocusSearch
      lazyLoadEmojis
      previewConfig={{ showPreview: false }}
      width="100%"
      height={380}
      labels={{ searchPlaceholder: 'Search emoji' }}
    />
  );
}
