import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** The worker's code: its own connection to the file, a PASSIVE checkpoint on a timer. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = ' + workerData.synchronous);
let failures = 0;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (err) {
    if (++failures === 1) parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. SQLite checkpoints in the committing
 * connection by default: every ~4 MB of WAL, one commit also copies those pages into the
 * database file and syncs it, a stall of tens of milliseconds on the thread that serves every
 * socket. Here the main connection never checkpoints (`wal_autocheckpoint = 0`, set by the
 * caller) and a worker thread with its own connection runs a PASSIVE checkpoint every
 * `intervalMs`, which never blocks the writer.
 */
export function startCheckpointer(opts: {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  intervalMs: number;
  onError: (message: string) => void;
}): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      file: opts.file,
      synchronous: opts.synchronous,
      intervalMs: opts.intervalMs,
    },
  });
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m.error) opts.onError(m.error);
  });
  worker.on('error', (err) => opts.onError(err.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.ref(); // keep the process alive until the last checkpoint is done
      worker.postMessage('stop');
      await exited;
    },
  };
}
