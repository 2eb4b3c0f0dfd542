// A trace in a worker thread (issue 15): the search runs on the worker's own database connection
// (SQLite: a second, read-only WAL connection to the server's file; PostgreSQL: a pool of its own),
// so the server's event loop only relays progress. A trace of 1,000 index subjects is seconds of
// synchronous SQLite reads and JavaScript matching: in the server's thread, every request would
// wait behind each slice of it.
//
// Storing the contacts: on PostgreSQL the worker stores them itself (one transaction, MVCC). On
// SQLite the worker hands them over, a slice per message, and the server's connection stores them
// (short transactions, the event loop turning between them): SQLite has one writer, and a second
// writing connection would make the server's own read-then-write transactions fail with
// SQLITE_BUSY_SNAPSHOT whenever the worker committed in between (seen: uploads refused, the trace
// failed with "database is locked").
//
// The worker tells its progress; the server writes it (as for a trace run in its own thread) and,
// when the trace is gone or the server stops, raises a flag in shared memory that the worker reads
// at its next progress.
import { Worker } from 'node:worker_threads';
import type { TraceParams, TraceWorkerSource } from '../db/store/traces-store.js';
import type { EngineContact } from './trace-engine.js';
import { workerEntry } from '../worker-entry.js';

/** The most heap a trace's worker may use, MiB (two run at once at most: `TRACES_AT_ONCE`). */
export const WORKER_HEAP_MB = 4_096;

/** What the worker is started with. */
export interface TraceWorkerData {
  readonly source: TraceWorkerSource;
  readonly id: string;
  readonly params: TraceParams;
  readonly chunk?: number;
  readonly maxHop2Sources: number;
  /** One Int32: set to 1 by the server to stop the trace. */
  readonly stop: SharedArrayBuffer;
}

/** What the worker tells the server. */
export type FromTraceWorker =
  | { readonly type: 'progress'; readonly fraction: number }
  /** SQLite: the found contacts, a slice at a time, for the server's connection to store. */
  | { readonly type: 'contacts'; readonly contacts: readonly EngineContact[] }
  | { readonly type: 'found'; readonly count: number; readonly hop2Skipped: number | null }
  | { readonly type: 'finished'; readonly stored: boolean }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

/** What the server tells the worker once its contacts are found. */
export type ToTraceWorker =
  | { readonly type: 'finish'; readonly at: number }
  /** SQLite: the next slice of contacts, please. */
  | { readonly type: 'more' }
  | { readonly type: 'stop' };

export interface TraceThreadHooks {
  /** Index subjects per store call (default: the engine's). */
  readonly chunk?: number;
  /** The most hop-1 contacts hop 2 starts from (see the engine's `maxHop2Sources`). */
  readonly maxHop2Sources: number;
  /** Told each fraction the worker reports, in order; false stops the trace. */
  readonly progress: (fraction: number) => Promise<boolean>;
  /** True when the trace must stop (the server is stopping). */
  readonly stopping: () => boolean;
  /** The finishing time the contacts are stored with. */
  readonly finishAt: () => number;
  /** Aborted when the server stops: the worker stops at its next progress or slice. */
  readonly signal?: AbortSignal;
}

/**
 * How a trace run in a worker ended: its contacts stored by the worker (PostgreSQL: `kept` false
 * when the trace was gone by then), found and handed over for the server to store (SQLite), or
 * stopped (the trace was deleted or the server is stopping).
 */
export type TraceThreadOutcome =
  | { readonly kind: 'stored'; readonly kept: boolean }
  | { readonly kind: 'found'; readonly contacts: EngineContact[]; readonly hop2Skipped: number | null }
  | { readonly kind: 'stopped' };

/**
 * Runs one stored (running) trace in a new worker thread: its search, then its contacts stored
 * with `finishAt()`. Rejects with the worker's error (its message names no subject).
 */
export function runTraceInWorker(
  source: TraceWorkerSource,
  id: string,
  params: TraceParams,
  hooks: TraceThreadHooks,
): Promise<TraceThreadOutcome> {
  const stop = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(stop);
  const raise = (): void => {
    Atomics.store(stopFlag, 0, 1);
  };
  const data: TraceWorkerData = {
    source,
    id,
    params,
    stop,
    maxHop2Sources: hooks.maxHop2Sources,
    ...(hooks.chunk !== undefined && { chunk: hooks.chunk }),
  };
  if (hooks.signal?.aborted === true) raise();
  hooks.signal?.addEventListener('abort', raise, { once: true });
  const worker = new Worker(workerEntry(import.meta.url, 'trace-worker'), {
    workerData: data,
    // A trace that outgrows this fails with the worker's out-of-memory error; the server lives on.
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  return new Promise<TraceThreadOutcome>((resolve, reject) => {
    let settled = false;
    const found: EngineContact[] = [];
    const settle = (end: () => void): void => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', raise);
      end();
      void worker.terminate();
    };
    // Progress is written one report at a time, in order (a slow write never reorders them).
    let writes = Promise.resolve();
    worker.on('message', (m: FromTraceWorker) => {
      switch (m.type) {
        case 'progress':
          if (hooks.stopping()) raise();
          writes = writes.then(async () => {
            if (Atomics.load(stopFlag, 0) === 1) return;
            try {
              if (!(await hooks.progress(m.fraction))) raise();
            } catch {
              // A failed progress write is not the trace's failure: the next one, or the
              // heartbeat, writes it again.
            }
          });
          return;
        case 'contacts':
          for (const c of m.contacts) found.push(c);
          // The next slice after a turn of the event loop: requests are served between slices.
          setImmediate(() => {
            const reply: ToTraceWorker =
              Atomics.load(stopFlag, 0) === 1 || hooks.stopping() ? { type: 'stop' } : { type: 'more' };
            worker.postMessage(reply);
          });
          return;
        case 'found':
          if (source.engine === 'sqlite') {
            settle(() => {
              resolve({ kind: 'found', contacts: found, hop2Skipped: m.hop2Skipped });
            });
            return;
          }
          void writes.then(() => {
            const stopNow = Atomics.load(stopFlag, 0) === 1 || hooks.stopping();
            const reply: ToTraceWorker = stopNow
              ? { type: 'stop' }
              : { type: 'finish', at: hooks.finishAt() };
            worker.postMessage(reply);
          });
          return;
        case 'finished':
          settle(() => {
            resolve({ kind: 'stored', kept: m.stored });
          });
          return;
        case 'stopped':
          settle(() => {
            resolve({ kind: 'stopped' });
          });
          return;
        case 'failed':
          settle(() => {
            reject(new Error(m.message));
          });
          return;
      }
    });
    worker.on('error', (err) => {
      settle(() => {
        reject(err);
      });
    });
    worker.on('exit', (code) => {
      settle(() => {
        reject(new Error(`the trace's worker thread ended (exit code ${code}) before its end`));
      });
    });
  });
}
