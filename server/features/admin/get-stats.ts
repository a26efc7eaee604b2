import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ServerStats } from '../../../protocol/schemas/admin.js';
import type { Actor, Deps } from '../../context.js';
import { requireServerAdmin } from './admin.policy.js';
import {
  countConversations,
  countMessages,
  countUsers,
  databaseSize,
  fileTotals,
} from './stats.queries.js';

/** Bytes of SQLite's write-ahead log beside the database file (see db/database.ts), 0 if none. */
async function walBytes(dataDir: string): Promise<number> {
  try {
    return (await stat(path.join(dataDir, 'parley.db-wal'))).size;
  } catch {
    return 0;
  }
}

/** The server's figures for the admin console: accounts, chats, sockets, storage. */
export async function getStats(deps: Deps, actor: Actor): Promise<ServerStats> {
  requireServerAdmin(actor);
  const [users, conversations, messages, files, dbSize, wal, online] = await Promise.all([
    countUsers(deps.db),
    countConversations(deps.db),
    countMessages(deps.db),
    fileTotals(deps.db),
    databaseSize(deps.db, deps.dbKind),
    deps.dbKind === 'sqlite' ? walBytes(deps.config.dataDir) : Promise.resolve(0),
    deps.presence.onlineCounts(),
  ]);
  return {
    users: { ...users, inactive: users.total - users.active },
    conversations: { total: conversations.direct + conversations.groups, ...conversations },
    messages,
    online,
    database: { kind: deps.dbKind, sizeBytes: dbSize + wal },
    files,
  };
}
