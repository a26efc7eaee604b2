import { lazy, Suspense, useEffect } from 'react';
import { useAuth } from '../features/auth/session.js';
import { ChatProvider } from '../features/realtime/ChatContext.js';
import { matchPath, navigate, safeNext, useLocation } from '../lib/router.js';
import type { AppRoute } from './AppShell.js';
import { NotFound } from './NotFound.js';

// Route-level code splitting: the signed-out pages and the signed-in app are chunks of their
// own, so the sign-in page does not download the chat and the chat does not download the forms.
const loadSignedOut = () =>
  Promise.all([import('../features/auth/LoginPage.js'), import('../features/auth/SignupPage.js')]);
const loadSignedIn = () => import('./AppShell.js');
const LoginPage = lazy(() => loadSignedOut().then(([m]) => ({ default: m.LoginPage })));
const SignupPage = lazy(() => loadSignedOut().then(([, m]) => ({ default: m.SignupPage })));
const loadPasswordReset = () =>
  Promise.all([
    import('../features/auth/ForgotPasswordPage.js'),
    import('../features/auth/ResetPasswordPage.js'),
  ]);
const ForgotPasswordPage = lazy(() =>
  loadPasswordReset().then(([m]) => ({ default: m.ForgotPasswordPage })),
);
const ResetPasswordPage = lazy(() =>
  loadPasswordReset().then(([, m]) => ({ default: m.ResetPasswordPage })),
);
const isPasswordResetPath = (pathname: string) =>
  pathname === '/forgot-password' || pathname === '/reset-password';
const AppShell = lazy(() => loadSignedIn().then((m) => ({ default: m.AppShell })));

/**
 * Starts downloading the code the current path most likely needs, while boot() asks the server
 * whether someone is signed in: the forms on /login and /signup (or anywhere when this browser
 * is known to hold no session), the app elsewhere.
 */
export function preloadRoute(pathname: string, maybeSignedIn = true): void {
  const signedOut = isSignedOutPath(pathname) || !maybeSignedIn;
  const load = isPasswordResetPath(pathname)
    ? loadPasswordReset
    : signedOut
      ? loadSignedOut
      : loadSignedIn;
  void load().catch(() => {
    // A failed download is retried (and reported) when the page renders.
  });
}

const isSignedOutPath = (pathname: string) =>
  pathname === '/login' || pathname === '/signup' || isPasswordResetPath(pathname);

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

/** The signed-in pages, or null for an unknown path. */
export function appRoute(pathname: string): AppRoute | null {
  if (pathname === '/') return { name: 'home' };
  if (pathname === '/profile') return { name: 'profile' };
  if (pathname === '/browse') return { name: 'browse' };
  const admin = /^\/admin(?:\/(overview|registration))?$/.exec(pathname);
  if (admin) {
    return { name: 'admin', tab: (admin[1] ?? 'users') as 'users' | 'overview' | 'registration' };
  }
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
  if (isSignedOutPath(pathname)) {
    if (signedIn) return <Redirect to={safeNext(search.get('next'))} />;
    // The splash stays up while a page's code arrives: the same picture, so nothing flashes.
    return (
      <Suspense fallback={<Splash />}>
        {pathname === '/login' ? (
          <LoginPage />
        ) : pathname === '/signup' ? (
          <SignupPage />
        ) : pathname === '/forgot-password' ? (
          <ForgotPasswordPage />
        ) : (
          <ResetPasswordPage />
        )}
      </Suspense>
    );
  }
  const route = appRoute(pathname);
  if (!route) return <NotFound />;
  if (!signedIn)
    return (
      <Redirect to={route.name === 'home' ? '/login' : `/login?next=${encodeURIComponent(href)}`} />
    );
  return (
    <ChatProvider client={auth.client} me={auth.me}>
      <Suspense fallback={<Splash />}>
        <AppShell route={route} />
      </Suspense>
    </ChatProvider>
  );
}
