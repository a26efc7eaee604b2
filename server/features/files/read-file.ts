import type { Actor, Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { StoredObject } from '../../storage/file-store.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { fileForReader } from './attachments.queries.js';
import { ACCEPTED_IMAGE_TYPES } from './images.js';

/** A file the caller may read: what to tell about it, and how to open its bytes. */
export interface ReadableFile {
  name: string;
  /** What the bytes are; `inline` says whether it may be shown in the page (images only). */
  mime: string;
  inline: boolean;
  /** Bytes of the whole object, when known (the stored file; not thumbnails). */
  size: number | null;
  /** A strong validator: the object never changes under its id. */
  etag: string;
  open(range?: { start: number; end: number }): Promise<StoredObject | null>;
}

const noSuchFile = () => notFound('No such file');

/**
 * One upload's bytes (or its thumbnail), to whoever may read it: the message's readers (its
 * conversation's members, or any signed-in user for a public group), or for an upload not
 * attached yet its uploader alone. Everyone else gets `not_found`, exactly as for an id that
 * does not exist: a former member of a private conversation too.
 */
export async function readFile(
  deps: Deps,
  actor: Actor,
  id: number,
  variant: 'file' | 'thumbnail',
): Promise<ReadableFile> {
  const f = await fileForReader(deps.db, id, actor.userId);
  if (!f) throw noSuchFile();
  if (f.message_id === null) {
    if (Number(f.owner_id) !== actor.userId) throw noSuchFile();
  } else {
    if (f.conversation_kind === null || f.deleted_at !== null) throw noSuchFile();
    const conversation = { kind: f.conversation_kind, is_private: Number(f.is_private) };
    if (f.member_id === null && !visibleToOutsiders(conversation)) throw noSuchFile();
  }
  const name = f.name ?? 'file';
  if (variant === 'thumbnail') {
    const key = f.thumb_key;
    if (!key) throw noSuchFile();
    return {
      name,
      mime: 'image/webp',
      inline: true,
      size: null,
      etag: `"${f.sha256.slice(0, 32)}-t"`,
      open: () => deps.files.get(key),
    };
  }
  return {
    name,
    mime: f.mime,
    inline: ACCEPTED_IMAGE_TYPES.has(f.mime),
    size: Number(f.size),
    etag: `"${f.sha256.slice(0, 32)}"`,
    open: (range) => deps.files.get(f.storage_key, range),
  };
}
