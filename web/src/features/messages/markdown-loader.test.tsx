import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { markdownIfLoaded } from './markdown-loader.js';
import { MessageText } from './MessageText.js';
import { messageSummary } from './summary.js';

// The parser is not loaded at the start of this file: plain text first, formatting once it is.
describe('Markdown loaded on demand', () => {
  it('shows plain lines without loading the parser', () => {
    render(<MessageText text="see you at ten" />);
    expect(screen.getByText('see you at ten')).toBeTruthy();
    expect(markdownIfLoaded()).toBeNull();
    expect(messageSummary({ body: '**done**', deletedAt: null, attachments: [] })).toBe('**done**');
  });

  it('shows a message with markup as written, then formatted once the parser is here', async () => {
    const { container } = render(<MessageText text={'**bold** and `code`'} />);
    expect(container.querySelector('strong')).toBeNull();
    expect(container.textContent).toBe('**bold** and `code`');
    await waitFor(() => expect(container.querySelector('strong')?.textContent).toBe('bold'));
    expect(container.querySelector('code')?.textContent).toBe('code');
    expect(container.textContent).toBe('bold and code');
    expect(markdownIfLoaded()).not.toBeNull();
    expect(messageSummary({ body: '**done**', deletedAt: null, attachments: [] })).toBe('done');
  });
});
