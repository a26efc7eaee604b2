import { LIMITS } from '../../../protocol/limits.js';

// C0 and C1 controls and DEL, and the bidirectional controls (embeddings, overrides,
// isolates, marks) that can make "photo\u202Egnp.exe" read as "photoexe.png".
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * An upload's display name: control characters removed, `/` and `\` replaced by `_`, at most
 * 255 UTF-16 units (never half a surrogate pair); "file" when nothing is left. It is shown to
 * people and put in Content-Disposition, and never names anything on disk.
 */
export function sanitizeFileName(raw: string | undefined): string {
  let name = (raw ?? '')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROLS, '')
    .replace(/[/\\]/g, '_')
    .trim();
  if (name.length > LIMITS.fileNameMax) {
    name = name.slice(0, LIMITS.fileNameMax);
    if (/[\uD800-\uDBFF]$/.test(name)) name = name.slice(0, -1);
  }
  return name === '' ? 'file' : name;
}

/** Characters RFC 8187 lets through unencoded in `filename*` (attr-char). */
const ATTR_CHAR = /[A-Za-z0-9!#$&+.^_`|~-]/;

function encodeExtValue(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ATTR_CHAR.test(ch)) out += ch;
    else
      for (const b of Buffer.from(ch, 'utf8'))
        out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The plain-ASCII stand-in for old clients: printable ASCII without `"`, `\`, `%` or `;`. */
function asciiFallback(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%;]/g, '_')
    .trim();
  return ascii === '' || /^_*$/.test(ascii) ? 'file' : ascii;
}

/**
 * A Content-Disposition header (RFC 6266) naming the file: a quoted ASCII fallback, then the
 * exact name as `filename*=UTF-8''…` (RFC 8187). Nothing in a name can end the header or add
 * a parameter: quotes, backslashes, controls and non-ASCII never appear unencoded.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  return `${kind}; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}
