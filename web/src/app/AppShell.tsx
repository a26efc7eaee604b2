import { useEffect } from 'react';
import { Icon } from '../ui/Icon.js';
import { setNotice, useAuth } from '../features/auth/session.js';
import { BrowseGroups } from '../features/conversations/BrowseGroups.js';
import { totalUnread } from '../features/conversations/conversations-state.js';
import { ConversationView } from '../features/conversations/ConversationView.js';
import { Sidebar } from '../features/conversations/Sidebar.js';
import { NotificationPrompt } from '../features/notifications/NotificationPrompt.js';
import { useMuted } from '../features/notifications/preferences.js';
import { ProfilePage } from '../features/profile/ProfilePage.js';
import type { ChatState } from '../features/realtime/chat-state.js';
import { ConnectionBanner } from '../features/realtime/ConnectionBanner.js';
import { useChat, useMe } from '../features/realtime/ChatContext.js';

export type AppRoute =
  | { name: 'home' }
  | { name: 'conversation'; id: number; settings: boolean }
  | { name: 'profile' }
  | { name: 'browse' };

const selectConversations = (s: ChatState) => s.conversations;

/** "(3) Parley" while there are unread messages. */
function useDocumentTitle() {
  const me = useMe();
  const conversations = useChat(selectConversations);
  const muted = useMuted(me.id);
  const n = totalUnread(conversations, muted);
  useEffect(() => {
    document.title = n > 0 ? `(${n}) Parley` : 'Parley';
    return () => {
      document.title = 'Parley';
    };
  }, [n]);
}

function Notice() {
  const auth = useAuth();
  const notice = auth.status === 'signedIn' ? auth.notice : null;
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 6000);
    return () => clearTimeout(t);
  }, [notice]);
  if (!notice) return null;
  return (
    <div className="toast" role="status">
      <Icon name="info" size={18} />
      <span>{notice}</span>
      <button
        type="button"
        className="icon-button icon-button--small"
        onClick={() => setNotice(null)}
        aria-label="Dismiss"
      >
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

function Home() {
  return (
    <div className="empty-state empty-state--home">
      <div className="empty-state__art" aria-hidden="true">
        <Icon name="message" size={44} />
      </div>
      <h2>Pick a conversation</h2>
      <p>
        Choose one on the left, or start a new chat. Your messages sync across all your devices.
      </p>
    </div>
  );
}

/** The signed-in layout: the conversation list beside the current page. */
export function AppShell({ route }: { route: AppRoute }) {
  useDocumentTitle();
  const activeId = route.name === 'conversation' ? route.id : null;
  return (
    <div className={`shell${route.name === 'home' ? ' shell--list' : ' shell--detail'}`}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <div className="shell__sidebar">
        <Sidebar activeId={activeId} />
        <NotificationPrompt />
      </div>
      <main className="shell__main" id="main">
        <ConnectionBanner />
        {route.name === 'home' && <Home />}
        {route.name === 'conversation' && (
          <ConversationView id={route.id} settingsOpen={route.settings} />
        )}
        {route.name === 'profile' && <ProfilePage />}
        {route.name === 'browse' && <BrowseGroups />}
      </main>
      <Notice />
    </div>
  );
}
