import type {
  Conversation,
  Message,
  NotifyLevel,
} from '../../../../protocol/schemas/conversations.js';
import type { User } from '../../../../protocol/schemas/users.js';
import { navigate } from '../../lib/router.js';
import { loadMarkdown } from '../messages/markdown-loader.js';
import { hasMarkup } from '../messages/markup.js';
import { messageSummary } from '../messages/summary.js';
import { conversationTitle } from '../conversations/conversations-state.js';
import type { ChatClient } from '../realtime/chat-client.js';
import { markNotificationsAsked, soundEnabled } from './preferences.js';
import { playNotificationSound } from './sound.js';

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** Asks the browser for permission (once: the answer is remembered here and by the browser). */
export async function askNotificationPermission(): Promise<NotificationPermission | null> {
  markNotificationsAsked();
  if (!notificationsSupported()) return null;
  return Notification.requestPermission();
}

/** What decides whether a new message is worth telling about. */
export interface AlertInput {
  mine: boolean;
  kind: Message['kind'];
  /** The conversation is muted (by me, on any device). */
  muted: boolean;
  /** My notification level for the conversation. */
  notify: NotifyLevel;
  /** The message mentions me (`message.mentions` holds my id). */
  mentionsMe: boolean;
}

/**
 * Whether the conversation's settings ask to be told of this message: someone else's text
 * message, not muted; `all` → every one, `mentions` → those that mention me, `none` → none.
 */
export function wantsAlert(a: AlertInput): boolean {
  if (a.mine || a.kind !== 'text' || a.muted) return false;
  return a.notify === 'all' || (a.notify === 'mentions' && a.mentionsMe);
}

/** Whether a new message deserves a desktop notification right now. */
export function shouldNotify(
  a: AlertInput & { hidden: boolean; permission: NotificationPermission | null },
): boolean {
  return a.hidden && a.permission === 'granted' && wantsAlert(a);
}

/**
 * Whether to play the sound: the user wants sounds, the settings ask for this message, and it
 * is not in the conversation on screen (hidden tab, or another conversation open).
 */
export function shouldPlaySound(
  a: AlertInput & { soundOn: boolean; hidden: boolean; viewing: boolean },
): boolean {
  return a.soundOn && (a.hidden || !a.viewing) && wantsAlert(a);
}

/** Tells about a message from someone else that arrived live: notification and sound. */
export function notifyIncoming(
  client: ChatClient,
  me: User,
  m: Message,
  c: Conversation | undefined,
): void {
  const input: AlertInput = {
    mine: m.senderId === me.id,
    kind: m.kind,
    muted: c?.muted ?? false,
    notify: c?.notify ?? 'all',
    mentionsMe: m.mentions.includes(me.id),
  };
  const hidden = document.visibilityState === 'hidden' || !document.hasFocus();
  const viewing = location.pathname === `/c/${m.conversationId}`;
  if (shouldPlaySound({ ...input, soundOn: soundEnabled(), hidden, viewing })) {
    playNotificationSound();
  }
  const permission = notificationsSupported() ? Notification.permission : null;
  if (!shouldNotify({ ...input, hidden, permission })) return;
  const sender = client.store.getState().users[m.senderId]?.displayName ?? 'New message';
  const where = c && c.kind === 'group' ? ` in ${conversationTitle(c)}` : '';
  const title = input.mentionsMe ? `${sender} mentioned you${where}` : `${sender}${where}`;
  const show = () => {
    const body = messageSummary(m, 157);
    try {
      const n = new Notification(title, { body, tag: `parley-${m.conversationId}`, silent: true });
      n.onclick = () => {
        window.focus();
        navigate(`/c/${m.conversationId}`);
        n.close();
      };
    } catch {
      /* some browsers allow notifications only from a service worker */
    }
  };
  // The text without its markup ("**done**" says "done"): the parser first, if it is needed.
  if (hasMarkup(m.body)) loadMarkdown().then(show, show);
  else show();
}
