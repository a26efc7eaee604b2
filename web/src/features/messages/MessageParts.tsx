import { useCallback, useEffect } from 'react';
import type { MessageStatus } from '../../../../protocol/schemas/conversations.js';
import { formatFull } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Icon } from '../../ui/Icon.js';
import type { ChatState } from '../realtime/chat-state.js';
import { ProfileTrigger } from '../users/ProfileCard.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import type { Row } from './rows.js';
import { systemText, systemUserIds } from './system-text.js';

const STATUS_LABEL: Record<MessageStatus | 'sending' | 'failed', string> = {
  sending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

/** The tick after my own message: clock, one check, two checks, two coloured checks. */
export function Ticks({ status }: { status: MessageStatus | 'sending' | 'failed' }) {
  const icon =
    status === 'sending'
      ? 'clock'
      : status === 'failed'
        ? 'alert'
        : status === 'sent'
          ? 'check'
          : 'checks';
  return (
    <span
      className={`ticks ticks--${status}`}
      data-status={status}
      title={STATUS_LABEL[status]}
      role="img"
      aria-label={STATUS_LABEL[status]}
    >
      <Icon name={icon} size={16} strokeWidth={2} />
    </span>
  );
}

/** A user's display name from the cache (asking the server for unknown ones); "You" for me. */
export function useName(id: number, you = 'You'): string {
  const client = useClient();
  const me = useMe();
  const name = useChat(useCallback((s: ChatState) => s.users[id]?.displayName, [id]));
  useEffect(() => {
    if (name === undefined) client.wantUser(id);
  }, [client, id, name]);
  if (id === me.id) return you;
  return name ?? 'Someone';
}

export function SystemMessage({ row }: { row: Extract<Row, { kind: 'message' }> }) {
  const m = row.message;
  const ids = systemUserIds(m);
  // Two hooks, always called in the same order (ids has at most two entries).
  const a = useName(ids[0] ?? m.senderId);
  const b = useName(ids[1] ?? m.senderId);
  const names = new Map<number, string>([
    [ids[0] ?? m.senderId, a],
    [ids[1] ?? m.senderId, b],
  ]);
  const text = systemText(m, (id) => names.get(id) ?? 'Someone');
  return (
    <div className="system-msg" data-testid="system-message" title={formatFull(m.createdAt)}>
      <span>{text}</span>
    </div>
  );
}

/** The sender's picture beside the first message of a run (groups only). */
export function Sender({ id, isGroup }: { id: number; isGroup: boolean }) {
  const user = useChat(useCallback((s: ChatState) => s.users[id], [id]));
  const name = useName(id);
  if (!isGroup) return null;
  return (
    <div className="msg__avatar">
      <ProfileTrigger userId={id} name={name}>
        <Avatar name={name} url={user?.avatarUrl} seed={id} size={32} />
      </ProfileTrigger>
    </div>
  );
}
