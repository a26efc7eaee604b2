import type { Conversation, Message } from '../../../../protocol/schemas/conversations.js';
import type { User } from '../../../../protocol/schemas/users.js';
import { navigate } from '../../lib/router.js';
import { conversationTitle } from '../conversations/conversations-state.js';
import type { ChatClient } from '../realtime/chat-client.js';
import { markNotificationsAsked, mutedSet } from './preferences.js';

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** Asks the browser for permission (once: the answer is remembered here and by the browser). */
export async function askNotificationPermission(): Promise<NotificationPermission | null> {
  markNotificationsAsked();
  if (!notificationsSupported()) return null;
  return Notification.requestPermission();
}

/** Whether a new message deserves a desktop notification right now. */
export function shouldNotify(opts: {
  hidden: boolean;
  permission: NotificationPermission | null;
  muted: boolean;
  mine: boolean;
  kind: Message['kind'];
}): boolean {
  return (
    opts.hidden &&
    opts.permission === 'granted' &&
    !opts.muted &&
    !opts.mine &&
    opts.kind === 'text'
  );
}

/** Shows a desktop notification for a message that arrived while the tab is hidden. */
export function notifyIncoming(
  client: ChatClient,
  me: User,
  m: Message,
  c: Conversation | undefined,
): void {
  const hidden = document.visibilityState === 'hidden' || !document.hasFocus();
  const permission = notificationsSupported() ? Notification.permission : null;
  const muted = (c?.muted ?? false) || mutedSet(me.id).has(m.conversationId);
  if (!shouldNotify({ hidden, permission, muted, mine: m.senderId === me.id, kind: m.kind }))
    return;
  const sender = client.store.getState().users[m.senderId]?.displayName ?? 'New message';
  const title = c && c.kind === 'group' ? `${sender} in ${conversationTitle(c)}` : sender;
  const body = m.body.length > 160 ? `${m.body.slice(0, 157)}…` : m.body;
  try {
    const n = new Notification(title, { body, tag: `parley-${m.conversationId}`, silent: false });
    n.onclick = () => {
      window.focus();
      navigate(`/c/${m.conversationId}`);
      n.close();
    };
  } catch {
    /* some browsers allow notifications only from a service worker */
  }
}
