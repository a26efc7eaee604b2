import { fileTypeFromBuffer } from 'file-type';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { AppError } from '../../errors.js';

/** Image types accepted for upload, judged from the bytes only. */
export const ACCEPTED_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/** Largest frame we agree to decode: about 40 megapixels (a 14000×14000 bomb is ~196). */
export const MAX_INPUT_PIXELS = 40_000_000;

/** Abandons a decode that takes longer than this, whatever the input. */
const DECODE_TIMEOUT_SECONDS = 20;

/** One rendered square: its edge in pixels and its WebP bytes. */
export interface Rendition {
  size: number;
  bytes: Buffer;
}

const unsupported = () =>
  new AppError(
    'unsupported_media_type',
    'The file is not a PNG, JPEG, GIF or WebP image (judged by its content, not its name)',
  );

const tooManyPixels = (width?: number, height?: number) =>
  new AppError(
    'payload_too_large',
    width && height
      ? `The image is ${width}×${height} pixels; at most ${MAX_INPUT_PIXELS / 1_000_000} megapixels are accepted`
      : `The image has more than ${MAX_INPUT_PIXELS / 1_000_000} megapixels`,
  );

/** The MIME type the bytes really are; anything but PNG, JPEG, GIF or WebP is refused with 415. */
export async function detectImageType(bytes: Uint8Array): Promise<string> {
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !ACCEPTED_IMAGE_TYPES.has(type.mime)) throw unsupported();
  return type.mime;
}

/** Input options shared by every decode: one frame only, bounded pixels, broken data aborts. */
const decodeOptions = {
  limitInputPixels: MAX_INPUT_PIXELS,
  // Only the first frame of an animation is ever decoded, however many frames follow.
  pages: 1,
  page: 0,
  // Truncated or corrupt pixel data aborts; mere warnings (stray bytes some cameras write) do not.
  failOn: 'error',
} as const;

function isPixelLimitError(err: unknown): boolean {
  return err instanceof Error && /pixel limit/i.test(err.message);
}

/**
 * Decodes an uploaded image (first frame only), applies its EXIF orientation, crops it to a
 * centred square and renders one WebP per size. Nothing of the input's metadata is kept.
 */
export async function renderSquares(
  bytes: Uint8Array,
  sizes: readonly number[],
): Promise<Rendition[]> {
  // The header alone gives the dimensions: a pixel bomb is refused before any pixel is decoded.
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, {
      ...decodeOptions,
      limitInputPixels: false,
    }).metadata());
  } catch {
    throw unsupported();
  }
  if (!width || !height) throw unsupported();
  if (width * height > MAX_INPUT_PIXELS) throw tooManyPixels(width, height);

  const largest = Math.max(...sizes);
  let square: { data: Buffer; info: OutputInfo };
  try {
    // One decode of the (possibly large) input down to the largest square, kept as raw pixels.
    square = await sharp(bytes, decodeOptions)
      .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
      .rotate()
      .resize(largest, largest, { fit: 'cover', position: 'centre' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (isPixelLimitError(err)) throw tooManyPixels();
    throw unsupported();
  }

  const { data, info } = square;
  const { channels } = info;
  return Promise.all(
    sizes.map(async (size) => ({
      size,
      // A fresh pipeline from raw pixels carries no metadata to write out.
      bytes: await sharp(data, { raw: { width: info.width, height: info.height, channels } })
        .resize(size, size)
        .webp({ quality: 82 })
        .toBuffer(),
    })),
  );
}

/** Most frames of an animation we agree to decode (a GIF with thousands is a bomb). */
export const MAX_FRAMES = 1000;

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_EDGE = 400;

/** An uploaded image made safe to serve: re-encoded upright, without metadata. */
export interface CleanImage {
  bytes: Buffer;
  /** Of one frame, upright. */
  width: number;
  height: number;
  /** A WebP of the first frame, at most THUMBNAIL_EDGE on its longest side. */
  thumbnail: Buffer;
}

const tooManyFrames = (frames: number) =>
  new AppError(
    'payload_too_large',
    `The animation has ${frames} frames; at most ${MAX_FRAMES} are accepted`,
  );

/** Re-encodes in the input's own format; animations stay animated. */
function encodeAs(image: Sharp, mime: string): Sharp {
  switch (mime) {
    case 'image/png':
      return image.png({ compressionLevel: 6 });
    case 'image/jpeg':
      return image.jpeg({ quality: 90 });
    case 'image/gif':
      return image.gif();
    default:
      return image.webp({ quality: 90 });
  }
}

/**
 * Makes an uploaded PNG, JPEG, GIF or WebP safe to serve inline: its header is read first, and
 * an image over MAX_INPUT_PIXELS (per frame, or all frames together) or MAX_FRAMES is refused
 * with 413 before a pixel is decoded; then it is decoded (every frame of an animation), turned
 * upright by its EXIF orientation and re-encoded in its own format with no metadata at all
 * (EXIF, GPS, XMP, IPTC, ICC), so nothing but pixels survives: not a script appended to a GIF,
 * nor a camera's position. Undecodable data is refused with 415.
 */
export async function cleanImage(bytes: Uint8Array, mime: string): Promise<CleanImage> {
  let width: number | undefined;
  let height: number | undefined;
  let pages: number;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
    ({ width, height } = meta);
    pages = meta.pages ?? 1;
  } catch {
    throw undecodable();
  }
  if (!width || !height) throw undecodable();
  if (width * height > MAX_INPUT_PIXELS) throw tooManyPixels(width, height);
  if (pages > MAX_FRAMES) throw tooManyFrames(pages);
  if (width * height * pages > MAX_INPUT_PIXELS) {
    throw new AppError(
      'payload_too_large',
      `The animation has ${pages} frames of ${width}×${height} pixels; at most ${MAX_INPUT_PIXELS / 1_000_000} megapixels are accepted in all`,
    );
  }
  try {
    const input = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' } as const;
    const [stored, thumbnail] = await Promise.all([
      encodeAs(
        sharp(bytes, { ...input, pages: pages > 1 ? -1 : 1 })
          .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
          .rotate(),
        mime,
      ).toBuffer({ resolveWithObject: true }),
      sharp(bytes, { ...input, pages: 1, page: 0 })
        .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
        .rotate()
        .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer(),
    ]);
    const { info } = stored;
    return {
      bytes: stored.data,
      width: info.width,
      height: info.pageHeight ?? info.height,
      thumbnail,
    };
  } catch (err) {
    if (isPixelLimitError(err)) throw tooManyPixels();
    throw undecodable();
  }
}

const undecodable = () =>
  new AppError(
    'unsupported_media_type',
    'The file looks like an image (by its content) but cannot be decoded',
  );
