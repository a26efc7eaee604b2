import type { Attachment, ReplyTo } from '../../../../protocol/schemas/conversations.js';

/** A message written here and not yet stored by the server, as kept on disk. */
export interface OutboxEntry {
  clientId: string;
  /** Whose message it is: a browser can be used by several people, one after another. */
  userId: number;
  conversationId: number;
  body: string;
  /** When it was written (ISO): shown with it, and the order in which it is sent. */
  createdAt: string;
  replyTo: ReplyTo | null;
  /** Its uploaded files (absent in entries kept before messages could carry files). */
  attachments?: Attachment[];
  /** Why the server refused it for good (shown with Retry and Delete), else null. */
  failed: string | null;
}

/**
 * The messages on their way, kept in IndexedDB so that they survive a reload, a crash and a
 * browser restart; each is removed once the server has it. Every method settles (errors are
 * swallowed): a browser without IndexedDB (some private modes) keeps them in memory only.
 */
export interface Outbox {
  /** This user's messages, in the order they were written. */
  load(userId: number): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  remove(clientId: string): Promise<void>;
  /** Forgets everything of one user (they signed out on purpose). */
  clear(userId: number): Promise<void>;
}

const DB_NAME = 'parley';
const STORE = 'outbox';

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDb(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore(STORE, { keyPath: 'clientId' });
      store.createIndex('userId', 'userId');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB cannot be opened'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked'));
  });
}

const byTime = (a: OutboxEntry, b: OutboxEntry) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;

/** An outbox in memory (no IndexedDB here). */
export function memoryOutbox(): Outbox {
  const held = new Map<string, OutboxEntry>();
  return {
    load: async (userId) => [...held.values()].filter((e) => e.userId === userId).sort(byTime),
    put: async (e) => void held.set(e.clientId, { ...e }),
    remove: async (id) => void held.delete(id),
    clear: async (userId) => {
      for (const [id, e] of held) if (e.userId === userId) held.delete(id);
    },
  };
}

/** The outbox in this browser's IndexedDB (in memory where there is none). */
export function openOutbox(factory: IDBFactory | undefined = globalThis.indexedDB): Outbox {
  if (!factory) return memoryOutbox();
  let db: Promise<IDBDatabase> | null = null;
  const fallback = memoryOutbox();
  // Opened on first use; a failure (storage disabled) falls back to memory for the page.
  const use = async <T>(
    run: (db: IDBDatabase) => Promise<T>,
    instead: () => Promise<T>,
  ): Promise<T> => {
    try {
      db ??= openDb(factory);
      return await run(await db);
    } catch {
      return instead();
    }
  };
  return {
    load: (userId) =>
      use(
        (d) =>
          new Promise<OutboxEntry[]>((resolve, reject) => {
            const req = d
              .transaction(STORE, 'readonly')
              .objectStore(STORE)
              .index('userId')
              .getAll(userId);
            req.onsuccess = () => resolve((req.result as OutboxEntry[]).sort(byTime));
            req.onerror = () => reject(req.error ?? new Error('IndexedDB read failed'));
          }),
        () => fallback.load(userId),
      ),
    put: (entry) =>
      use(
        (d) => {
          const tx = d.transaction(STORE, 'readwrite');
          tx.objectStore(STORE).put(entry);
          return done(tx);
        },
        () => fallback.put(entry),
      ),
    remove: (clientId) =>
      use(
        (d) => {
          const tx = d.transaction(STORE, 'readwrite');
          tx.objectStore(STORE).delete(clientId);
          return done(tx);
        },
        () => fallback.remove(clientId),
      ),
    clear: (userId) =>
      use(
        (d) => {
          const tx = d.transaction(STORE, 'readwrite');
          const cursor = tx.objectStore(STORE).index('userId').openCursor(userId);
          cursor.onsuccess = () => {
            if (!cursor.result) return;
            cursor.result.delete();
            cursor.result.continue();
          };
          return done(tx);
        },
        () => fallback.clear(userId),
      ),
  };
}
