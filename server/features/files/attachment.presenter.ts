import type { Attachment } from '../../../protocol/schemas/conversations.js';
import type { AttachmentRow } from './attachments.queries.js';

/** Where an upload's bytes are served. */
export const fileUrl = (id: number) => `/api/files/${id}`;

/** A stored upload as the wire sees it. */
export function toAttachment(row: AttachmentRow): Attachment {
  const id = Number(row.id);
  return {
    id,
    name: row.name ?? 'file',
    mime: row.mime,
    size: Number(row.size),
    width: row.width === null ? null : Number(row.width),
    height: row.height === null ? null : Number(row.height),
    url: fileUrl(id),
    thumbnailUrl: row.thumb_key ? `${fileUrl(id)}/thumbnail` : null,
  };
}

/** Attachment rows grouped by message, in each message's order. */
export function groupAttachments(rows: readonly AttachmentRow[]): Map<number, Attachment[]> {
  const out = new Map<number, Attachment[]>();
  for (const r of rows) {
    if (r.message_id === null) continue;
    const id = Number(r.message_id);
    const list = out.get(id);
    if (list) list.push(toAttachment(r));
    else out.set(id, [toAttachment(r)]);
  }
  return out;
}
