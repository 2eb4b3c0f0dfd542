// The worker thread a trace runs in (see trace-thread.ts): it opens its own connection to the
// server's database, runs the engine over it without yielding (nothing else runs in this thread),
// reports progress, then stores the contacts with the finishing time the server gives (PostgreSQL)
// or hands them to the server to store (SQLite).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from '../db/open-database.js';
import { openPg } from '../db/pg/open-pg.js';
import { PgTraceScansStore, PgTracesStore } from '../db/pg/stores/pg-traces.js';
import { SqliteTraceScans } from '../db/repositories/traces-repository.js';
import { bySubjectKey } from '../db/store/trace-rows.js';
import type { TraceScansStore, TracesStore, TraceWorkerSource } from '../db/store/traces-store.js';
import { runTrace } from './trace-engine.js';
import type { FromTraceWorker, ToTraceWorker, TraceWorkerData } from './trace-thread.js';

/**
 * Page cache of the worker's SQLite connection, KiB (negative: PRAGMA cache_size's unit). A trace
 * reads its scans' windows across the whole file; the connection and its cache last one trace.
 */
const WORKER_SQLITE_CACHE_KIB = 262_144;

/** Contacts per message when the server stores them (a few ms of cloning on its thread each). */
const HAND_OVER_SLICE = 2_000;

interface Opened {
  readonly scans: TraceScansStore;
  /** Null: the server stores the contacts (SQLite). */
  readonly traces: TracesStore | null;
  close(): Promise<void>;
}

async function open(source: TraceWorkerSource): Promise<Opened> {
  if (source.engine === 'sqlite') {
    // Read-only: the server's connection is the file's one writer (see trace-thread.ts).
    const db = new Database(source.file, { readonly: true, fileMustExist: true });
    configureConnection(db);
    db.pragma(`cache_size = -${WORKER_SQLITE_CACHE_KIB}`);
    return {
      scans: new SqliteTraceScans(db),
      traces: null,
      close: () => {
        db.close();
        return Promise.resolve();
      },
    };
  }
  // One connection reads while the engine matches; a second is spare for a progress-free finish.
  const pool = await openPg({
    url: source.url,
    max: 2,
    applicationName: 'checkpoint-server trace',
    ...(source.statementTimeoutMs !== undefined && { statementTimeoutMs: source.statementTimeoutMs }),
  });
  return {
    scans: new PgTraceScansStore(pool),
    traces: new PgTracesStore(pool),
    close: () => pool.end(),
  };
}

const port = parentPort;
if (port === null) throw new Error('trace-worker.ts runs as a worker thread only');
const data = workerData as TraceWorkerData;
const stopFlag = new Int32Array(data.stop);
const post = (m: FromTraceWorker): void => {
  port.postMessage(m);
};

/** The server's messages, in order, each taken once (`next`). */
const inbox: ToTraceWorker[] = [];
let waiting: ((m: ToTraceWorker) => void) | null = null;
port.on('message', (m: ToTraceWorker) => {
  if (waiting === null) inbox.push(m);
  else {
    const w = waiting;
    waiting = null;
    w(m);
  }
});
const next = (): Promise<ToTraceWorker> => {
  const m = inbox.shift();
  if (m !== undefined) return Promise.resolve(m);
  return new Promise((resolve) => (waiting = resolve));
};

/** Runs the trace; answers the last message, posted once the connection is closed. */
async function run(): Promise<FromTraceWorker> {
  const opened = await open(data.source);
  try {
    let hop2Skipped: number | null = null;
    const contacts = await runTrace(opened.scans, data.params, {
      ...(data.chunk !== undefined && { chunk: data.chunk }),
      maxHop2Sources: data.maxHop2Sources,
      onHop2Skipped: (limit) => {
        hop2Skipped = limit;
      },
      progress: (fraction) => {
        post({ type: 'progress', fraction });
        return Promise.resolve(Atomics.load(stopFlag, 0) === 0);
      },
      // Nothing else runs in this thread: no turn to give.
      yieldTurn: () => Promise.resolve(),
    });
    if (contacts === null) return { type: 'stopped' };
    if (opened.traces === null) {
      // Handed over a slice at a time, the next one when the server asks for it: each is cloned
      // on the server's thread, and Node delivers queued messages in one go.
      // In the order the server stores them (its sort of an already sorted list is one pass).
      const sorted = bySubjectKey(contacts);
      const count = sorted.length;
      contacts.length = 0;
      // Each slice leaves this thread's list once posted (cloned): the contacts are not held twice
      // over by the end of the handover.
      while (sorted.length > 0) {
        post({ type: 'contacts', contacts: sorted.splice(0, HAND_OVER_SLICE) });
        if ((await next()).type === 'stop') return { type: 'stopped' };
      }
      return { type: 'found', count, hop2Skipped };
    }
    post({ type: 'found', count: contacts.length, hop2Skipped });
    const answer = await next();
    if (answer.type !== 'finish') return { type: 'stopped' };
    return {
      type: 'finished',
      stored: await opened.traces.finish(data.id, contacts, answer.at, hop2Skipped),
    };
  } finally {
    // A failure to close (a pool ending badly) does not undo what was stored.
    await opened.close().catch(() => undefined);
  }
}

run().then(post, (err: unknown) => {
  // The message only: the engine's and the stores' errors name no subject.
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
});
