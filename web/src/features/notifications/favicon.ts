import { useEffect } from 'react';
import { documentTitle, unreadSignals } from '../conversations/conversations-state.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat } from '../realtime/ChatContext.js';

export const FAVICON = '/favicon.svg';
/** The same picture with a red dot: something is unread. */
export const FAVICON_UNREAD = '/favicon-unread.svg';

/** The icon for the tab: the dotted one while anything outside muted conversations is unread. */
export function faviconFor(s: { unread: number; mentions: number }): string {
  return s.unread > 0 || s.mentions > 0 ? FAVICON_UNREAD : FAVICON;
}

function setFavicon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    link.type = 'image/svg+xml';
    document.head.appendChild(link);
  }
  if (link.getAttribute('href') !== href) link.setAttribute('href', href);
}

const selectConversations = (s: ChatState) => s.conversations;

/** Keeps the tab title ("(3) Parley") and the favicon's dot in step with what is unread. */
export function useUnreadSignals(): void {
  const conversations = useChat(selectConversations);
  const signals = unreadSignals(conversations);
  const title = documentTitle(signals);
  const icon = faviconFor(signals);
  useEffect(() => {
    document.title = title;
    setFavicon(icon);
  }, [title, icon]);
  useEffect(
    () => () => {
      document.title = 'Parley';
      setFavicon(FAVICON);
    },
    [],
  );
}
