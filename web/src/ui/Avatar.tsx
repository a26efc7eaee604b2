import { useState } from 'react';

const HUES = [262, 200, 152, 24, 336, 45, 180, 290, 4, 120];

/**
 * Up to two initials from a name ("Alice Martin" → "AM", "bob" → "B", "Design & UX" → "DU"):
 * the first letter or digit of each of the first two words that have one, so symbols ("&",
 * "#", an emoji) are skipped.
 */
export function initialsOf(name: string): string {
  const letters: string[] = [];
  for (const word of name.trim().split(/[\s._-]+/)) {
    const first = /[\p{L}\p{N}]/u.exec(word);
    if (first) letters.push(first[0]);
    if (letters.length === 2) break;
  }
  return letters.join('').toUpperCase() || '?';
}

/** The avatar file closest to the size shown (the server renders 64, 256 and 512 px). */
export function avatarVariant(url: string, px: number): string {
  const want = px <= 64 ? 64 : px <= 256 ? 256 : 512;
  return url.replace(/-(64|256|512)\.webp$/, `-${want}.webp`);
}

/** A round picture, or coloured initials; an optional presence dot. */
export function Avatar({
  name,
  url,
  seed,
  size = 40,
  online,
  square,
}: {
  name: string;
  url?: string | null;
  seed: number;
  size?: number;
  online?: boolean;
  square?: boolean;
}) {
  const [broken, setBroken] = useState<string | null>(null);
  const hue = HUES[Math.abs(seed) % HUES.length]!;
  const showImage = url && broken !== url;
  const dpr = typeof window !== 'undefined' ? window.devicePixelRatio || 1 : 1;
  return (
    <span
      className={`avatar${square ? ' avatar--square' : ''}`}
      style={{ width: size, height: size, ['--hue' as string]: hue, fontSize: size * 0.4 }}
      aria-hidden="true"
    >
      {showImage ? (
        <img src={avatarVariant(url, size * dpr)} alt="" onError={() => setBroken(url)} />
      ) : (
        <span className="avatar__initials">{initialsOf(name)}</span>
      )}
      {online !== undefined && (
        <span className={`avatar__dot${online ? ' avatar__dot--online' : ''}`} />
      )}
    </span>
  );
}
