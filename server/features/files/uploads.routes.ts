import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBodySchema, IdParam } from '../../../protocol/schemas/common.js';
import { Attachment } from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import { AppError, notFound, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { actorOf, requireAuth, requireAuthOrFilesCookie } from '../../http/auth.js';
import { apiErrors } from '../../http/openapi.js';
import { respond } from '../../http/respond.js';
import { deleteUpload } from './delete-upload.js';
import { contentDisposition } from './file-names.js';
import { readFile, type ReadableFile } from './read-file.js';
import { uploadAttachment } from './upload-attachment.js';

const errors = apiErrors();

/** Any text: an id that is not plain digits is answered exactly like a missing file (404). */
const FileParams = z.object({ id: z.string().describe('the Attachment id') });

const DIGITS = /^[1-9]\d{0,15}$/;

/** The single byte range a Range header asks for, or null to send the whole file. */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null {
  const m = header === undefined ? null : /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (!m || size === 0) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return start < size && start <= end ? { start, end } : null;
}

/** Maps the multipart parser's failures to the contract's errors. */
function uploadProblem(err: unknown, maxBytes: number): unknown {
  if (err instanceof AppError) return err;
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    const mb = Math.round((maxBytes / 1024 / 1024) * 1000) / 1000;
    return new AppError('payload_too_large', `The file is larger than ${mb} MB (MAX_UPLOAD_MB)`, {
      maxBytes,
    });
  }
  if (code === 'FST_FILES_LIMIT') {
    return validationFailed(
      { file: 'must be sent once' },
      'Send exactly one file, in the field file',
    );
  }
  // Part and field count limits keep their own codes (413); anything else the parser throws
  // means a malformed body, not a fault of ours.
  if (typeof code === 'string' && code.startsWith('FST_')) return err;
  return validationFailed(
    { body: 'is not a valid multipart/form-data body' },
    'The upload could not be parsed as multipart/form-data',
  );
}

/**
 * Streams the one file of a multipart upload (field `file`) into the use case as it arrives.
 * Any other part makes the request invalid; if the file was stored by then, it is taken back.
 */
async function receiveUpload(
  deps: Deps,
  request: FastifyRequest,
): Promise<Outcome<z.infer<typeof Attachment>>> {
  if (!request.isMultipart()) {
    throw new AppError(
      'unsupported_media_type',
      'Send the file as multipart/form-data with one field, file',
    );
  }
  const actor = actorOf(request);
  let out: Outcome<z.infer<typeof Attachment>> | null = null;
  const unexpected: Record<string, string> = {};
  const takeBack = async () => {
    if (out) await deleteUpload(deps, actor, out.data.id).catch(() => undefined);
  };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file' && part.fieldname === 'file' && out === null) {
        if (Object.keys(unexpected).length) part.file.resume();
        else out = await uploadAttachment(deps, actor, { name: part.filename, stream: part.file });
      } else if (part.type === 'file') {
        part.file.resume();
        unexpected[part.fieldname] = 'is not expected; send one file, in the field file';
      } else {
        unexpected[part.fieldname] =
          part.fieldname === 'file'
            ? 'must be a file'
            : 'is not expected; send only the field file';
      }
    }
  } catch (err) {
    await takeBack();
    throw uploadProblem(err, deps.config.maxUploadBytes);
  }
  if (Object.keys(unexpected).length) {
    await takeBack();
    throw validationFailed(unexpected);
  }
  if (out === null)
    throw validationFailed({ file: 'is required' }, 'No file was sent in the field file');
  return out;
}

/** Headers of every served file: never sniffed, never run as a page, named safely. */
function fileHeaders(reply: FastifyReply, file: ReadableFile): void {
  reply.headers({
    'content-type': file.inline ? file.mime : 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'content-disposition': contentDisposition(file.inline ? 'inline' : 'attachment', file.name),
    'content-security-policy': "default-src 'none'; sandbox",
    // Readable by this user only; the bytes under an id never change.
    'cache-control': 'private, max-age=3600',
    etag: file.etag,
    ...(file.size !== null && { 'accept-ranges': 'bytes' }),
  });
}

