import { useEffect, useState, type ReactNode } from 'react';
import { AttachmentIcon, FileKindIcon } from './FileIcon.js';
import { fileKind, formatBytes } from './format.js';
import {
  progressOf,
  type PendingUpload,
  type UploadError,
  type UploadQueue,
  type UploadQueueState,
} from './upload-queue.js';
import './attachments.css';

/** Types every browser draws, shown from the file itself before the upload is done. */
const PREVIEWABLE = /^image\/(png|jpeg|gif|webp)$/;

/** A short title for an upload error; the server's message follows it. */
export function errorTitle(e: UploadError): string {
  switch (e.code) {
    case 'payload_too_large':
      return 'Too large';
    case 'rate_limited':
      return 'Too many uploads';
    case 'unsupported_media_type':
      return 'Not supported';
    case 'network':
      return 'Upload interrupted';
    default:
      return 'Upload failed';
  }
}

/** A picture from the file on this device (an object URL, released when no longer shown). */
function LocalPreview({ file, fallback }: { file: File; fallback: ReactNode }) {
  const [url, setUrl] = useState<string | null>(null);
  const [broken, setBroken] = useState(false);
  useEffect(() => {
    if (typeof URL.createObjectURL !== 'function') return;
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file]);
  // A file that says it is an image but is not one shows its type icon instead.
  if (broken || !url) return fallback;
  return <img src={url} alt="" draggable={false} onError={() => setBroken(true)} />;
}

/** What a chip says under the file name: progress, size, or "Processing…". */
function statusText(x: PendingUpload): string {
  if (x.status === 'done') return formatBytes(x.attachment?.size ?? x.size);
  if (x.status === 'failed') return formatBytes(x.size);
  if (x.total > 0 && x.loaded >= x.total) return 'Processing…';
  const sent = Math.round(progressOf(x) * x.size);
  return `${formatBytes(sent)} of ${formatBytes(x.size)}`;
}

function Chip({ item, queue }: { item: PendingUpload; queue: UploadQueue }) {
  const file = queue.fileOf(item.key);
  const kind = fileKind(item.attachment?.mime ?? item.type, item.name);
  const percent = Math.round(progressOf(item) * 100);
  // A picture the server could not decode is not shown from the file either.
  const preview =
    file && PREVIEWABLE.test(file.type) && item.error?.code !== 'unsupported_media_type';
  return (
    <li
      className={`att-chip att-chip--${item.status}`}
      data-testid="pending-upload"
      data-status={item.status}
    >
      <span className="att-chip__preview">
        {preview ? (
          <LocalPreview file={file} fallback={<FileKindIcon kind={kind} size={22} />} />
        ) : (
          <FileKindIcon kind={kind} size={22} />
        )}
      </span>
      <span className="att-chip__text">
        <span className="att-chip__name" title={item.name}>
          {item.name}
        </span>
        {item.status === 'failed' && item.error ? (
          <span className="att-chip__error" role="alert" data-testid="upload-error">
            <strong>{errorTitle(item.error)}:</strong> {item.error.message}
          </span>
        ) : (
          <span className="att-chip__meta">{statusText(item)}</span>
        )}
        {item.status === 'uploading' && (
          <span
            className="att-chip__bar"
            role="progressbar"
            aria-label={`Uploading ${item.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <span className="att-chip__fill" style={{ width: `${percent}%` }} />
          </span>
        )}
      </span>
      <span className="att-chip__actions">
        {item.status === 'failed' && item.error?.retryable && (
          <button
            type="button"
            className="att-chip__button"
            onClick={() => queue.retry(item.key)}
            aria-label={`Retry ${item.name}`}
            title="Try again"
          >
            <AttachmentIcon name="retry" size={16} />
          </button>
        )}
        <button
          type="button"
          className="att-chip__button"
          onClick={() => queue.remove(item.key)}
          aria-label={
            item.status === 'uploading' ? `Cancel upload of ${item.name}` : `Remove ${item.name}`
          }
          title={item.status === 'uploading' ? 'Cancel upload' : 'Remove'}
        >
          <AttachmentIcon name="close" size={16} />
        </button>
      </span>
    </li>
  );
}

/**
 * The files waiting above the composer, one chip each: a preview or type icon, the name, the
 * progress while uploading, the server's error when refused; and a button to cancel (while on
 * its way) or remove it.
 */
export function PendingUploads({ queue, state }: { queue: UploadQueue; state: UploadQueueState }) {
  if (state.items.length === 0 && !state.notice) return null;
  return (
    <div className="att-pending" data-testid="pending-uploads">
      {state.items.length > 0 && (
        <ul className="att-pending__list" aria-label="Files to send">
          {state.items.map((x) => (
            <Chip key={x.key} item={x} queue={queue} />
          ))}
        </ul>
      )}
      {state.notice && (
        <p className="att-pending__notice" role="status">
          <AttachmentIcon name="alert" size={16} />
          <span>{state.notice}</span>
          <button
            type="button"
            className="link-button link-button--muted"
            onClick={() => queue.dismissNotice()}
          >
            Dismiss
          </button>
        </p>
      )}
    </div>
  );
}
