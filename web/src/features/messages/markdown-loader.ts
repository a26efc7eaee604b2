import { useEffect, useSyncExternalStore } from 'react';
import type * as MarkdownModule from './markdown.js';

/** The Markdown parser's module (markdown-it with the chat's rules). */
export type Markdown = typeof MarkdownModule;

let loaded: Markdown | null = null;
let loading: Promise<Markdown> | null = null;
const listeners = new Set<() => void>();

/**
 * Loads the parser once, when the first message with markup is shown: markdown-it and its
 * tables weigh more than the rest of the chat's text handling, and most chat lines are plain
 * (markup.ts tells them apart without it). A failed load (offline, a deploy since) is tried
 * again the next time it is needed; until then such a message shows as its plain text.
 */
export function loadMarkdown(): Promise<Markdown> {
  loading ??= import('./markdown.js').then(
    (m) => {
      loaded = m;
      for (const l of listeners) l();
      return m;
    },
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The parser if it has loaded, else null (the caller shows plain text meanwhile). */
export const markdownIfLoaded = (): Markdown | null => loaded;

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/**
 * The parser for a component that shows text, and a render once it arrives; `needed` starts
 * loading it (a body with markup).
 */
export function useMarkdown(needed: boolean): Markdown | null {
  const md = useSyncExternalStore(subscribe, markdownIfLoaded);
  useEffect(() => {
    if (needed && !md) loadMarkdown().catch(() => {});
  }, [needed, md]);
  return md;
}
