import { sql, type Kysely } from 'kysely';
import type { DatabaseKind } from '../../config.js';
import type { CodeMigration } from './helpers.js';

/**
 * Files in messages: the `files` table (avatars until now) also holds uploads. An upload is
 * the uploader's alone until a send attaches it (`message_id`, `position` in the message); until
 * then `expires_at` says when the sweeper removes it. Uploads have a display name, a thumbnail
 * (images) and no dimensions when they are not images, so `width` and `height` become nullable.
 */
export const attachments: CodeMigration = {
  async up(db: Kysely<unknown>, kind: DatabaseKind) {
    if (kind === 'sqlite') {
      // SQLite cannot drop NOT NULL in place: rebuild the table (nothing references it).
      await sql`create table files_new (
        id integer primary key autoincrement,
        owner_id bigint not null references users (id) on delete cascade,
        kind varchar(16) not null,
        mime varchar(64) not null,
        size bigint not null,
        sha256 varchar(64) not null,
        storage_key varchar(64) not null unique,
        width integer,
        height integer,
        created_at bigint not null
      )`.execute(db);
      await sql`insert into files_new (id, owner_id, kind, mime, size, sha256, storage_key, width, height, created_at)
        select id, owner_id, kind, mime, size, sha256, storage_key, width, height, created_at from files`.execute(
        db,
      );
      await sql`drop table files`.execute(db);
      await sql`alter table files_new rename to files`.execute(db);
      await db.schema.createIndex('files_owner_idx').on('files').column('owner_id').execute();
    } else if (kind === 'postgres') {
      await sql`alter table files alter column width drop not null, alter column height drop not null`.execute(
        db,
      );
    } else {
      await sql`alter table files modify width integer null, modify height integer null`.execute(
        db,
      );
    }

    const columns: Array<[string, 'bigint' | 'smallint' | 'varchar(64)' | 'varchar(255)']> = [
      ['message_id', 'bigint'],
      ['position', 'smallint'],
      ['name', 'varchar(255)'],
      ['thumb_key', 'varchar(64)'],
      ['expires_at', 'bigint'],
    ];
    for (const [name, type] of columns) {
      await db.schema
        .alterTable('files')
        .addColumn(name, type, (c) =>
          // SQLite takes a foreign key only inline; MariaDB ignores one written inline.
          name === 'message_id' && kind === 'sqlite'
            ? c.references('messages.id').onDelete('cascade')
            : c,
        )
        .execute();
    }
    // A message's files go with it when its conversation is deleted (their objects are removed
    // by the code that deletes it); a deleted message keeps its row as a tombstone, without files.
    if (kind !== 'sqlite') {
      await db.schema
        .alterTable('files')
        .addForeignKeyConstraint('files_message_fk', ['message_id'], 'messages', ['id'])
        .onDelete('cascade')
        .execute();
    }
    // A page of messages loads its attachments by message id.
    await db.schema
      .createIndex('files_message_idx')
      .on('files')
      .columns(['message_id', 'position'])
      .execute();
    // The sweeper finds uploads that were never attached, oldest first.
    await db.schema.createIndex('files_expires_idx').on('files').column('expires_at').execute();
  },
};
