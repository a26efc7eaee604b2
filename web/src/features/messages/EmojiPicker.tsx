import Picker from 'emoji-picker-react';

/**
 * The full emoji picker (emoji-picker-react: its data ships in the package and native emoji are
 * drawn by the system font, so nothing is fetched from elsewhere). Loaded only when first
 * opened, as its own chunk.
 */
export default function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  return (
    <Picker
      onEmojiClick={(data) => onPick(data.emoji)}
      colorScheme="auto"
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