async function serveFile(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  raw: string,
  variant: 'file' | 'thumbnail',
): Promise<FastifyReply> {
  // Only plain digits name a file: traversal, NUL bytes and anything else are "no such file".
  if (!DIGITS.test(raw)) throw notFound('No such file');
  const file = await readFile(deps, actorOf(request), Number(raw), variant);
  fileHeaders(reply, file);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const ifRange = request.headers['if-range'];
  const range =
    file.size !== null && (ifRange === undefined || ifRange === file.etag)
      ? byteRange(request.headers.range, file.size)
      : null;
  if (request.method === 'HEAD') {
    // Nothing to read for a HEAD: the length is known from the row.
    if (file.size !== null) reply.header('content-length', String(file.size));
    return reply.send(Readable.from([]));
  }
  const obj = await file.open(range ?? undefined);
  if (!obj) throw notFound('No such file');
  reply.header('content-length', String(obj.length));
  if (range && file.size !== null) {
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  }
  return reply.send(obj.body);
}

/** Uploads for messages, and serving them to whoever may read them. */
export function uploadRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const fileAuth = requireAuthOrFilesCookie(deps);

    app.post(
      '/api/uploads',
      {
        preHandler: requireAuth(deps),
        schema: {
          tags: ['files'],
          summary: 'Upload a file to attach to a message',
          description:
            'multipart/form-data with one field, `file`: any type, at most MAX_UPLOAD_MB, streamed ' +
            'to storage. The type (`mime`) is judged by the bytes. PNG, JPEG, GIF and WebP get ' +
            '`width`, `height` and a thumbnail, and are stored re-encoded, upright and without ' +
            'metadata; images over about 40 megapixels (all frames together) or 1000 frames are ' +
            'refused with 413, undecodable ones with 415. Until a send attaches it (attachmentIds), ' +
            'only the uploader can read it, and it is removed after 24 hours (UPLOAD_EXPIRY_MINUTES). ' +
            'Per user: UPLOAD_QUOTA_MB of stored uploads (413 naming the quota) and ' +
            'RATE_LIMIT_ATTACHMENTS_PER_HOUR uploads per hour (429 with Retry-After).',
          consumes: ['multipart/form-data'],
          response: { 201: Attachment, 413: ErrorBodySchema, 415: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) => respond(deps, reply, await receiveUpload(deps, request), 201),
    );

    app.delete(
      '/api/uploads/:id',
      {
        preHandler: requireAuth(deps),
        schema: {
          tags: ['files'],
          summary: 'Take back an upload that no message carries yet (frees its quota)',
          params: IdParam,
          response: { 204: z.null(), 404: ErrorBodySchema, ...errors },
        },
      },
      async (request, reply) =>
        respond(deps, reply, await deleteUpload(deps, actorOf(request), request.params.id), 204),
    );

    const serving = (summary: string) => ({
      preHandler: fileAuth,
      schema: {
        tags: ['files'],
        summary,
        description:
          'Bearer header, or the `parley_files` cookie that sign-in and refresh set (for `<img src>`). ' +
          'Readable by the readers of the message carrying the file; an unattached upload by its ' +
          'uploader only; everyone else gets 404. PNG, JPEG, GIF and WebP are served inline; ' +
          'everything else as application/octet-stream with Content-Disposition: attachment. ' +
          'Single byte ranges (Range: bytes=…) are answered 206.',
        params: FileParams,
        security: [{ bearer: [] }, { filesCookie: [] }] as Array<Record<string, string[]>>,
        response: { 200: z.any().describe('The bytes'), 404: ErrorBodySchema, ...errors },
      },
    });

    app.get('/api/files/:id', serving('A file attached to a message'), (request, reply) =>
      serveFile(deps, request, reply, request.params.id, 'file'),
    );
    app.get(
      '/api/files/:id/thumbnail',
      serving("An image's thumbnail (WebP, at most 400 pixels on its longest side)"),
      (request, reply) => serveFile(deps, request, reply, request.params.id, 'thumbnail'),
    );
  };
}
