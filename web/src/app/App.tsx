import { useEffect } from 'react';
import { LoginPage } from '../features/auth/LoginPage.js';
import { useAuth } from '../features/auth/session.js';
import { SignupPage } from '../features/auth/SignupPage.js';
import { ChatProvider } from '../features/realtime/ChatContext.js';
import { matchPath, navigate, safeNext, useLocation } from '../lib/router.js';
import { AppShell, type AppRoute } from './AppShell.js';
import { NotFound } from './NotFound.js';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

/** The signed-in pages, or null for an unknown path. */
export function appRoute(pathname: string): AppRoute | null {
  if (pathname === '/') return { name: 'home' };
  if (pathname === '/profile') return { name: 'profile' };
  if (pathname === '/browse') return { name: 'browse' };
  const c = matchPath('/c/:id', pathname) ?? matchPath('/c/:id/settings', pathname);
  if (c && /^[1-9]\d{0,15}$/.test(c.id!)) {
    return { name: 'conversation', id: Number(c.id), settings: pathname.endsWith('/settings') };
  }
  return null;
}

function Splash() {
  return (
    <div className="splash" role="status" aria-label="Loading Parley">
      <img src="/favicon.svg" alt="" width={56} height={56} />
    </div>
  );
}

export function App() {
  const auth = useAuth();
  const { pathname, search, href } = useLocation();
  if (auth.status === 'booting') return <Splash />;
  const signedIn = auth.status === 'signedIn';
  if (pathname === '/login' || pathname === '/signup') {
    if (signedIn) return <Redirect to={safeNext(search.get('next'))} />;
    return pathname === '/login' ? <LoginPage /> : <SignupPage />;
  }
  const route = appRoute(pathname);
  if (!route) return <NotFound />;
  if (!signedIn)
    return (
      <Redirect to={route.name === 'home' ? '/login' : `/login?next=${encodeURIComponent(href)}`} />
    );
  return (
    <ChatProvider client={auth.client} me={auth.me}>
      <AppShell route={route} />
    </ChatProvider>
  );
}
