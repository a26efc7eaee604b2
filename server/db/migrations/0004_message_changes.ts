import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import { createTable, type CodeMigration } from './helpers.js';

/**
 * Messages that change after they are sent: a per-conversation change counter
 * (`conversations.last_version`, stamped on a message as `version` by each creation, edit,
 * deletion, reaction or pin change), tombstones, replies, pins and reactions.
 */
export const messageChanges: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    await db.schema
      .alterTable('conversations')
      .addColumn('last_version', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    const columns: Array<[string, 'bigint']> = [
      ['version', 'bigint'],
      ['deleted_at', 'bigint'],
      ['reply_to_id', 'bigint'],
      ['pinned_by', 'bigint'],
      ['pinned_at', 'bigint'],
    ];
    for (const [name, type] of columns) {
      await db.schema
        .alterTable('messages')
        .addColumn(name, type, (c) => (name === 'version' ? c.notNull().defaultTo(0) : c))
        .execute();
    }
    // Until now only creations happened, in seq order: each message's version is its seq.
    await sql`update messages set version = seq`.execute(db);
    await sql`update conversations set last_version = last_seq`.execute(db);
    // The change stream of a conversation is a keyset scan by version (one message per version).
    await db.schema
      .createIndex('messages_conversation_version_uq')
      .on('messages')
      .columns(['conversation_id', 'version'])
      .unique()
      .execute();
    // Replies of a message, whose excerpt changes with it.
    await db.schema
      .createIndex('messages_reply_to_idx')
      .on('messages')
      .column('reply_to_id')
      .execute();
    // Pinned messages of a conversation, latest pin first.
    await db.schema
      .createIndex('messages_pinned_idx')
      .on('messages')
      .columns(['conversation_id', 'pinned_at'])
      .execute();

    await createTable(db, kind, 'reactions')
      .addColumn('message_id', 'bigint', (c) =>
        c.notNull().references('messages.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('emoji', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('reactions_message_user_emoji_uq')
      .on('reactions')
      .columns(['message_id', 'user_id', 'emoji'])
      .unique()
      .execute();
  },
};
