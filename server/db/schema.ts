import type { ColumnType, Generated } from 'kysely';

/** Times are stored as milliseconds since the epoch (BIGINT) on every database. */
export type Millis = number;
/** Booleans are stored as 0/1 on every database. */
export type Flag = number;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  username_key: string;
  email: string;
  email_key: string;
  password_hash: string;
  display_name: string;
  bio: string;
  avatar_key: string | null;
  is_active: Flag;
  is_admin: Flag;
  created_at: Millis;
  last_seen_at: Millis | null;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  refresh_salt: string;
  refresh_gen: number;
  /** When refresh_gen last moved up; null before the first refresh. */
  refresh_rotated_at: Millis | null;
  remember: Flag;
  created_at: Millis;
  last_active_at: Millis;
  expires_at: Millis;
  revoked_at: Millis | null;
  user_agent: string | null;
  ip: string | null;
}

/** Stored files: avatars (kind 'avatar') and uploads for messages (kind 'attachment'). */
export interface FilesTable {
  id: Generated<number>;
  owner_id: number;
  kind: string;
  mime: string;
  /** Bytes of the stored object (for an image, its re-encoded copy). */
  size: number;
  sha256: string;
  /** Avatars: the key their renditions share; uploads: the object key of the stored file. */
  storage_key: string;
  /** Pixels of an image; null for other files. */
  width: number | null;
  height: number | null;
  created_at: Millis;
  /** The message an upload is attached to; null until a send attaches it. */
  message_id: ColumnType<number | null, number | null | undefined>;
  /** Its place among the message's attachments (0-based). */
  position: ColumnType<number | null, number | null | undefined>;
  /** The uploader's file name, for display only. */
  name: ColumnType<string | null, string | null | undefined>;
  /** The object key of an image's thumbnail. */
  thumb_key: ColumnType<string | null, string | null | undefined>;
  /** When an upload that is still unattached is removed; null once attached (and for avatars). */
  expires_at: ColumnType<Millis | null, Millis | null | undefined>;
}

export interface ConversationsTable {
  id: Generated<number>;
  kind: 'direct' | 'group';
  name: string | null;
  topic: string | null;
  is_private: Flag;
  created_by: number | null;
  created_at: Millis;
  last_seq: number;
  /** The change counter: each creation, edit, deletion, reaction or pin change raises it. */
  last_version: Generated<number>;
  last_message_at: Millis;
  direct_key: string | null;
}

export interface MembersTable {
  conversation_id: number;
  user_id: number;
  role: 'owner' | 'admin' | 'member';
  joined_at: Millis;
  delivered_seq: number;
  read_seq: number;
  muted: Flag;
  /** What the member wants to be notified of: 'all', 'mentions' or 'none'. */
  notify: ColumnType<'all' | 'mentions' | 'none', 'all' | 'mentions' | 'none' | undefined>;
}

/**
 * The search index (migration 0006). Its columns differ by database: SQLite's FTS5 table has
 * `rowid` (the message id) and `words`; PostgreSQL `message_id` and `vector` (a tsvector);
 * MariaDB `message_id` and `words` under a FULLTEXT index.
 */
export interface MessageSearchTable {
  rowid: ColumnType<number, number | undefined, never>;
  message_id: ColumnType<number, number | undefined, never>;
  words: ColumnType<string, string | undefined, string>;
  vector: ColumnType<string, string | undefined, string>;
}

export interface MentionsTable {
  message_id: number;
  user_id: number;
  /** Order of first appearance in the message (0-based). */
  position: number;
}

export interface MessagesTable {
  id: Generated<number>;
  conversation_id: number;
  seq: number;
  sender_id: number;
  client_id: string | null;
  kind: 'text' | 'system';
  body: string;
  /** JSON text. */
  meta: string | null;
  created_at: Millis;
  edited_at: Millis | null;
  /** The conversation's change counter when this message last changed (0 before v1.1 data). */
  version: Generated<number>;
  deleted_at: Millis | null;
  reply_to_id: number | null;
  pinned_by: number | null;
  pinned_at: Millis | null;
}

export interface ReactionsTable {
  id: Generated<number>;
  message_id: number;
  user_id: number;
  emoji: string;
  created_at: Millis;
}

/** Settings an admin changes at run time, by name (e.g. `registration_mode`). */
export interface SettingsTable {
  name: string;
  value: string;
  updated_at: Millis;
}

/** Invite links: each lets `max_uses` people sign up until `expires_at`, unless revoked. */
export interface InvitesTable {
  id: Generated<number>;
  token: string;
  created_by: number | null;
  created_at: Millis;
  expires_at: Millis;
  max_uses: number;
  uses: ColumnType<number, number | undefined, number>;
  revoked_at: Millis | null;
}

/** Password reset links, by the SHA-256 of their token (the token itself is never stored). */
export interface PasswordResetsTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  /** The address (lower-cased) the link went to: it stops working if the account's changes. */
  sent_to: string;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  files: FilesTable;
  conversations: ConversationsTable;
  members: MembersTable;
  reactions: ReactionsTable;
  mentions: MentionsTable;
  message_search: MessageSearchTable;
  messages: MessagesTable;
  password_resets: PasswordResetsTable;
  settings: SettingsTable;
  invites: InvitesTable;
}
