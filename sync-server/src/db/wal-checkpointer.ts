// Checkpoints of the server's SQLite write-ahead log, off the event loop. By default SQLite
// checkpoints on the commit that grows the WAL past 1,000 pages (4 MiB): that commit's thread copies
// the WAL's pages into the database file and syncs it to disk, tens to hundreds of milliseconds on
// a shared disk. In the server that thread is the event loop (every request waits meanwhile), or a
// trace's worker storing its contacts (360,000 contacts, ≈ 140 MiB of WAL: ≈ 36 checkpoints, about
// half of the time it took to store them).
//
// Here a worker thread with its own connection runs a PASSIVE checkpoint every `intervalMs`
// (PASSIVE never waits for readers or writers: it copies what it can, and the writers keep
// appending). The server's connections keep SQLite's automatic checkpoint only as a backstop at
// `BACKSTOP_PAGES`, in case this worker cannot keep up; a worker that fails gives the server back
// SQLite's default.
import { Worker } from 'node:worker_threads';
import type { Db } from './open-database.js';
import { workerEntry } from '../worker-entry.js';

/** SQLite's automatic checkpoint threshold, pages (its default). */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;
/**
 * The automatic checkpoint threshold of connections that leave checkpoints to the worker: 16,384
 * pages (64 MiB of WAL), reached only when the worker falls behind.
 */
export const BACKSTOP_PAGES = 16_384;
/** How often the worker checkpoints, ms. */
export const CHECKPOINT_EVERY_MS = 1_000;

/** What the worker is started with. */
export interface WalCheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
}

/** What the worker tells the server. */
export type FromWalCheckpointer =
  | { readonly type: 'ready' }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

export interface WalCheckpointer {
  /** Checkpoints once more, then ends the worker; the server's connection gets SQLite's default back. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  readonly intervalMs?: number;
  /** Told when the worker failed (the server's connection then checkpoints by itself again). */
  readonly onError?: (err: Error) => void;
}

/**
 * Starts checkpointing `db`'s file in a worker thread; resolves once the worker has opened it.
 * `db` must be a file in WAL mode (not `:memory:`).
 */
export async function startWalCheckpointer(
  db: Db,
  opts: WalCheckpointerOptions = {},
): Promise<WalCheckpointer> {
  if (db.memory) throw new Error('an in-memory database has no write-ahead log to checkpoint');
  const data: WalCheckpointerData = { file: db.name, intervalMs: opts.intervalMs ?? CHECKPOINT_EVERY_MS };
  const worker = new Worker(workerEntry(import.meta.url, 'wal-checkpoint-worker'), { workerData: data });
  let stopping = false;
  let failed = false;
  const fallBack = (err: Error): void => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    if (!stopping && !failed) opts.onError?.(err);
    failed = true;
  };
  const ended = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopping) fallBack(new Error(`the WAL checkpoint worker ended (exit code ${code})`));
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromWalCheckpointer) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'failed') {
        const err = new Error(`WAL checkpoint: ${m.message}`);
        reject(err);
        fallBack(err);
      }
    });
    worker.once('error', (err) => {
      reject(err);
      fallBack(err);
    });
  });
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  return {
    async stop() {
      if (stopping) return ended;
      stopping = true;
      if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      worker.postMessage('stop');
      await ended;
    },
  };
}
