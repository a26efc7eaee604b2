import type { SVGProps } from 'react';
import { PathIcon } from '../../ui/Icon.js';
import type { FileKind } from './format.js';

const SHEET = 'M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8l-5-5Zm0 0v5h5';

// Stroke icons on the same 24×24 grid as ui/Icon, for files and the viewer.
const PATHS = {
  paperclip:
    'M20.5 11.5 12.3 19.7a5 5 0 0 1-7.1-7.1l8.5-8.5a3.4 3.4 0 0 1 4.8 4.8l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8',
  download: 'M12 4v11m-5-5 5 5 5-5M5 20h14',
  close: 'M6 6l12 12M18 6 6 18',
  chevronLeft: 'M15 18l-6-6 6-6',
  chevronRight: 'M9 6l6 6-6 6',
  retry: 'M20 11a8 8 0 0 0-14.5-4.5L4 8m0-4v4h4m-4 5a8 8 0 0 0 14.5 4.5L20 16m0 4v-4h-4',
  alert: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0-13v5m0 3.5v.01',
  upload: 'M12 16V5m-5 5 5-5 5 5M5 20h14',
  image:
    'M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1Zm15 11-5-5-10 10M9 10.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z',
  pdf: `${SHEET}M8.5 13h7M8.5 16.5h5`,
  archive: 'M4 8h16v12H4V8Zm-1-4h18v4H3V4Zm7 8h4',
  video: 'M3.5 6h11.5v12H3.5V6Zm11.5 4.5 5.5-3.5v10l-5.5-3.5',
  audio: 'M9 18V5.5l11-2V16M9 18a3 3 0 1 1-6 0 3 3 0 0 1 6 0Zm11-2a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z',
  text: `${SHEET}M8.5 12.5h7M8.5 15.5h7M8.5 18h4`,
  document: `${SHEET}M8.5 12.5h7M8.5 15.5h7M8.5 18h4`,
  spreadsheet: `${SHEET}M8 12h8v6H8v-6Zm4 0v6m-4-3h8`,
  other: SHEET,
} as const;

export type AttachmentIconName = keyof typeof PATHS;

/** A decorative icon of the attachments feature; the control around it carries the name. */
export function AttachmentIcon({
  name,
  ...rest
}: { name: AttachmentIconName; size?: number } & SVGProps<SVGSVGElement>) {
  return <PathIcon d={PATHS[name]} {...rest} />;
}

/** The icon of a kind of file. */
export function FileKindIcon({ kind, size = 24 }: { kind: FileKind; size?: number }) {
  return <AttachmentIcon name={kind} size={size} />;
}
