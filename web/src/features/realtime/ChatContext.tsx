import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { User } from '../../../../protocol/schemas/users.js';
import { useStore } from '../../lib/store.js';
import type { ChatClient } from './chat-client.js';
import type { ChatState } from './chat-state.js';

interface ChatContextValue {
  client: ChatClient;
  me: User;
}

const Ctx = createContext<ChatContextValue | null>(null);

export function ChatProvider({ client, me, children }: ChatContextValue & { children: ReactNode }) {
  return <Ctx.Provider value={{ client, me }}>{children}</Ctx.Provider>;
}

function useCtx(): ChatContextValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('ChatProvider is missing');
  return v;
}

export const useClient = (): ChatClient => useCtx().client;
export const useMe = (): User => useCtx().me;

/** A slice of the chat state; the selector must return held objects or primitives. */
export function useChat<T>(select: (s: ChatState) => T): T {
  return useStore(useCtx().client.store, select);
}

/** The current time, ticking every `ms` (for "last seen 5 min ago" and typing expiry). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

const selectConnected = (s: ChatState) => s.connection === 'online';

/**
 * Whether presence shown is current: while this client is disconnected it hears no presence
 * events, so nobody is shown online (their dots and "online" come back with the connection).
 */
export function usePresenceLive(): boolean {
  return useChat(selectConnected);
}

/** True while this tab is visible and focused: the moment messages count as read. */
export function usePageAttention(): boolean {
  const get = () => document.visibilityState === 'visible' && document.hasFocus();
  const [attentive, setAttentive] = useState(get);
  useEffect(() => {
    const update = () => setAttentive(get());
    document.addEventListener('visibilitychange', update);
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    return () => {
      document.removeEventListener('visibilitychange', update);
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
    };
  }, []);
  return attentive;
}
