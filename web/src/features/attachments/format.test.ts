import { describe, expect, it } from 'vitest';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import {
  attachmentSummary,
  fileKind,
  fitWithin,
  formatBytes,
  isPicture,
  typeLabel,
} from './format.js';
import { gridColumns } from './ImageGrid.js';
import { filesFromPaste, namePasted } from './transfer.js';

const a = (over: Partial<Attachment>): Attachment => ({
  id: 1,
  name: 'x',
  mime: 'application/octet-stream',
  size: 1,
  width: null,
  height: null,
  url: '/api/files/1',
  thumbnailUrl: null,
  ...over,
});
const photo = (name: string) =>
  a({ name, mime: 'image/jpeg', width: 800, height: 600, thumbnailUrl: '/t' });

describe('file formatting', () => {
  it('sizes read like a file manager’s', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(340 * 1024)).toBe('340 KB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MB');
    expect(formatBytes(3.44 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatBytes(16 * 1024 ** 3)).toBe('16 GB');
  });

  it('knows a file’s kind by its type, else by its name (text has no signature)', () => {
    expect(fileKind('image/png', 'x')).toBe('image');
    expect(fileKind('application/pdf', 'report')).toBe('pdf');
    expect(fileKind('application/zip', 'a')).toBe('archive');
    expect(fileKind('video/mp4', 'a')).toBe('video');
    expect(fileKind('application/octet-stream', 'notes.TXT')).toBe('text');
    expect(fileKind('application/octet-stream', 'budget.xlsx')).toBe('spreadsheet');
    expect(fileKind('application/octet-stream', 'mystery')).toBe('other');
    expect(typeLabel('application/pdf', 'report.pdf')).toBe('PDF');
    expect(typeLabel('application/pdf', 'report')).toBe('Pdf');
    expect(typeLabel('application/octet-stream', 'blob')).toBe('File');
  });

  it('a picture is what the server measured', () => {
    expect(isPicture(photo('a.jpg'))).toBe(true);
    expect(isPicture(a({ mime: 'image/svg+xml' }))).toBe(false);
  });

  it('names the files of a message without text', () => {
    expect(attachmentSummary([])).toBe('');
    expect(attachmentSummary([photo('a.jpg')])).toBe('📷 Photo');
    expect(attachmentSummary([photo('a.jpg'), photo('b.jpg')])).toBe('📷 2 photos');
    expect(attachmentSummary([a({ name: 'report.pdf' })])).toBe('📎 report.pdf');
    expect(attachmentSummary([photo('a.jpg'), a({ name: 'report.pdf' })])).toBe('📎 2 files');
  });

  it('fits a lone picture in its box, keeping its shape, cropping only extreme ones', () => {
    expect(fitWithin(800, 600, 320, 96)).toEqual({ width: 320, height: 240 });
    expect(fitWithin(600, 800, 320, 96)).toEqual({ width: 240, height: 320 });
    expect(fitWithin(200, 100, 320, 96)).toEqual({ width: 200, height: 100 });
    expect(fitWithin(4000, 200, 320, 96)).toEqual({ width: 320, height: 96 });
    expect(fitWithin(10, 10, 320, 96)).toEqual({ width: 96, height: 96 });
  });

  it('lays several pictures out in two or three columns', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(gridColumns)).toEqual([1, 2, 3, 2, 3, 3, 3]);
  });
});

/** A clipboard as jsdom lacks one: typed strings and files. */
function clipboard(text: string, files: File[]): DataTransfer {
  return {
    getData: (type: string) => (type === 'text/plain' ? text : ''),
    items: files.map((f) => ({ kind: 'file', type: f.type, getAsFile: () => f })),
    files,
    types: [...(text ? ['text/plain'] : []), ...(files.length ? ['Files'] : [])],
  } as unknown as DataTransfer;
}

describe('pasting', () => {
  const png = new File([new Uint8Array(4)], 'image.png', { type: 'image/png' });

  it('a pasted picture becomes a file with a name worth showing', () => {
    const [f] = filesFromPaste(clipboard('', [png]));
    expect(f!.name).toMatch(/^Pasted image \d{4}-\d\d-\d\d at \d\d\.\d\d\.\d\d\.png$/);
    expect(f!.type).toBe('image/png');
    const named = new File([new Uint8Array(4)], 'diagram.png', { type: 'image/png' });
    expect(namePasted(named)).toBe(named);
  });

  it('a paste with text pastes the text, not the picture of it', () => {
    expect(filesFromPaste(clipboard('A1\tB1', [png]))).toEqual([]);
    expect(filesFromPaste(clipboard('', []))).toEqual([]);
    expect(filesFromPaste(null)).toEqual([]);
  });
});
