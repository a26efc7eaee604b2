import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import type { Attachment } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { throttle } from '../../lib/throttle.js';
import { toAttachment } from './attachment.presenter.js';
import { ATTACHMENT_KIND, insertUpload, lockUser, usedBytes } from './attachments.queries.js';
import { discardObjects } from './discard.js';
import { sanitizeFileName } from './file-names.js';
import { ACCEPTED_IMAGE_TYPES, cleanImage } from './images.js';

/** A file as the transport received it: the client's name and a stream of its bytes. */
export interface IncomingFile {
  name: string | undefined;
  stream: Readable;
}

/** Bytes read before deciding what a file is (file-type looks at the first few KiB). */
const SAMPLE_BYTES = 64 * 1024;

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 1000) / 1000;

const overQuota = (quota: number) =>
  new AppError(
    'payload_too_large',
    `This would exceed your storage quota of ${megabytes(quota)} MB (UPLOAD_QUOTA_MB); deleting messages with files frees space`,
    { quotaBytes: quota },
  );

/**
 * Reads an upload as it arrives: counts and hashes every byte, and fails as soon as it goes
 * past the room left in the uploader's quota, so a stream is never read further than allowed.
 */
class Intake {
  private readonly it: AsyncIterator<unknown>;
  private readonly sample: Buffer[] = [];
  private readonly hash = createHash('sha256');
  size = 0;
  /** Why reading stopped, if it failed: the store may report it wrapped in its own error. */
  failure: unknown = null;

  constructor(
    stream: Readable,
    private readonly room: number,
    private readonly quota: number,
  ) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async next(): Promise<Buffer | null> {
    try {
      const r = await this.it.next();
      if (r.done) return null;
      const chunk = r.value as Buffer;
      this.size += chunk.length;
      if (this.size > this.room) throw overQuota(this.quota);
      this.hash.update(chunk);
      return chunk;
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
  }

  /** The first bytes, for telling the type. */
  async head(): Promise<Buffer> {
    let length = 0;
    while (length < SAMPLE_BYTES) {
      const chunk = await this.next();
      if (!chunk) break;
      this.sample.push(chunk);
      length += chunk.length;
    }
    return Buffer.concat(this.sample);
  }

  /** Every byte, the head included, as they arrive. */
  async *all(): AsyncGenerator<Buffer> {
    yield* this.sample;
    for (let c = await this.next(); c; c = await this.next()) yield c;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /**
   * Lets the rest of the source go by unread when reading stopped early (a refusal): the
   * request must still be read to its end, or its client could never see the answer.
   */
  close(): void {
    const it = this.it;
    void (async () => {
      try {
        while (!(await it.next()).done);
      } catch {
        // The source failed: nothing more to read.
      }
    })();
  }
}

/** Lets a stream that will not be used go by, so that the request can end and be answered. */
function drain(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.resume();
}

/** What was written to the store for one upload. */
interface Stored {
  key: string;
  thumbKey: string | null;
  mime: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
}

/**
 * Reads the upload and writes it to the store under fresh keys: an image (judged by its bytes)
 * is read whole (MAX_UPLOAD_MB bounds it), cleaned and written with a thumbnail; anything else
 * is streamed to the store as it arrives and never held in memory.
 */
async function store(deps: Deps, intake: Intake): Promise<Stored> {
  const base = randomBytes(16).toString('hex');
  const key = `uploads/${base.slice(0, 2)}/${base}`;
  const head = await intake.head();
  if (head.length === 0) throw validationFailed({ file: 'is empty' }, 'The uploaded file is empty');
  const detected = (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream';
  if (ACCEPTED_IMAGE_TYPES.has(detected)) {
    const chunks: Buffer[] = [];
    for await (const c of intake.all()) chunks.push(c);
    const image = await cleanImage(Buffer.concat(chunks), detected);
    const thumbKey = `${key}-thumb.webp`;
    await deps.files.put(key, image.bytes, detected);
    try {
      await deps.files.put(thumbKey, image.thumbnail, 'image/webp');
    } catch (err) {
      await discardObjects(deps, [key]);
      throw err;
    }
    return {
      key,
      thumbKey,
      mime: detected,
      size: image.bytes.length,
      sha256: createHash('sha256').update(image.bytes).digest('hex'),
      width: image.width,
      height: image.height,
    };
  }
  await deps.files.put(key, Readable.from(intake.all()), 'application/octet-stream');
  return {
    key,
    thumbKey: null,
    mime: detected,
    size: intake.size,
    sha256: intake.digest(),
    width: null,
    height: null,
  };
}

/**
 * Stores an upload for a later message: any type, at most MAX_UPLOAD_MB (the transport's
 * limit), within the uploader's quota (UPLOAD_QUOTA_MB) and upload rate. The type is judged by
 * the bytes, never by the name or the client's claim; images are re-encoded without metadata.
 * Until a send attaches it, only the uploader can read it, and it expires after
 * UPLOAD_EXPIRY_MINUTES.
 */
export async function uploadAttachment(
  deps: Deps,
  actor: Actor,
  file: IncomingFile,
): Promise<Outcome<Attachment>> {
  try {
    await throttle(
      deps,
      `attachment:${actor.userId}`,
      deps.config.rateLimits.attachmentsPerHour,
      3_600_000,
      'uploads',
    );
  } catch (err) {
    drain(file.stream);
    throw err;
  }
  const quota = deps.config.uploads.quotaBytes;
  const room = quota - (await usedBytes(deps.db, actor.userId));
  if (room <= 0) {
    drain(file.stream);
    throw overQuota(quota);
  }
  const name = sanitizeFileName(file.name);
  const intake = new Intake(file.stream, room, quota);
  let stored: Stored;
  try {
    stored = await store(deps, intake);
  } catch (err) {
    throw intake.failure ?? err;
  } finally {
    intake.close();
  }

  const now = deps.now();
  let id: number;
  try {
    id = await deps.db.transaction().execute(async (trx) => {
      // Uploads of one user check the quota one after another: together they cannot pass it.
      if (!(await lockUser(trx, deps.dbKind, actor.userId))) {
        throw new AppError('session_expired', 'Your account no longer exists');
      }
      if ((await usedBytes(trx, actor.userId)) + stored.size > quota) throw overQuota(quota);
      return insertUpload(trx, deps.dbKind, {
        owner_id: actor.userId,
        kind: ATTACHMENT_KIND,
        name,
        mime: stored.mime,
        size: stored.size,
        sha256: stored.sha256,
        storage_key: stored.key,
        thumb_key: stored.thumbKey,
        width: stored.width,
        height: stored.height,
        created_at: now,
        expires_at: now + deps.config.uploads.expiryMs,
      });
    });
  } catch (err) {
    await discardObjects(deps, stored.thumbKey ? [stored.key, stored.thumbKey] : [stored.key]);
    throw err;
  }
  return {
    data: toAttachment({
      id,
      message_id: null,
      name,
      mime: stored.mime,
      size: stored.size,
      width: stored.width,
      height: stored.height,
      thumb_key: stored.thumbKey,
    }),
    events: [],
  };
}
