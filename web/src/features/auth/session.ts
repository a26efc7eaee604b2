import type { AuthResult } from '../../../../protocol/schemas/auth.js';
import type { User } from '../../../../protocol/schemas/users.js';
import { ApiError, refreshAccessToken, tokens } from '../../lib/http.js';
import { navigate } from '../../lib/router.js';
import { theme } from '../../lib/theme.js';
import { createStore, useStore } from '../../lib/store.js';
import { drafts } from '../messages/drafts.js';
import type { ChatClient } from '../realtime/chat-client.js';
import { authApi } from './api.js';

export type AuthState =
  | { status: 'booting' }
  | { status: 'signedOut'; notice: string | null }
  | { status: 'signedIn'; me: User; client: ChatClient; notice: string | null };

type AuthAction =
  | { type: 'set'; state: AuthState }
  | { type: 'me'; me: User }
  | { type: 'notice'; notice: string | null };

function reduce(state: AuthState, action: AuthAction): AuthState {
  switch (action.type) {
    case 'set':
      return action.state;
    case 'me':
      return state.status === 'signedIn' ? { ...state, me: action.me } : state;
    case 'notice':
      return state.status === 'booting' ? state : { ...state, notice: action.notice };
  }
}

export const authStore = createStore<AuthState, AuthAction>(reduce, { status: 'booting' });

const select = (s: AuthState) => s;
/** The signed-in state (or not), re-rendering when it changes. */
export function useAuth(): AuthState {
  return useStore(authStore, select);
}

/** A passing message for the whole app ("Password changed", "You were removed from…"). */
export function setNotice(notice: string | null): void {
  authStore.dispatch({ type: 'notice', notice });
}

/**
 * The chat's code (the client, Socket.IO, the chat state, notifications): a chunk of its own,
 * fetched at sign-in rather than with the sign-in page. `preloadChat` starts the download
 * early (when someone starts filling in a form, or while a known session is restored).
 */
const loadChat = () =>
  Promise.all([import('../realtime/chat-client.js'), import('../notifications/notifications.js')]);

let preloading = false;

export function preloadChat(): void {
  if (preloading) return;
  preloading = true;
  void loadChat().catch(() => {
    // Retried (and reported) at sign-in.
    preloading = false;
  });
}

async function startClient(me: User): Promise<ChatClient> {
  const [{ ChatClient }, { notifyIncoming }] = await loadChat();
  theme.useFor(me.id);
  const client = new ChatClient(me.id, {
    onSessionEnded: (reason) => sessionEnded(reason),
    onIncoming: (m, c) => notifyIncoming(client, me, m, c),
    onMeUpdated: (u) => {
      const s = authStore.getState();
      if (s.status !== 'signedIn') return;
      const { username, displayName, avatarUrl } = u;
      authStore.dispatch({ type: 'me', me: { ...s.me, username, displayName, avatarUrl } });
    },
    onRemoved: (c) => {
      if (!c) return;
      const where = location.pathname;
      if (where === `/c/${c.id}` || where.startsWith(`/c/${c.id}/`)) {
        navigate('/', { replace: true });
        setNotice(
          c.kind === 'group'
            ? `You are no longer a member of “${c.name ?? 'this group'}”.`
            : 'This conversation is no longer available.',
        );
      }
    },
  });
  client.store.dispatch({
    type: 'users',
    users: [
      {
        id: me.id,
        username: me.username,
        displayName: me.displayName,
        avatarUrl: me.avatarUrl,
        online: true,
        lastSeenAt: me.lastSeenAt,
      },
    ],
  });
  client.start();
  return client;
}

/**
 * Whether this browser may hold a refresh cookie. The cookie is HttpOnly, so the page cannot
 * see it; this flag, set at sign-in and cleared when the session ends, spares a first visit
 * (or a signed-out one) the refresh request that could only be refused with a 401, which the
 * browser would log as an error in the console.
 */
const HINT = 'parley:session';
export const sessionHint = {
  get(): boolean {
    try {
      return localStorage.getItem(HINT) === '1';
    } catch {
      return true; // no storage: ask the server, as before
    }
  },
  set(on: boolean): void {
    try {
      if (on) localStorage.setItem(HINT, '1');
      else localStorage.removeItem(HINT);
    } catch {
      /* storage disabled */
    }
  },
};

/** After sign-in or sign-up: keep the token in memory, connect, show the app. */
export async function signedIn(result: AuthResult): Promise<void> {
  tokens.set(result.accessToken, result.expiresAt);
  sessionHint.set(true);
  const current = authStore.getState();
  if (current.status === 'signedIn') current.client.stop();
  const client = await startClient(result.user);
  authStore.dispatch({
    type: 'set',
    state: { status: 'signedIn', me: result.user, client, notice: null },
  });
}

/** At page load: a refresh cookie, if any, signs the user back in without a form. */
export async function boot(): Promise<void> {
  tokens.onSessionEnded((reason) => sessionEnded(reason));
  if (!sessionHint.get()) {
    authStore.dispatch({ type: 'set', state: { status: 'signedOut', notice: null } });
    return;
  }
  preloadChat();
  try {
    await refreshAccessToken();
    const me = await authApi.me();
    authStore.dispatch({
      type: 'set',
      state: { status: 'signedIn', me, client: await startClient(me), notice: null },
    });
  } catch (err) {
    tokens.clear();
    // Only the server's refusal ends the session here; an unreachable server (or chat code
    // that failed to download) keeps it for the next try.
    const offline = err instanceof ApiError ? err.transient : true;
    if (!offline) sessionHint.set(false);
    authStore.dispatch({
      type: 'set',
      state: {
        status: 'signedOut',
        notice: offline ? 'Cannot reach the server right now. Try again in a moment.' : null,
      },
    });
  }
}

function stopClient(): void {
  const s = authStore.getState();
  if (s.status === 'signedIn') s.client.stop();
}

/** The server ended the session: back to sign-in, and back here afterwards. */
export function sessionEnded(reason: ApiError): void {
  if (authStore.getState().status !== 'signedIn') return;
  stopClient();
  tokens.clear();
  sessionHint.set(false);
  const here = location.pathname + location.search;
  authStore.dispatch({
    type: 'set',
    state: {
      status: 'signedOut',
      notice:
        reason.message.includes('reused') || reason.code !== 'session_expired'
          ? 'You were signed out. Please sign in again.'
          : 'Your session has expired. Please sign in again.',
    },
  });
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

/** Signs out of this browser, forgetting the drafts and unsent messages kept here. */
export async function signOut(): Promise<void> {
  try {
    await authApi.logout();
  } catch {
    /* the session may already be gone; forget it here either way */
  }
  const s = authStore.getState();
  if (s.status === 'signedIn') {
    drafts.clear(s.me.id);
    await s.client.forgetLocal();
  }
  stopClient();
  tokens.clear();
  sessionHint.set(false);
  authStore.dispatch({ type: 'set', state: { status: 'signedOut', notice: null } });
  navigate('/login', { replace: true });
}

/** My profile changed (saved here): update it everywhere. */
export function updateMe(me: User): void {
  authStore.dispatch({ type: 'me', me });
  const s = authStore.getState();
  if (s.status === 'signedIn') {
    s.client.store.dispatch({
      type: 'users',
      users: [
        {
          id: me.id,
          username: me.username,
          displayName: me.displayName,
          avatarUrl: me.avatarUrl,
          online: true,
          lastSeenAt: me.lastSeenAt,
        },
      ],
    });
  }
}
