import { z } from 'zod';
import { LIMITS } from '../limits.js';
import {
  DecimalInt,
  hasVisibleCharacter,
  isOneEmoji,
  IsoTime,
  PlainText,
  Text,
  trimSpace,
  Visible,
} from './common.js';
import { PublicUser } from './users.js';

const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const Role = z.enum(['owner', 'admin', 'member']);
export type Role = z.infer<typeof Role>;

export const SystemEvent = z.enum([
  'room_created',
  'member_joined',
  'member_left',
  'member_added',
  'member_removed',
  'role_changed',
  'room_renamed',
]);
export type SystemEvent = z.infer<typeof SystemEvent>;

export const MessageStatus = z.enum(['sent', 'delivered', 'read']);

/** What a member wants to be notified of in a conversation. */
export const NotifyLevel = z.enum(['all', 'mentions', 'none']);
export type NotifyLevel = z.infer<typeof NotifyLevel>;
export type MessageStatus = z.infer<typeof MessageStatus>;

/** A file attached to a message (its bytes are served from `url`). */
export const Attachment = z
  .object({
    id: z.number().int(),
    name: z.string(),
    mime: z.string(),
    size: z.number().int(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    url: z.string(),
    thumbnailUrl: z.string().nullable(),
  })
  .meta({ id: 'Attachment' });
export type Attachment = z.infer<typeof Attachment>;

/** The message a reply answers, as it reads now (`excerpt` is "" once it is deleted). */
export const ReplyTo = z
  .object({
    id: z.number().int(),
    seq: z.number().int(),
    senderId: z.number().int(),
    excerpt: z.string(),
  })
  .meta({ id: 'ReplyTo' });
export type ReplyTo = z.infer<typeof ReplyTo>;

/** One emoji's reactions: in the order each emoji was first used, users in reaction order. */
export const Reaction = z
  .object({ emoji: z.string(), count: z.number().int(), userIds: z.array(z.number().int()) })
  .meta({ id: 'Reaction' });
export type Reaction = z.infer<typeof Reaction>;

export const Pinned = z.object({ by: z.number().int(), at: IsoTime }).meta({ id: 'Pinned' });
export type Pinned = z.infer<typeof Pinned>;

export const Message = z
  .object({
    id: z.number().int(),
    conversationId: z.number().int(),
    seq: z.number().int(),
    senderId: z.number().int(),
    clientId: z.string().nullable(),
    kind: z.enum(['text', 'system']),
    body: z.string(),
    meta: z.record(z.string(), z.unknown()).nullable(),
    createdAt: IsoTime,
    editedAt: IsoTime.nullable(),
    status: MessageStatus,
    /** The conversation's change counter when this message last changed. */
    version: z.number().int(),
    deletedAt: IsoTime.nullable(),
    replyTo: ReplyTo.nullable(),
    reactions: z.array(Reaction),
    mentions: z.array(z.number().int()),
    pinned: Pinned.nullable(),
    attachments: z.array(Attachment),
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof Message>;

export const Member = z
  .object({
    user: PublicUser,
    role: Role,
    joinedAt: IsoTime,
    deliveredSeq: z.number().int(),
    readSeq: z.number().int(),
  })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof Member>;

export const Conversation = z
  .object({
    id: z.number().int(),
    kind: z.enum(['direct', 'group']),
    name: z.string().nullable(),
    topic: z.string().nullable(),
    isPrivate: z.boolean(),
    createdAt: IsoTime,
    createdBy: z.number().int().nullable(),
    otherUser: PublicUser.nullable(),
    memberCount: z.number().int(),
    myRole: Role.nullable(),
    lastSeq: z.number().int(),
    /** The change counter: raised by every creation, edit, deletion, reaction or pin change. */
    lastVersion: z.number().int(),
    lastMessage: Message.nullable(),
    unreadCount: z.number().int(),
    /** Unread text messages from others that mention me (derived like unreadCount). */
    mentionCount: z.number().int(),
    myReadSeq: z.number().int(),
    muted: z.boolean(),
    notify: NotifyLevel,
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof Conversation>;

export const ConversationWithMembers = Conversation.extend({ members: z.array(Member) }).meta({
  id: 'ConversationWithMembers',
});
export type ConversationWithMembers = z.infer<typeof ConversationWithMembers>;

/** Trimmed, then 1–8000 UTF-16 units of what is kept, with at least one visible character. */
export const MessageBody = Visible(
  PlainText(Text({ trim: true, min: 1, max: LIMITS.messageBodyMax })),
);
/**
 * An opaque key, kept exactly as sent. White space at its ends is refused, not trimmed (the
 * client would no longer find its own key): MariaDB's PAD SPACE collation finds 'k' and 'k '
 * equal, so they would be one key there and two on the other databases.
 */
export const ClientId = PlainText(Text({ min: 1, max: LIMITS.clientIdMax })).refine(
  (v) => trimSpace(v) === v,
  { message: 'must not begin or end with white space' },
);

export const GroupName = Visible(PlainText(Text({ trim: true, min: 1, max: LIMITS.groupNameMax })));
/** May be empty (no topic), so an invisible-only topic is allowed: it shows as no topic. */
export const Topic = PlainText(Text({ trim: true, max: LIMITS.topicMax }));

export const OpenDirectInput = z.strictObject({ userId: Id }).meta({ id: 'OpenDirectInput' });
export type OpenDirectInput = z.infer<typeof OpenDirectInput>;

export const CreateGroupInput = z
  .strictObject({
    name: GroupName,
    topic: Topic.optional(),
    isPrivate: z.boolean(),
    memberIds: z.array(Id).max(1000).optional(),
  })
  .meta({ id: 'CreateGroupInput' });
export type CreateGroupInput = z.infer<typeof CreateGroupInput>;

export const UpdateGroupInput = z
  .strictObject({
    name: GroupName.optional(),
    topic: Topic.optional(),
    isPrivate: z.boolean().optional(),
  })
  .meta({ id: 'UpdateGroupInput' });
export type UpdateGroupInput = z.infer<typeof UpdateGroupInput>;

export const AddMembersInput = z
  .strictObject({ userIds: z.array(Id).min(1).max(1000) })
  .meta({ id: 'AddMembersInput' });
export type AddMembersInput = z.infer<typeof AddMembersInput>;

export const ChangeRoleInput = z.strictObject({ role: Role }).meta({ id: 'ChangeRoleInput' });
export type ChangeRoleInput = z.infer<typeof ChangeRoleInput>;

export const MemberParams = z.object({
  id: DecimalInt(1),
  userId: DecimalInt(1),
});
export type MemberParams = z.infer<typeof MemberParams>;

export const PublicGroupsQuery = z.object({
  query: PlainText(Text({ max: LIMITS.searchQueryMax }))
    .optional()
    .default(''),
});
export type PublicGroupsQuery = z.infer<typeof PublicGroupsQuery>;

const SeqQuery = DecimalInt(0);
export const HistoryQuery = z
  .object({
    before: SeqQuery.optional(),
    after: SeqQuery.optional(),
    around: SeqQuery.optional(),
    limit: DecimalInt(1, LIMITS.historyLimitMax).optional().default(LIMITS.historyLimitDefault),
  })
  .refine((q) => q.before === undefined || q.after === undefined, {
    message: 'use either before or after, not both',
    path: ['before'],
  })
  .refine((q) => q.around === undefined || (q.before === undefined && q.after === undefined), {
    message: 'around cannot be combined with before or after',
    path: ['around'],
  });
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryPage = z
  .object({
    messages: z.array(Message),
    hasMore: z.boolean(),
    /**
     * The conversation's change counter when the page was read: fetching changes?since= this
     * afterwards brings whatever changed meanwhile.
     */
    lastVersion: z.number().int(),
    /** With `around`: whether older and newer messages than the page exist. */
    hasMoreBefore: z.boolean().optional(),
    hasMoreAfter: z.boolean().optional(),
  })
  .meta({ id: 'HistoryPage' });
export type HistoryPage = z.infer<typeof HistoryPage>;

export const ChangesQuery = z.object({
  since: DecimalInt(0),
  limit: DecimalInt(1, LIMITS.changesLimitMax).optional().default(LIMITS.changesLimitDefault),
});
export type ChangesQuery = z.infer<typeof ChangesQuery>;

export const ChangesPage = z
  .object({ messages: z.array(Message), lastVersion: z.number().int(), hasMore: z.boolean() })
  .meta({ id: 'ChangesPage' });
export type ChangesPage = z.infer<typeof ChangesPage>;

/**
 * The body of a send: `MessageBody`'s rules, except that it may be empty (after trimming) when
 * the message carries attachments; the send schemas check that with `attachmentIds`.
 */
export const SentBody = PlainText(Text({ trim: true, max: LIMITS.messageBodyMax })).refine(
  (v) => v === '' || hasVisibleCharacter(v),
  { message: 'must contain a visible character' },
);

/** Uploads to attach to a message (`POST /api/uploads`), at most 10, each once. */
export const AttachmentIds = z
  .array(Id)
  .max(
    LIMITS.attachmentsPerMessageMax,
    `must list at most ${LIMITS.attachmentsPerMessageMax} uploads`,
  )
  .refine((ids) => new Set(ids).size === ids.length, { message: 'must not list an upload twice' });

/** A body may be empty only on a message with attachments. */
const hasTextOrFiles = (p: { body: string; attachmentIds?: number[] | undefined }) =>
  p.body !== '' || (p.attachmentIds?.length ?? 0) > 0;
const emptyBody = { message: 'must not be empty', path: ['body'] };

export const PostMessageInput = z
  .strictObject({
    clientId: ClientId.optional(),
    body: SentBody,
    replyToId: Id.optional(),
    attachmentIds: AttachmentIds.optional(),
  })
  .refine(hasTextOrFiles, emptyBody)
  .meta({ id: 'PostMessageInput' });
export type PostMessageInput = z.infer<typeof PostMessageInput>;

export const ReadInput = z.strictObject({ seq: Seq }).meta({ id: 'ReadInput' });
export type ReadInput = z.infer<typeof ReadInput>;

// Socket payloads (client → server).
export const SendMessagePayload = z
  .strictObject({
    conversationId: Id,
    clientId: ClientId,
    body: SentBody,
    replyToId: Id.optional(),
    attachmentIds: AttachmentIds.optional(),
  })
  .refine(hasTextOrFiles, emptyBody);
export type SendMessagePayload = z.infer<typeof SendMessagePayload>;

export const CursorPayload = z.strictObject({ conversationId: Id, seq: Seq });
export type CursorPayload = z.infer<typeof CursorPayload>;

export const TypingPayload = z.strictObject({ conversationId: Id, typing: z.boolean() });
export type TypingPayload = z.infer<typeof TypingPayload>;

/**
 * A new body for an edit: send's rules, except that it may be empty (only a message with
 * attachments may be left without text; the use case decides).
 */
export const EditedBody = PlainText(Text({ trim: true, max: LIMITS.messageBodyMax })).refine(
  (v) => v === '' || hasVisibleCharacter(v),
  { message: 'must contain a visible character' },
);

/** One fully qualified emoji (modifiers and joiners included), nothing else. */
export const Emoji = Text({ min: 1, max: LIMITS.emojiMax }).refine((v) => isOneEmoji(v), {
  message: 'must be one emoji',
});

export const EditMessageInput = z
  .strictObject({ body: EditedBody })
  .meta({ id: 'EditMessageInput' });
export type EditMessageInput = z.infer<typeof EditMessageInput>;

export const ReactionParams = z.object({ id: DecimalInt(1), emoji: Emoji });
export type ReactionParams = z.infer<typeof ReactionParams>;

export const MessageEditPayload = z.strictObject({ messageId: Id, body: EditedBody });
export type MessageEditPayload = z.infer<typeof MessageEditPayload>;

export const MessageDeletePayload = z.strictObject({ messageId: Id });
export type MessageDeletePayload = z.infer<typeof MessageDeletePayload>;

export const ReactionSetPayload = z.strictObject({ messageId: Id, emoji: Emoji, on: z.boolean() });
export type ReactionSetPayload = z.infer<typeof ReactionSetPayload>;

export const MessagePinPayload = z.strictObject({ messageId: Id, pinned: z.boolean() });
export type MessagePinPayload = z.infer<typeof MessagePinPayload>;

export const ConversationSettingsInput = z
  .strictObject({ muted: z.boolean().optional(), notify: NotifyLevel.optional() })
  .meta({ id: 'ConversationSettingsInput' });
export type ConversationSettingsInput = z.infer<typeof ConversationSettingsInput>;
