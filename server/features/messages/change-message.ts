import type { Message, Role } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import type { DatabaseKind } from '../../config.js';
import type { Db } from '../../db/database.js';
import { affectedBy, firstOf, rowsOf, runSteps, type Steps } from '../../db/steps.js';
import { forbidden, notFound } from '../../errors.js';
import type { DomainEvent, Outcome } from '../../events.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { presentForMembers } from '../conversations/conversation.presenter.js';
import { findConversation, listMemberRows } from '../conversations/conversations.queries.js';
import { groupAttachments } from '../files/attachment.presenter.js';
import { selectAttachmentsOf } from '../files/attachments.queries.js';
import { discardObjects } from '../files/discard.js';
import { groupReactions, ReceiptView, toMessage } from './message.presenter.js';
import {
  deleteMentionsOf,
  insertMentions,
  groupMentions,
  lockConversationForChange,
  raiseVersion,
  selectMemberReads,
  selectMemberRole,
  selectMentions,
  selectMentionsOf,
  selectMessage,
  selectMessagesByIds,
  selectReactionsOf,
  selectReplyIds,
  selectReplyTargets,
  updateMessage,
  type MessageRow,
} from './messages.queries.js';

/** What a change sees: the message and its conversation under the lock, the caller's role. */
export interface ChangeContext {
  db: Db;
  kind: DatabaseKind;
  /** Whether messages are kept in the search index. */
  indexed: boolean;
  message: MessageRow;
  conversation: { id: number; kind: 'direct' | 'group'; last_seq: number };
  role: Role;
  now: number;
}

/** What a change writes on the message (its new version is added to it). */
export interface MessagePatch {
  body?: string;
  edited_at?: number;
  deleted_at?: number;
  reply_to_id?: null;
  pinned_by?: number | null;
  pinned_at?: number | null;
}

/** A decided change: the message's columns, and whether the messages answering it change too. */
export interface Change {
  patch: MessagePatch;
  /** Edits and deletions change the excerpt that replies show. */
  touchesReplies: boolean;
  /** The members the message mentions now (edits compute them again; deletions clear them). */
  mentions?: number[];
  /** Stored objects to remove once the change is committed (a deletion's files). */
  discard?: string[];
}

/**
 * Decides a change under the lock: throws a refusal, returns null when the request would change
 * nothing, or writes its own rows (reactions) and returns the message's change.
 */
export type Decide = (ctx: ChangeContext) => Steps<Change | null>;

interface Changed {
  before: MessageRow;
  changed: boolean;
  /** Members who became or stopped being mentioned. */
  mentionsMoved: number[];
  /**
   * The messages whose version was raised (the message first, then its replies), as the wire
   * sees them, read in the same transaction: each copy is exactly the state of its version.
   */
  messages: Message[];
  members: Array<{ user_id: number; delivered_seq: number; read_seq: number }>;
  lastSeq: number;
  /** Stored objects to remove after the commit. */
  discard: string[];
}

const noSuchMessage = () => notFound('No such message');

/**
 * The one way a message changes. Under the conversation's row lock: the message read again,
 * the caller's membership checked (`not_found` where they cannot read the conversation, as for
 * a message that does not exist; `forbidden` for a public group they have not joined), the
 * change decided; then the conversation's counter raised once for the message and once for
 * each reply, each stamped with its own next value. Nothing is raised when nothing changes.
 */
function* changeSteps(
  db: Db,
  deps: Deps,
  actor: Actor,
  messageId: number,
  decide: Decide,
): Steps<Changed> {
  const found = yield* firstOf(selectMessage(db, messageId));
  if (!found) throw noSuchMessage();
  const conversation = yield* firstOf(
    lockConversationForChange(db, deps.dbKind, found.conversation_id),
  );
  const message = yield* firstOf(selectMessage(db, messageId));
  if (!conversation || !message) throw noSuchMessage();
  const member = yield* firstOf(selectMemberRole(db, conversation.id, actor.userId));
  if (!member) {
    throw visibleToOutsiders(conversation) ? forbidden('Join this group first') : noSuchMessage();
  }
  const change = yield* decide({
    db,
    kind: deps.dbKind,
    indexed: deps.config.searchEnabled,
    message,
    conversation,
    role: member.role,
    now: deps.now(),
  });
  const members = yield* rowsOf(selectMemberReads(db, conversation.id));
  const base = {
    before: message,
    members,
    lastSeq: Number(conversation.last_seq),
    discard: change?.discard ?? [],
  };
  if (!change) {
    return {
      ...base,
      changed: false,
      messages: yield* presentSteps(db, [message.id], members),
      mentionsMoved: [],
    };
  }
  let mentionsMoved: number[] = [];
  if (change.mentions) {
    const was = (yield* rowsOf(selectMentions(db, message.id))).map((r) => r.user_id);
    const now = change.mentions;
    mentionsMoved = [
      ...was.filter((u) => !now.includes(u)),
      ...now.filter((u) => !was.includes(u)),
    ];
    if (was.length) yield* affectedBy(deleteMentionsOf(db, message.id));
    if (now.length) yield* affectedBy(insertMentions(db, message.id, now));
  }
  const replies = change.touchesReplies
    ? (yield* rowsOf(selectReplyIds(db, message.id))).map((r) => r.id)
    : [];
  const version = Number(conversation.last_version) + 1;
  yield* affectedBy(raiseVersion(db, conversation.id, 1 + replies.length));
  yield* affectedBy(updateMessage(db, message.id, { ...change.patch, version }));
  for (const [i, id] of replies.entries()) {
    yield* affectedBy(updateMessage(db, id, { version: version + 1 + i }));
  }
  const messages = yield* presentSteps(db, [message.id, ...replies], members);
  return { ...base, changed: true, messages, mentionsMoved };
}

