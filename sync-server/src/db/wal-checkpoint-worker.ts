// The worker of wal-checkpointer.ts: its own connection to the server's file, a PASSIVE checkpoint
// every `intervalMs`, and a last one when told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FromWalCheckpointer, WalCheckpointerData } from './wal-checkpointer.js';

const port = parentPort;
if (port === null) throw new Error('wal-checkpoint-worker.ts runs as a worker thread only');
const data = workerData as WalCheckpointerData;
const post = (m: FromWalCheckpointer): void => {
  port.postMessage(m);
};

try {
  const db = new Database(data.file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  // This connection never writes: it must not checkpoint on its own terms either.
  db.pragma('wal_autocheckpoint = 0');
  const checkpoint = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // SQLITE_BUSY (another checkpoint runs, e.g. the server's backstop): the next turn tries again.
    }
  };
  const timer = setInterval(checkpoint, data.intervalMs);
  port.on('message', (m) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    checkpoint();
    db.close();
    post({ type: 'stopped' });
    port.close();
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  port.close();
}
