/** Reading files out of pastes and drops (DataTransfer), the same way for both. */

/** The files a DataTransfer holds; folders (dropped from a file manager) are left out. */
export function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  const items = data.items ? [...data.items] : [];
  if (items.length > 0) {
    const out: File[] = [];
    for (const item of items) {
      if (item.kind !== 'file') continue;
      const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
      if (entry?.isDirectory) continue;
      const file = item.getAsFile();
      if (file) out.push(file);
    }
    return out;
  }
  return data.files ? [...data.files] : [];
}

/** Whether a drag carries files (what they are can only be read on the drop). */
export function dragHasFiles(data: DataTransfer | null): boolean {
  return !!data && [...data.types].includes('Files');
}

const GENERIC_PASTE = /^image\.(png|jpe?g|gif|webp)$/i;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A pasted image as a file with a name worth showing: browsers call every pasted screenshot
 * "image.png", so it becomes "Pasted image 2026-11-24 at 09.05.33.png".
 */
export function namePasted(file: File, now = new Date()): File {
  if (file.name !== '' && !GENERIC_PASTE.test(file.name)) return file;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1] ?? file.type.split('/')[1] ?? 'png';
  const stamp =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} at ` +
    `${pad(now.getHours())}.${pad(now.getMinutes())}.${pad(now.getSeconds())}`;
  return new File([file], `Pasted image ${stamp}.${ext}`, {
    type: file.type,
    lastModified: file.lastModified,
  });
}

/**
 * The files to attach from a paste, or none when the paste carries text: copying from a
 * spreadsheet or a word processor puts both text and a picture of it on the clipboard, and
 * the text is what the user means to paste.
 */
export function filesFromPaste(data: DataTransfer | null): File[] {
  if (!data) return [];
  if (data.getData('text/plain').trim() !== '') return [];
  return filesOf(data).map((f) => namePasted(f));
}
