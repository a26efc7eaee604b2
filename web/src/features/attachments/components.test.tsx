import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Attachment } from '../../../../protocol/schemas/conversations.js';
import { ApiError } from '../../lib/http.js';
import { AttachmentList } from './AttachmentList.js';
import { PendingUploads } from './PendingUploads.js';
import { UploadQueue, type Uploader } from './upload-queue.js';
import { useStore } from '../../lib/store.js';

afterEach(cleanup);

const picture = (id: number, name: string, width = 800, height = 600): Attachment => ({
  id,
  name,
  mime: 'image/jpeg',
  size: 120_000,
  width,
  height,
  url: `/api/files/${id}`,
  thumbnailUrl: `/api/files/${id}/thumbnail`,
});
const pdf: Attachment = {
  id: 9,
  name: 'report.pdf',
  mime: 'application/pdf',
  size: 2.5 * 1024 * 1024,
  width: null,
  height: null,
  url: '/api/files/9',
  thumbnailUrl: null,
};

function Pending({ queue }: { queue: UploadQueue }) {
  const state = useStore(queue.store, (s) => s);
  return <PendingUploads queue={queue} state={state} />;
}

function controlledUploader() {
  const calls: Array<{
    progress: (l: number, t: number) => void;
    signal: AbortSignal;
    resolve: (a: Attachment) => void;
    reject: (e: unknown) => void;
  }> = [];
  const removed: number[] = [];
  const uploader: Uploader = {
    upload: (_f, { onProgress, signal }) =>
      new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new DOMException('x', 'AbortError')));
        calls.push({ progress: onProgress, signal, resolve, reject });
      }),
    remove: async (id) => void removed.push(id),
  };
  return { uploader, calls, removed };
}

describe('PendingUploads', () => {
  it('shows each file with its progress, the server’s error, and a labelled cancel or remove', async () => {
    const { uploader, calls, removed } = controlledUploader();
    const queue = new UploadQueue(uploader);
    render(<Pending queue={queue} />);
    act(() =>
      queue.add([
        new File([new Uint8Array(2048)], 'notes.txt', { type: 'text/plain' }),
        new File([new Uint8Array(10)], 'huge.mov', { type: 'video/quicktime' }),
      ]),
    );
    act(() => calls[0]!.progress(1024, 2048));
    const bar = screen.getByRole('progressbar', { name: 'Uploading notes.txt' });
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getByText('1 KB of 2 KB')).toBeTruthy();

    await act(async () =>
      calls[1]!.reject(
        new ApiError(
          'payload_too_large',
          'This would exceed your storage quota of 1024 MB (UPLOAD_QUOTA_MB)',
          413,
        ),
      ),
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe(
      'Too large: This would exceed your storage quota of 1024 MB (UPLOAD_QUOTA_MB)',
    );
    // Not something that trying again can fix.
    expect(screen.queryByRole('button', { name: 'Retry huge.mov' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Cancel upload of notes.txt' }));
    expect(calls[0]!.signal.aborted).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Remove huge.mov' }));
    expect(screen.queryByTestId('pending-uploads')).toBeNull();
    expect(removed).toEqual([]);
  });

  it('a rate-limited file can be retried', async () => {
    const { uploader, calls } = controlledUploader();
    const queue = new UploadQueue(uploader);
    render(<Pending queue={queue} />);
    act(() => queue.add([new File([new Uint8Array(10)], 'a.png', { type: 'image/png' })]));
    await act(async () =>
      calls[0]!.reject(new ApiError('rate_limited', 'Too many uploads; try again in 9 s', 429)),
    );
    expect(screen.getByRole('alert').textContent).toBe(
      'Too many uploads: Too many uploads; try again in 9 s',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Retry a.png' }));
    expect(calls).toHaveLength(2);
    expect(screen.getByRole('progressbar', { name: 'Uploading a.png' })).toBeTruthy();
  });
});

describe('AttachmentList', () => {
  it('shows a lone picture at its shape before it loads, with the file name as alt text', () => {
    render(<AttachmentList attachments={[picture(1, 'tall.jpg', 600, 1200)]} />);
    const img = screen.getByRole('img', { name: 'tall.jpg' });
    expect(img.getAttribute('src')).toBe('/api/files/1/thumbnail');
    const button = screen.getByRole('button', { name: 'View tall.jpg' });
    expect(button.style.width).toBe('160px');
    expect(button.style.aspectRatio).toBe('160 / 320');
  });

  it('puts several pictures in a grid and other files on download cards', () => {
    render(
      <AttachmentList
        attachments={[picture(1, 'a.jpg'), pdf, picture(2, 'b.jpg'), picture(3, 'c.jpg')]}
      />,
    );
    expect(screen.getAllByTestId('attachment-image')).toHaveLength(3);
    const card = screen.getByRole('link', { name: /^Download report\.pdf ?, PDF · 2\.5 MB$/ });
    expect(card.getAttribute('title')).toBe('Download report.pdf');
    expect(card.getAttribute('href')).toBe('/api/files/9');
    expect(card.getAttribute('download')).toBe('report.pdf');
  });

  it('opens the viewer on a picture, moves with the arrow keys, closes and gives focus back', () => {
    render(
      <AttachmentList
        attachments={[picture(1, 'a.jpg'), picture(2, 'b.jpg'), picture(3, 'c.jpg')]}
      />,
    );
    const second = screen.getByRole('button', { name: 'View b.jpg' });
    second.focus();
    fireEvent.click(second);
    const viewer = screen.getByTestId('image-viewer');
    const image = () => within(viewer).getByTestId('viewer-image');
    expect(image().getAttribute('alt')).toBe('b.jpg');
    expect(image().getAttribute('src')).toBe('/api/files/2');
    expect(within(viewer).getByTestId('viewer-position').textContent).toBe('2 of 3 · ');
    expect(document.activeElement).toBe(
      within(viewer).getByRole('button', { name: 'Close viewer' }),
    );

    fireEvent.keyDown(viewer, { key: 'ArrowRight' });
    expect(image().getAttribute('alt')).toBe('c.jpg');
    fireEvent.keyDown(viewer, { key: 'ArrowRight' });
    expect(image().getAttribute('alt')).toBe('a.jpg');
    fireEvent.keyDown(viewer, { key: 'ArrowLeft' });
    expect(image().getAttribute('alt')).toBe('c.jpg');
    const download = within(viewer).getByRole('link', { name: 'Download c.jpg' });
    expect(download.getAttribute('href')).toBe('/api/files/3');

    // Tab from the last control comes back to the first, Shift+Tab from the first to the last.
    const next = within(viewer).getByRole('button', { name: 'Next image' });
    next.focus();
    fireEvent.keyDown(viewer, { key: 'Tab' });
    expect(document.activeElement).toBe(download);
    fireEvent.keyDown(viewer, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(next);

    fireEvent.click(within(viewer).getByRole('button', { name: 'Close viewer' }));
    expect(screen.queryByTestId('image-viewer')).toBeNull();
    // Back on the thumbnail of the picture shown last.
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'View c.jpg' }));
  });

  it('shows nothing for a message without files', () => {
    const { container } = render(<AttachmentList attachments={[]} />);
    expect(container.innerHTML).toBe('');
  });
});
