import { useEffect, useState } from 'react';
import { Icon } from '../../ui/Icon.js';
import type { ChatState } from './chat-state.js';
import { useChat } from './ChatContext.js';

const selectConnection = (s: ChatState) => s.connection;

/** "Reconnecting…" while the socket is down; the first connection gets a moment first. */
export function ConnectionBanner() {
  const connection = useChat(selectConnection);
  const [slow, setSlow] = useState(false);
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    if (connection !== 'connecting') return;
    const t = setTimeout(() => setSlow(true), 1500);
    return () => clearTimeout(t);
  }, [connection]);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  const show = connection === 'reconnecting' || (connection === 'connecting' && slow);
  if (!show) return null;
  return (
    <div className="connection" role="status" data-testid="connection-banner">
      <Icon
        name={online ? 'refresh' : 'wifiOff'}
        size={16}
        className={online ? 'spin' : undefined}
      />
      {online
        ? connection === 'connecting'
          ? 'Connecting…'
          : 'Reconnecting…'
        : 'You are offline. Waiting for the network…'}
    </div>
  );
}
