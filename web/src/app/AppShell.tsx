import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Icon } from '../ui/Icon.js';
import { setNotice, useAuth } from '../features/auth/session.js';
import { BrowseGroups } from '../features/conversations/BrowseGroups.js';
import { ConversationView } from '../features/conversations/ConversationView.js';
import { Sidebar } from '../features/conversations/Sidebar.js';
import { useUnreadSignals } from '../features/notifications/favicon.js';
import { NotificationPrompt } from '../features/notifications/NotificationPrompt.js';
import { QuickSwitcher } from '../features/keyboard/QuickSwitcher.js';
import { useShortcuts } from '../features/keyboard/useShortcuts.js';
import { useLegacyMutes } from '../features/notifications/useLegacyMutes.js';
import { ProfilePage } from '../features/profile/ProfilePage.js';
import { ConnectionBanner } from '../features/realtime/ConnectionBanner.js';
import { SearchDialog } from '../features/search/SearchDialog.js';
import type { AdminTab } from '../features/admin/AdminConsole.js';
import { Spinner } from '../ui/Field.js';

// Only admins open the console: its code is a chunk of its own.
const AdminConsole = lazy(() =>
  import('../features/admin/AdminConsole.js').then((m) => ({ default: m.AdminConsole })),
);

export type AppRoute =
  | { name: 'home' }
  | { name: 'conversation'; id: number; settings: boolean }
  | { name: 'profile' }
  | { name: 'browse' }
  | { name: 'admin'; tab: AdminTab };

/** Ctrl+F (Cmd+F on a Mac) opens message search instead of the browser's find. */
function useSearchShortcut(open: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f') {
        e.preventDefault();
        open();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
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
  useUnreadSignals();
  useLegacyMutes();
  const [searching, setSearching] = useState(false);
  const openSearch = useCallback(() => setSearching(true), []);
  const closeSearch = useCallback(() => setSearching(false), []);
  useSearchShortcut(openSearch);
  const activeId = route.name === 'conversation' ? route.id : null;
  const [switching, setSwitching] = useState(false);
  const openSwitcher = useCallback(() => setSwitching(true), []);
  const closeSwitcher = useCallback(() => setSwitching(false), []);
  useShortcuts(activeId, openSwitcher);
  return (
    <div className={`shell${route.name === 'home' ? ' shell--list' : ' shell--detail'}`}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <div className="shell__sidebar">
        <Sidebar activeId={activeId} onSearch={openSearch} />
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
        {route.name === 'admin' && (
          <Suspense fallback={<Spinner label="Loading server administration" />}>
            <AdminConsole tab={route.tab} />
          </Suspense>
        )}
      </main>
      <Notice />
      {searching && <SearchDialog onClose={closeSearch} />}
      {switching && <QuickSwitcher onClose={closeSwitcher} />}
    </div>
  );
}
