import { useRef } from 'react';
import { AttachmentIcon } from './FileIcon.js';
import './attachments.css';

/**
 * The paperclip of the composer: opens the system's file picker (several files at once) and
 * hands the chosen files over.
 */
export function AttachButton({
  onFiles,
  disabled,
}: {
  onFiles: (files: File[]) => void;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="icon-button icon-button--small att-attach"
        aria-label="Attach files"
        title="Attach files (or drop them here, or paste an image)"
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <AttachmentIcon name="paperclip" size={20} />
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        data-testid="attach-input"
        onChange={(e) => {
          const files = e.currentTarget.files ? [...e.currentTarget.files] : [];
          // Cleared so that choosing the same file again still changes the input.
          e.currentTarget.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
    </>
  );
}
