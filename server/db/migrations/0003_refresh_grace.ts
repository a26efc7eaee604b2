import type { Kysely } from 'kysely';
import type { CodeMigration } from './helpers.js';

/**
 * When a session's refresh token last rotated: the previous generation stays good for a short
 * grace after it, so two tabs refreshing at once do not end the session.
 */
export const refreshGrace: CodeMigration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('refresh_rotated_at', 'bigint').execute();
  },
};
