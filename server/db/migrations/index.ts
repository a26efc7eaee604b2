import { accounts } from './0001_accounts.js';
import type { CodeMigration } from './helpers.js';

/** Every migration, in order; names sort lexically, so keep the numeric prefix. */
export const migrations: Record<string, CodeMigration> = {
  '0001_accounts': accounts,
};