/**
 * Messages as the wire sees them, read inside the change's transaction (under the lock), in
 * the order of `ids`: what presentMessages does after the fact, without a later change
 * slipping into a copy stamped with an earlier version.
 */
function* presentSteps(
  db: Db,
  ids: number[],
  cursors: ReadonlyArray<{ user_id: number; delivered_seq: number; read_seq: number }>,
): Steps<Message[]> {
  const rows = yield* rowsOf(selectMessagesByIds(db, ids));
  const live = rows.filter((r) => r.deleted_at === null);
  const texts = live.filter((r) => r.kind === 'text').map((r) => r.id);
  const targets = live.flatMap((r) => (r.reply_to_id === null ? [] : [r.reply_to_id]));
  const reactions = texts.length ? yield* rowsOf(selectReactionsOf(db, texts)) : [];
  const mentions = texts.length ? yield* rowsOf(selectMentionsOf(db, texts)) : [];
  const replyTargets = targets.length ? yield* rowsOf(selectReplyTargets(db, targets)) : [];
  const attachments = texts.length ? yield* rowsOf(selectAttachmentsOf(db, texts)) : [];
  const view = new ReceiptView(cursors);
  const extras = {
    reactions: groupReactions(reactions),
    mentions: groupMentions(mentions),
    replyTargets: new Map(replyTargets.map((t) => [t.id, t])),
    attachments: groupAttachments(attachments),
  };
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [toMessage(r, view.statusOf(r.sender_id, r.seq), extras)] : [];
  });
}

/**
 * Runs a change and answers with the message as it is now. A change sends `message:updated`
 * (for the message and each reply whose excerpt changed) to every member; a deletion also
 * sends `conversation:updated` to the members whose unread count or last message it changed.
 */
export async function changeMessage(
  deps: Deps,
  actor: Actor,
  messageId: number,
  decide: Decide,
): Promise<Outcome<Message>> {
  const done = await runSteps(deps.db, deps.commits, (db) =>
    changeSteps(db, deps, actor, messageId, decide),
  );
  // Only once the rows are gone for good: a rolled-back deletion keeps its files.
  if (done.discard.length) await discardObjects(deps, done.discard);
  const message = done.messages[0];
  if (!message) throw noSuchMessage();
  if (!done.changed) return { data: message, events: [] };
  const recipients = done.members.map((m) => m.user_id);
  const events: DomainEvent[] = done.messages.map((m) => ({
    type: 'message.updated',
    message: m,
    recipients,
  }));
  events.push(...(await countViews(deps, done, message.deletedAt !== null)));
  return { data: message, events };
}

/**
 * The conversation as seen by each member whose counts or preview a change moved: a deletion
 * lowers the unread (and mention) count of everyone who had not read the message and may change
 * everyone's last message; an edit that adds or removes a mention moves that member's count.
 */
async function countViews(deps: Deps, done: Changed, deleted: boolean): Promise<DomainEvent[]> {
  const m = done.before;
  const unreadFor = (x: { user_id: number; read_seq: number }) =>
    x.user_id !== m.sender_id && Number(x.read_seq) < m.seq;
  const wasLast = m.seq === done.lastSeq;
  const affected = new Set(
    done.members
      .filter((x) =>
        deleted && m.deleted_at === null
          ? wasLast || unreadFor(x)
          : done.mentionsMoved.includes(x.user_id) && unreadFor(x),
      )
      .map((x) => x.user_id),
  );
  if (affected.size === 0) return [];
  const [row, members] = await Promise.all([
    findConversation(deps.db, m.conversation_id),
    listMemberRows(deps.db, m.conversation_id),
  ]);
  if (!row) return [];
  const views = await presentForMembers(
    deps,
    row,
    members.filter((x) => affected.has(x.user_id)),
  );
  return [{ type: 'conversation.updated', views }];
}
