import type { Conversation, Message } from '../../../../protocol/schemas/conversations.js';

/** What I may do with a message (the server checks again). */
export interface MessagePermissions {
  reply: boolean;
  react: boolean;
  edit: boolean;
  delete: boolean;
  pin: boolean;
  copy: boolean;
}

const NONE: MessagePermissions = {
  reply: false,
  react: false,
  edit: false,
  delete: false,
  pin: false,
  copy: false,
};

/**
 * By the contract: only text messages that are not deleted can be acted on; the sender edits;
 * the sender deletes, and so do a group's owner and admins; anyone pins in a direct
 * conversation, only the owner and admins in a group.
 */
export function messagePermissions(
  m: Message,
  c: Pick<Conversation, 'kind' | 'myRole'> | undefined,
  myId: number,
): MessagePermissions {
  if (!c || c.myRole === null || m.kind !== 'text' || m.deletedAt !== null) return NONE;
  const mine = m.senderId === myId;
  const moderator = c.kind === 'group' && (c.myRole === 'owner' || c.myRole === 'admin');
  return {
    reply: true,
    react: true,
    edit: mine,
    delete: mine || moderator,
    pin: c.kind === 'direct' || moderator,
    copy: m.body !== '',
  };
}

/** Whether any action is open to me (else the message shows no menu). */
export function anyAction(p: MessagePermissions): boolean {
  return p.reply || p.react || p.edit || p.delete || p.pin || p.copy;
}
