import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AVATAR_SIZES } from '../../../protocol/limits.js';
import { ErrorBodySchema } from '../../../protocol/schemas/common.js';
import { User } from '../../../protocol/schemas/users.js';
import type { Deps } from '../../context.js';
import { AppError, validationFailed } from '../../errors.js';
import { respond } from '../../http/respond.js';
import { actorOf, requireAuth } from '../../http/auth.js';
import { deleteAvatar } from './delete-avatar.js';
import { getAvatarFile } from './get-avatar-file.js';
import { uploadAvatar } from './upload-avatar.js';
import { apiErrors } from '../../http/openapi.js';

const errors = apiErrors();

/** The public name of an avatar file; anything else in the path is answered 404. */
const AvatarFileParams = z.object({
  name: z
    .string()
    .describe(`\`<32 hex digits>-<size>.webp\`, size one of ${AVATAR_SIZES.join(', ')}`),
});

/** Headers of every served file: never sniffed, never run as a page, cached for good. */
const FILE_HEADERS = {
  'content-type': 'image/webp',
  'x-content-type-options': 'nosniff',
  'content-disposition': 'inline',
  'content-security-policy': "default-src 'none'; sandbox",
  'cache-control': 'public, max-age=31536000, immutable',
} as const;

/**
 * Reads the one part of an avatar upload, a file in the field `file`, into memory (the
 * multipart limits cap its size). Any other part makes the request invalid.
 */
async function readAvatarUpload(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart()) {
    throw new AppError(
      'unsupported_media_type',
      'Send the image as multipart/form-data with one field, file',
    );
  }
  let bytes: Buffer | null = null;
  const unexpected: Record<string, string> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file' && part.fieldname === 'file' && bytes === null) {
        bytes = await part.toBuffer();
      } else if (part.type === 'file') {
        // Drain it so the parser can move on; its content is not wanted.
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
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    if (code === 'FST_FILES_LIMIT') {
      throw validationFailed(
        { file: 'must be sent once' },
        'Send exactly one file, in the field file',
      );
    }
    // Size and count limits keep their own codes; anything else the parser throws means a
    // malformed body, not a fault of ours.
    if (err instanceof AppError || (typeof code === 'string' && code.startsWith('FST_'))) throw err;
    throw validationFailed(
      { body: 'is not a valid multipart/form-data body' },
      'The upload could not be parsed as multipart/form-data',
    );
  }
  if (Object.keys(unexpected).length) throw validationFailed(unexpected);
  if (bytes === null)
    throw validationFailed({ file: 'is required' }, 'No file was sent in the field file');
  return bytes;
}

/** Avatar upload and removal, and serving of the stored avatar files. */
export function fileRoutes(deps: Deps) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const auth = requireAuth(deps);

    app.put(
      '/api/users/me/avatar',
      {
        preHandler: auth,
        schema: {
          tags: ['users'],
          summary: 'Set my avatar',
          description:
            'multipart/form-data with one field, `file`: a PNG, JPEG, GIF or WebP image (judged by ' +
            'its bytes, not its name or declared type), at most MAX_UPLOAD_MB. The image is ' +
            're-encoded as square WebPs without metadata; animations keep their first frame. ' +
            'Images over about 40 megapixels are refused with 413. At most ' +
            'RATE_LIMIT_UPLOADS_PER_HOUR uploads per user and hour (429 with Retry-After).',
          consumes: ['multipart/form-data'],
          response: {
            200: User,
            413: ErrorBodySchema,
            415: ErrorBodySchema,
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const bytes = await readAvatarUpload(request);
        return respond(deps, reply, await uploadAvatar(deps, actorOf(request), bytes));
      },
    );

    app.delete(
      '/api/users/me/avatar',
      {
        preHandler: auth,
        schema: {
          tags: ['users'],
          summary: 'Remove my avatar',
          response: { 200: User, ...errors },
        },
      },
      async (request, reply) => respond(deps, reply, await deleteAvatar(deps, actorOf(request))),
    );

    app.get(
      '/files/avatars/:name',
      {
        schema: {
          tags: ['files'],
          summary: 'An avatar image (WebP); the URL comes from avatarUrl, no sign-in needed',
          security: [],
          params: AvatarFileParams,
          produces: ['image/webp'],
          response: { 200: z.any().describe('The image bytes, image/webp'), 404: ErrorBodySchema },
        },
      },
      async (request, reply) => {
        const bytes = await getAvatarFile(deps, request.params.name);
        return reply.headers(FILE_HEADERS).send(bytes);
      },
    );
  };
}
