import { useCallback, useState } from 'react';
import { currentToken } from '../../lib/http.js';

/**
 * The `src` of an image under /api/files, read with the files cookie. That cookie lives as
 * long as the access token; a tab left idle past it gets a 401 for the image, so the first
 * failure refreshes the token (which sets a new cookie) and loads the image once more.
 */
export function useFileSrc(url: string): {
  src: string;
  failed: boolean;
  onError: () => void;
} {
  const [attempt, setAttempt] = useState<{ url: string; n: number }>({ url, n: 0 });
  const n = attempt.url === url ? attempt.n : 0;
  const onError = useCallback(() => {
    if (n >= 1) {
      setAttempt({ url, n: 2 });
      return;
    }
    currentToken().then(
      () => setAttempt({ url, n: 1 }),
      () => setAttempt({ url, n: 2 }),
    );
  }, [url, n]);
  const src = n === 0 ? url : `${url}${url.includes('?') ? '&' : '?'}retry=1`;
  return { src, failed: n >= 2, onError };
}
