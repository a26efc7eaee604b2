import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { createTable, type CodeMigration } from './helpers.js';

/** Conversations, their members with receipt cursors, and messages with a per-conversation seq. */
export const conversations: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    await createTable(db, kind, 'conversations')
      .addColumn('kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)')
      .addColumn('topic', 'varchar(1000)')
      .addColumn('is_private', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_message_at', 'bigint', (c) => c.notNull())
      // "<low user id>:<high user id>" for direct conversations: one per pair, by the database.
      .addColumn('direct_key', 'varchar(48)', (c) => c.unique())
      .execute();
    await db.schema
      .createIndex('conversations_public_idx')
      .on('conversations')
      .columns(['kind', 'is_private'])
      .execute();

    const members = db.schema
      .createTable('members')
      .addColumn('conversation_id', 'bigint', (c) =>
        c.notNull().references('conversations.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'varchar(8)', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('read_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('muted', 'smallint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('members_pk', ['conversation_id', 'user_id']);
    await (
      kind === 'mysql'
        ? members.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
        : members
    ).execute();
    await db.schema
      .createIndex('members_user_idx')
      .on('members')
      .columns(['user_id', 'conversation_id'])
      .execute();

    await createTable(db, kind, 'messages')
      .addColumn('conversation_id', 'bigint', (c) =>
        c.notNull().references('conversations.id').onDelete('cascade'),
      )
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('sender_id', 'bigint', (c) =>
        c.notNull().references('users.id').onDelete('cascade'),
      )
      .addColumn('client_id', 'varchar(64)')
      .addColumn('kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('meta', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('edited_at', 'bigint')
      .execute();
    // Keyset pagination by seq and the gap-free order: one row per (conversation, seq).
    await db.schema
      .createIndex('messages_conversation_seq_uq')
      .on('messages')
      .columns(['conversation_id', 'seq'])
      .unique()
      .execute();
    // Idempotent sends: a client id is used once per sender and conversation.
    await db.schema
      .createIndex('messages_client_uq')
      .on('messages')
      .columns(['sender_id', 'conversation_id', 'client_id'])
      .unique()
      .execute();
  },
};
