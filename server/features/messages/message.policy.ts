import type { Role } from '../../../protocol/schemas/conversations.js';
import { forbidden } from '../../errors.js';
import { canManage } from '../conversations/conversation.policy.js';
import type { MessageRow } from './messages.queries.js';

type Subject = Pick<MessageRow, 'kind' | 'sender_id' | 'deleted_at'>;
type Where = { kind: 'direct' | 'group' };

/** System messages are the conversation's record: nobody edits, deletes, reacts to or pins them. */
function requireText(m: Subject): void {
  if (m.kind !== 'text') throw forbidden('System messages cannot be changed');
}

/** Only the sender edits, and only a text message that is not deleted. */
export function checkEdit(m: Subject, userId: number): void {
  requireText(m);
  if (m.sender_id !== userId) throw forbidden('Only the sender can edit a message');
  if (m.deleted_at !== null) throw forbidden('A deleted message cannot be edited');
}

/** The sender deletes their text message; in a group, the owner and admins delete anyone's. */
export function checkDelete(m: Subject, userId: number, c: Where, role: Role): void {
  requireText(m);
  if (m.sender_id === userId) return;
  if (c.kind === 'group' && canManage(role)) return;
  throw forbidden(
    c.kind === 'group'
      ? 'Only the sender, the owner and admins can delete this message'
      : 'Only the sender can delete this message',
  );
}

/** Any member reacts to a text message that is not deleted. */
export function checkReact(m: Subject): void {
  requireText(m);
  if (m.deleted_at !== null) throw forbidden('A deleted message cannot be reacted to');
}

/** Any member pins in a direct conversation; in a group, the owner and admins. */
export function checkPin(m: Subject, c: Where, role: Role): void {
  requireText(m);
  if (m.deleted_at !== null) throw forbidden('A deleted message cannot be pinned');
  if (c.kind === 'group' && !canManage(role))
    throw forbidden('Only the owner and admins can pin messages in a group');
}
