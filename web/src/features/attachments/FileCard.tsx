import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { AttachmentIcon, FileKindIcon } from './FileIcon.js';
import { fileKind, formatBytes, typeLabel } from './format.js';
import './attachments.css';

/**
 * A file that is not shown as a picture: its type icon, name, type and size; the whole card
 * downloads it (the server sends such files as attachments, never to be opened in the page).
 */
export function FileCard({ attachment }: { attachment: Attachment }) {
  const { name, mime, size, url } = attachment;
  const kind = fileKind(mime, name);
  const details = `${typeLabel(mime, name)} · ${formatBytes(size)}`;
  return (
    <a
      className="att-file"
      href={url}
      download={name}
      title={`Download ${name}`}
      data-testid="attachment-file"
    >
      <span className={`att-file__icon att-file__icon--${kind}`}>
        <FileKindIcon kind={kind} size={22} />
      </span>
      <span className="att-file__text">
        <span className="sr-only">Download </span>
        <span className="att-file__name">{name}</span>
        <span className="sr-only">, </span>
        <span className="att-file__meta">{details}</span>
      </span>
      <span className="att-file__download">
        <AttachmentIcon name="download" size={18} />
      </span>
    </a>
  );
}
