import { render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Snippet } from './SearchResults.js';

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the snippet of a result', () => {
  it('wraps the highlighted slices in <mark>, everything as text', () => {
    const body = '<img src=x onerror=alert(1)> 🚀 launch at <b>noon</b>';
    const at = body.indexOf('launch');
    const { container } = render(<Snippet body={body} highlights={[[at, at + 6]]} />);
    expect(container.textContent).toBe(body);
    expect([...container.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['launch']);
    expect(container.querySelectorAll('img, b')).toHaveLength(0);
  });
});
