const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole local days between two instants (0 = same day, 1 = yesterday…). */
export function daysBetween(earlier: number, later: number): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY);
}

/** A key that is equal for two instants on the same local day. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "1:39 PM" or "13:39" in the user's locale: the hour without a leading zero. */
export function formatClock(iso: string, locale?: string): string {
  return new Date(iso).toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
}

/** Full date and time, for tooltips. */
export function formatFull(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

/** The time shown in the conversation list: a clock today, then "Yesterday", a weekday, a date. */
export function formatListTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  const days = daysBetween(t, now);
  if (days <= 0) return formatClock(iso);
  if (days === 1) return 'Yesterday';
  if (days < 7) return new Date(t).toLocaleDateString(undefined, { weekday: 'short' });
  const sameYear = new Date(t).getFullYear() === new Date(now).getFullYear();
  return new Date(t).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** The label of a day separator in the message list. */
export function formatDay(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  const days = daysBetween(t, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const sameYear = new Date(t).getFullYear() === new Date(now).getFullYear();
  return new Date(t).toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** "online", "last seen just now", "last seen 5 min ago", "last seen yesterday at 14:05"… */
export function formatPresence(
  online: boolean,
  lastSeenAt: string | null,
  now = Date.now(),
): string {
  if (online) return 'online';
  if (!lastSeenAt) return 'offline';
  const t = Date.parse(lastSeenAt);
  const ago = Math.max(0, now - t);
  if (ago < MINUTE) return 'last seen just now';
  if (ago < HOUR) return `last seen ${Math.floor(ago / MINUTE)} min ago`;
  const days = daysBetween(t, now);
  if (days === 0) {
    const h = Math.floor(ago / HOUR);
    return `last seen ${h} ${h === 1 ? 'hour' : 'hours'} ago`;
  }
  if (days === 1) return `last seen yesterday at ${formatClock(lastSeenAt)}`;
  return `last seen ${formatListTime(lastSeenAt, now)}`;
}
