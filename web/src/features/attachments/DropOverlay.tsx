import { AttachmentIcon } from './FileIcon.js';
import './attachments.css';

/** The drop target shown over a conversation while files are dragged over it. */
export function DropOverlay({ title }: { title: string }) {
  return (
    <div className="att-drop" data-testid="drop-overlay" role="status">
      <div className="att-drop__box">
        <AttachmentIcon name="upload" size={36} />
        <p className="att-drop__title">Drop files to attach</p>
        <p className="att-drop__sub">They will be sent to {title} with your next message</p>
      </div>
    </div>
  );
}
