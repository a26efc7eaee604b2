import type { Role } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import type { Db } from '../../db/database.js';
import { AppError, forbidden, notFound } from '../../errors.js';
import {
  findConversation,
  findMember,
  lockConversation,
  type ConversationRow,
  type MemberRow,
} from './conversations.queries.js';

/** Owners and admins manage a group: rename, topic, privacy, adding and removing members. */
export const canManage = (role: Role): boolean => role === 'owner' || role === 'admin';

/** An owner removes anyone but themselves; an admin removes plain members only. */
export function canRemove(actor: Role, target: Role): boolean {
  if (actor === 'owner') return target !== 'owner';
  if (actor === 'admin') return target === 'member';
  return false;
}

const hidden = () => notFound('No such conversation');

/** True when a non-member may see the conversation at all: public groups only. */
export const visibleToOutsiders = (c: Pick<ConversationRow, 'kind' | 'is_private'>): boolean =>
  c.kind === 'group' && c.is_private === 0;

/**
 * Loads a conversation the actor may read: members always, anyone for a public group.
 * Private groups and direct conversations are "not found" to outsiders, existing or not.
 */
export async function loadReadable(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<{ conversation: ConversationRow; member: MemberRow | null }> {
  const [conversation, member] = await Promise.all([
    findConversation(deps.db, id),
    findMember(deps.db, id, actor.userId),
  ]);
  if (!conversation) throw hidden();
  if (!member && !visibleToOutsiders(conversation)) throw hidden();
  return { conversation, member: member ?? null };
}

/** Loads a conversation the actor belongs to; outsiders of a public group are told to join. */
export async function loadAsMember(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<{ conversation: ConversationRow; member: MemberRow }> {
  const { conversation, member } = await loadReadable(deps, actor, id);
  if (!member) throw forbidden('Join this group first');
  return { conversation, member };
}

/**
 * In a transaction: locks the conversation, then reads it and the actor's membership again.
 * A role checked before the transaction may have changed by the time it runs (the actor was
 * removed or demoted meanwhile); checks made on these rows hold until commit.
 */
export async function lockForMember(
  trx: Db,
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<{ conversation: ConversationRow; member: MemberRow }> {
  const conversation = await lockConversation(trx, deps.dbKind, id);
  const member = conversation ? await findMember(trx, id, actor.userId) : undefined;
  if (!conversation || !member) throw hidden();
  return { conversation, member };
}

/** Loads a group the actor belongs to (direct conversations have no group controls). */
export async function loadGroupAsMember(
  deps: Deps,
  actor: Actor,
  id: number,
): Promise<{ conversation: ConversationRow; member: MemberRow }> {
  const r = await loadAsMember(deps, actor, id);
  if (r.conversation.kind !== 'group')
    throw new AppError('forbidden', 'Direct conversations have no group settings');
  return r;
}
