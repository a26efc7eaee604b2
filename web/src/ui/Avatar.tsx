import { useState } from 'react';

const HUES = [262, 200, 152, 24, 336, 45, 180, 290, 4, 120];

/** Up to two initials from a name ("Alice Martin" → "AM", "bob" → "B"). */
export function initialsOf(name: string): string {
  const words = name
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0] ?? '');
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
