import type {
  Conversation,
  Member,
  Message,
  MessageStatus,
} from '../../../protocol/schemas/conversations.js';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/database.js';
import { iso } from '../../lib/time.js';
import { groupAttachments } from '../files/attachment.presenter.js';
import { attachmentsOf } from '../files/attachments.queries.js';
import { groupReactions, toMessage } from '../messages/message.presenter.js';
import {
  lastMessages,
  mentionsOf,
  reactionsOf,
  replyTargetsOf,
} from '../messages/messages.queries.js';
import { toPublicUser } from '../users/user.presenter.js';
import type { UserRow } from '../users/users.queries.js';
import {
  directPartners,
  lastMessageCursors,
  memberCounts,
  mentionCounts,
  unreadCounts,
  usersByIds,
  type ConversationRow,
  type MemberRow,
  type MembershipColumns,
} from './conversations.queries.js';

/** What is the same for every viewer of a conversation. */
interface Base {
  row: ConversationRow;
  memberCount: number;
  lastMessage: Message | null;
  partners: number[];
}

/** The viewer's own membership, or null for a public group they have not joined. */
export interface Viewer {
  userId: number;
  member: Pick<MemberRow, MembershipColumns> | null;
}

function statusFrom(
  c: { delivered: number; read: number; others: number } | undefined,
  seq: number,
): MessageStatus {
  if (!c || c.others === 0) return 'sent';
  if (c.read >= seq) return 'read';
  if (c.delivered >= seq) return 'delivered';
  return 'sent';
}

/** Loads the viewer-independent parts of several conversations in a fixed number of queries. */
async function loadBases(
  db: Db,
  rows: readonly ConversationRow[],
): Promise<{ bases: Map<number, Base>; users: Map<number, UserRow> }> {
  const ids = rows.map((r) => r.id);
  const directIds = rows.filter((r) => r.kind === 'direct').map((r) => r.id);
  const [counts, lasts, cursors, partners] = await Promise.all([
    memberCounts(db, ids),
    lastMessages(db, ids),
    lastMessageCursors(db, ids),
    directPartners(db, directIds),
  ]);
  const lastRows = [...lasts.values()].filter((m) => m.deleted_at === null);
  const lastTexts = lastRows.filter((m) => m.kind === 'text').map((m) => m.id);
  const [users, reactions, replyTargets, attachments, mentions] = await Promise.all([
    usersByIds(db, [...partners.values()].flat()),
    reactionsOf(db, lastTexts),
    replyTargetsOf(
      db,
      lastRows.flatMap((m) => (m.reply_to_id === null ? [] : [m.reply_to_id])),
    ),
    attachmentsOf(db, lastTexts),
    mentionsOf(db, lastTexts),
  ]);
  const extras = {
    reactions: groupReactions(reactions),
    replyTargets,
    attachments: groupAttachments(attachments),
    mentions,
  };
  const bases = new Map<number, Base>();
  for (const row of rows) {
    const last = lasts.get(row.id) ?? null;
    bases.set(row.id, {
      row,
      memberCount: counts.get(row.id) ?? 0,
      lastMessage: last ? toMessage(last, statusFrom(cursors.get(row.id), last.seq), extras) : null,
      partners: partners.get(row.id) ?? [],
    });
  }
  return { bases, users };
}

function present(
  deps: Deps,
  base: Base,
  users: Map<number, UserRow>,
  viewer: Viewer,
  counts: { unread: number; mentions: number },
): Conversation {
  const { row } = base;
  let otherUser = null;
  if (row.kind === 'direct') {
    const otherId = base.partners.find((id) => id !== viewer.userId) ?? base.partners[0];
    const u = otherId !== undefined ? users.get(otherId) : undefined;
    otherUser = u ? toPublicUser(u, deps.presence) : null;
  }
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    topic: row.topic,
    isPrivate: row.is_private === 1,
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    otherUser,
    memberCount: base.memberCount,
    myRole: viewer.member?.role ?? null,
    lastSeq: Number(row.last_seq),
    lastVersion: Number(row.last_version),
    lastMessage: base.lastMessage,
    unreadCount: viewer.member ? counts.unread : 0,
    mentionCount: viewer.member ? counts.mentions : 0,
    myReadSeq: viewer.member ? Number(viewer.member.read_seq) : 0,
    muted: viewer.member ? viewer.member.muted === 1 : false,
    notify: viewer.member?.notify ?? 'all',
  };
}

/** Many conversations as one user sees them (the conversation list). */
export async function presentForUser(
  deps: Deps,
  userId: number,
  items: ReadonlyArray<{ row: ConversationRow; member: Viewer['member'] }>,
): Promise<Conversation[]> {
  const { bases, users } = await loadBases(
    deps.db,
    items.map((i) => i.row),
  );
  const joined = items.filter((i) => i.member).map((i) => i.row.id);
  const filter = { userId, conversationIds: joined };
  const [unread, mentions] = await Promise.all([
    unreadCounts(deps.db, filter),
    mentionCounts(deps.db, filter),
  ]);
  const key = (id: number) => `${id}:${userId}`;
  return items.map((i) =>
    present(
      deps,
      bases.get(i.row.id)!,
      users,
      { userId, member: i.member },
      { unread: unread.get(key(i.row.id)) ?? 0, mentions: mentions.get(key(i.row.id)) ?? 0 },
    ),
  );
}

/** One conversation as each of several members sees it (for `conversation:updated`). */
export async function presentForMembers(
  deps: Deps,
  row: ConversationRow,
  members: readonly MemberRow[],
): Promise<Array<{ userId: number; conversation: Conversation }>> {
  const { bases, users } = await loadBases(deps.db, [row]);
  const filter = { conversationId: row.id, userIds: members.map((m) => m.user_id) };
  const [unread, mentions] = await Promise.all([
    unreadCounts(deps.db, filter),
    mentionCounts(deps.db, filter),
  ]);
  const base = bases.get(row.id)!;
  const key = (userId: number) => `${row.id}:${userId}`;
  return members.map((m) => ({
    userId: m.user_id,
    conversation: present(
      deps,
      base,
      users,
      { userId: m.user_id, member: m },
      { unread: unread.get(key(m.user_id)) ?? 0, mentions: mentions.get(key(m.user_id)) ?? 0 },
    ),
  }));
}

/** A member row with its user, as the wire sees it. */
export function toMember(deps: Deps, m: MemberRow, user: UserRow): Member {
  return {
    user: toPublicUser(user, deps.presence),
    role: m.role,
    joinedAt: iso(m.joined_at),
    deliveredSeq: Number(m.delivered_seq),
    readSeq: Number(m.read_seq),
  };
}
