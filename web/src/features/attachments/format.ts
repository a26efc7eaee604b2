import type { Attachment } from '../../../../protocol/schemas/conversations.js';

/** A size for people: "512 B", "12 KB", "3.4 MB" (powers of 1024, as file managers show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal below 10 ("3.4 MB"), none above ("340 KB"); never "1024 KB".
  let shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  if (shown >= 1024 && unit < units.length - 1) {
    shown = 1;
    unit++;
  }
  return `${shown} ${units[unit]}`;
}

export type FileKind =
  'image' | 'pdf' | 'archive' | 'video' | 'audio' | 'text' | 'document' | 'spreadsheet' | 'other';

const BY_EXTENSION: Record<string, FileKind> = {
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  svg: 'image',
  heic: 'image',
  pdf: 'pdf',
  zip: 'archive',
  gz: 'archive',
  tgz: 'archive',
  tar: 'archive',
  '7z': 'archive',
  rar: 'archive',
  bz2: 'archive',
  xz: 'archive',
  mp4: 'video',
  mov: 'video',
  webm: 'video',
  mkv: 'video',
  avi: 'video',
  mp3: 'audio',
  wav: 'audio',
  ogg: 'audio',
  flac: 'audio',
  m4a: 'audio',
  txt: 'text',
  md: 'text',
  csv: 'spreadsheet',
  json: 'text',
  log: 'text',
  doc: 'document',
  docx: 'document',
  odt: 'document',
  rtf: 'document',
  xls: 'spreadsheet',
  xlsx: 'spreadsheet',
  ods: 'spreadsheet',
};

/** The lower-case extension of a file name ("" when it has none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * What kind of file this is, for its icon: by its type when that says something (the server
 * judges it by the bytes), else by the name's extension (plain text has no signature and comes
 * back as application/octet-stream).
 */
export function fileKind(mime: string, name: string): FileKind {
  const m = mime.toLowerCase();
  if (m.startsWith('image/')) return 'image';
  if (m === 'application/pdf') return 'pdf';
  if (m.startsWith('video/')) return 'video';
  if (m.startsWith('audio/')) return 'audio';
  if (m.startsWith('text/')) return 'text';
  if (/zip|x-tar|gzip|x-7z|x-rar|x-bzip|x-xz/.test(m)) return 'archive';
  return BY_EXTENSION[extensionOf(name)] ?? 'other';
}

/** A short label for a file's type, shown beside its size ("PDF", "ZIP", "File"). */
export function typeLabel(mime: string, name: string): string {
  const ext = extensionOf(name);
  if (ext && ext.length <= 5) return ext.toUpperCase();
  const kind = fileKind(mime, name);
  return kind === 'other' ? 'File' : kind[0]!.toUpperCase() + kind.slice(1);
}

/** Whether an attachment is shown as a picture: the server measured it and made a preview. */
export function isPicture(a: Attachment): a is Attachment & { width: number; height: number } {
  return a.width !== null && a.height !== null && a.width > 0 && a.height > 0;
}

/**
 * What a conversation list or a notification says for a message's files when it has no text:
 * "📷 Photo", "📷 3 photos", "📎 report.pdf", "📎 4 files".
 */
export function attachmentSummary(attachments: readonly Attachment[]): string {
  const n = attachments.length;
  if (n === 0) return '';
  if (attachments.every(isPicture)) return n === 1 ? '📷 Photo' : `📷 ${n} photos`;
  if (n === 1) return `📎 ${attachments[0]!.name}`;
  return `📎 ${n} files`;
}

/** The size a single picture is shown at in a message: within a box, keeping its shape. */
export function fitWithin(
  width: number,
  height: number,
  max: number,
  min: number,
): { width: number; height: number } {
  const scale = Math.min(1, max / width, max / height);
  return {
    width: Math.min(max, Math.max(min, Math.round(width * scale))),
    height: Math.min(max, Math.max(min, Math.round(height * scale))),
  };
}
