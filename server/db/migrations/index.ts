import { accounts } from './0001_accounts.js';
import { conversations } from './0002_conversations.js';
import { refreshGrace } from './0003_refresh_grace.js';
import { messageChanges } from './0004_message_changes.js';
import { mentions } from './0005_mentions.js';
import { search } from './0006_search.js';
import { attachments } from './0007_attachments.js';
import { leanSearch } from './0008_lean_search.js';
import { partialIndexes } from './0009_partial_indexes.js';
import { searchVocabulary } from './0010_search_vocabulary.js';
import { passwordResets } from './0011_password_resets.js';
import { registration } from './0012_registration.js';
import type { CodeMigration } from './helpers.js';

/** Every migration, in order; names sort lexically, so keep the numeric prefix. */
export const migrations: Record<string, CodeMigration> = {
  '0001_accounts': accounts,
  '0002_conversations': conversations,
  '0003_refresh_grace': refreshGrace,
  '0004_message_changes': messageChanges,
  '0005_mentions': mentions,
  '0006_search': search,
  '0007_attachments': attachments,
  '0008_lean_search': leanSearch,
  '0009_partial_indexes': partialIndexes,
  '0010_search_vocabulary': searchVocabulary,
  '0011_password_resets': passwordResets,
  '0012_registration': registration,
};
