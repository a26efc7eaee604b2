import type { Message } from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import { forbidden, isUniqueViolation, notFound, validationFailed } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { groupWrite } from '../../db/group-commit.js';
import { chaos } from '../../lib/chaos.js';
import { throttle } from '../../lib/throttle.js';
import { findConversation } from '../conversations/conversations.queries.js';
import { visibleToOutsiders } from '../conversations/conversation.policy.js';
import { groupAttachments } from '../files/attachment.presenter.js';
import { BadAttachments } from '../files/attachments.queries.js';
import { presentMessages } from './message-view.js';
import { toMessage } from './message.presenter.js';
import {
  BadReplyTarget,
  findByClientId,
  storeMessage,
  storeMessageSqlite,
  type NewMessage,
  type StoredMessage,
} from './messages.queries.js';

export interface SendMessageInput {
  conversationId: number;
  clientId: string | null;
  body: string;
  replyToId?: number | null;
  /** Uploads of the sender's to attach, in order (the schema allows at most 10, each once). */
  attachmentIds?: readonly number[];
}

/** Sends are counted in windows this long (the configured rate allows bursts of two seconds). */
const SEND_WINDOW_MS = 2000;

/**
 * Stores a text message: seq allocated, row inserted and uploads attached in one transaction,
 * the sender's cursors moved to it. A repeat of (sender, conversation, clientId) returns the
 * stored message and stores nothing. The caller answers first, then publishes `message:new`.
 */
export async function sendMessage(
  deps: Deps,
  actor: Actor,
  input: SendMessageInput,
): Promise<Outcome<Message>> {
  // One rule for how fast a user sends, whatever carries the message and whichever node.
  await throttle(
    deps,
    `send:${actor.userId}`,
    (deps.config.rateLimits.messagesPerSecond * SEND_WINDOW_MS) / 1000,
    SEND_WINDOW_MS,
    'messages',
  );
  const m: NewMessage = {
    conversationId: input.conversationId,
    senderId: actor.userId,
    clientId: input.clientId,
    kind: 'text',
    body: input.body,
    meta: null,
    replyToId: input.replyToId ?? null,
    index: deps.config.searchEnabled,
    attachmentIds: input.attachmentIds ?? [],
    now: deps.now(),
  };
  let stored: StoredMessage | null;
  try {
    stored = await store(deps, m);
  } catch (err) {
    const refusal =
      err instanceof BadReplyTarget
        ? replyRefused()
        : err instanceof BadAttachments
          ? attachmentsRefused()
          : null;
    if (input.clientId === null || !(refusal || isUniqueViolation(err))) throw refusal ?? err;
    // The same clientId was stored before (or concurrently): answer with that message. This
    // comes first, also when what it answered or attached can no longer be used.
    const found = await findByClientId(deps.db, actor.userId, input.conversationId, input.clientId);
    if (!found) throw refusal ?? err;
    const [again] = await presentMessages(deps.db, input.conversationId, [found]);
    return { data: again!, events: [] };
  }
  if (!stored) {
    const c = await findConversation(deps.db, input.conversationId);
    throw c && visibleToOutsiders(c)
      ? forbidden('Join this group first')
      : notFound('No such conversation');
  }
  chaos('after_commit_before_ack', input.body);
  const { row, recipients, replyTo, mentions, attachments } = stored;
  const message = toMessage(row, 'sent', {
    ...(replyTo && { replyTargets: new Map([[replyTo.id, replyTo]]) }),
    ...(mentions.length && { mentions: new Map([[row.id, mentions]]) }),
    ...(attachments.length && { attachments: groupAttachments(attachments) }),
  });
  return {
    data: message,
    events: [
      { type: 'message.created', message, recipients },
      {
        type: 'receipt',
        receipt: {
          conversationId: input.conversationId,
          userId: actor.userId,
          deliveredSeq: row.seq,
          readSeq: row.seq,
        },
        recipients,
      },
    ],
  };
}

const notStored = new Error('not stored');

const replyRefused = () =>
  validationFailed(
    { replyToId: 'must be a text message of this conversation that is not deleted' },
    'That message cannot be replied to',
  );

const attachmentsRefused = () =>
  validationFailed(
    {
      attachmentIds:
        'must be your own uploads, not attached to a message yet and not expired (POST /api/uploads)',
    },
    'Those files cannot be attached',
  );

/**
 * Stores through the group commit on SQLite (resolved once the batch holding it is durable),
 * in a transaction of its own elsewhere. Null: the sender is not a member, nothing stored.
 */
async function store(deps: Deps, m: NewMessage): Promise<StoredMessage | null> {
  return groupWrite(
    deps.commits,
    (sqlite, atCommit) => {
      const stored = storeMessageSqlite(sqlite, m, atCommit);
      if (stored) chaos('before_commit', m.body);
      return stored;
    },
    async () => {
      try {
        return await deps.db.transaction().execute(async (trx) => {
          const stored = await storeMessage(trx, deps.dbKind, m);
          if (!stored) throw notStored;
          chaos('before_commit', m.body);
          return stored;
        });
      } catch (err) {
        if (err === notStored) return null;
        throw err;
      }
    },
  );
}
