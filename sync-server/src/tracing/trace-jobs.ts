// Traces run in the background on the server that accepted them (issue 15). The trace row is the
// job's state: progress is written as the engine goes, then the contacts and `done` in one
// transaction, or `failed` with the error. A running trace no server updated for
// `SERVER_LOST_MS` (its server stopped or crashed) is shown as failed, "server lost".
import { TRACE_SERVER_LOST } from '@checkpoint-lane/shared';
import type {
  TraceParams,
  TraceScansStore,
  TracesStore,
  TraceSummary,
  TraceWorkerSource,
} from '../db/store/traces-store.js';
import { nextTurn, runTrace } from './trace-engine.js';
import { runTraceInWorker } from './trace-thread.js';

/** A running trace not updated for this long lost its server. */
export const SERVER_LOST_MS = 120_000;
/** A running job writes its progress at least this often (also while one store call is slow). */
export const HEARTBEAT_MS = 30_000;
/** Progress is written at most this often (each write is a short transaction). */
export const PROGRESS_EVERY_MS = 1_000;
/**
 * Hop-1 contacts a 2-hop trace follows at most when the server is not told otherwise: about 50
 * index subjects at the model's density (≈ 400 contacts each). Hop 2 from 20,000 sources reads
 * ≈ 8 million neighbour scans and holds as many evidence pieces: minutes and about a GiB.
 */
export const DEFAULT_TRACE_HOP2_MAX = 20_000;
/** Longest error text stored with a failed trace. */
const MAX_ERROR_LENGTH = 300;

/** The error a stopped server leaves on the traces it was running. */
export const TRACE_SERVER_STOPPED = 'server stopped';

/** How a trace is shown: a running trace whose server stopped updating it has failed. */
export function traceAsSeen(t: TraceSummary, now: number): TraceSummary {
  if (t.status !== 'running' || now - t.updatedAt <= SERVER_LOST_MS) return t;
  return { ...t, status: 'failed', error: TRACE_SERVER_LOST };
}

export interface TraceJobsOptions {
  readonly scans: TraceScansStore;
  readonly traces: TracesStore;
  readonly clock: () => number;
  /** Told of a failed trace (its id and the error; no subject is in either). */
  readonly onError?: (id: string, err: unknown) => void;
  /** Index subjects per store call (default: the engine's). */
  readonly chunk?: number;
  readonly heartbeatMs?: number;
  /**
   * The database a worker thread opens to run each trace off the event loop (trace-thread.ts);
   * unset: traces run in this thread over `scans` and `traces`, yielding between store calls.
   */
  readonly worker?: TraceWorkerSource;
  /** The most hop-1 contacts a 2-hop trace's hop 2 starts from (default `DEFAULT_TRACE_HOP2_MAX`). */
  readonly maxHop2Sources?: number;
  readonly progressEveryMs?: number;
}

/** The traces this server runs. */
export class TraceJobs {
  readonly #running = new Map<string, Promise<void>>();
  #stopping = false;
  /** Aborted by `stop()`: running workers stop at their next progress or slice. */
  readonly #stopped = new AbortController();

  constructor(private readonly opts: TraceJobsOptions) {}

  /** Ids of the traces running here. */
  running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Runs a stored (running) trace in the background; answers at once. `done` resolves when the
   * job has finished, failed or stopped (tests wait on it; the routes do not).
   */
  start(id: string, params: TraceParams): { done: Promise<void> } {
    const done = this.#run(id, params).finally(() => this.#running.delete(id));
    this.#running.set(id, done);
    return { done };
  }

  /** Stops every job (each marked failed, "server stopped") and waits for them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    await Promise.allSettled([...this.#running.values()]);
  }

  async #run(id: string, params: TraceParams): Promise<void> {
    const { traces, clock } = this.opts;
    const progressEveryMs = this.opts.progressEveryMs ?? PROGRESS_EVERY_MS;
    let fraction = 0;
    let lastWrite = clock();
    // Set when a progress write finds the trace deleted.
    const state = { gone: false };
    // The heartbeat keeps `updatedAt` fresh while one chunk takes long (a dense checkpoint).
    const heartbeat = setInterval(() => {
      traces.progress(id, fraction, clock()).then(
        (kept) => {
          if (!kept) state.gone = true;
        },
        () => undefined,
      );
    }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    try {
      // Started from a request: let its answer go out first.
      await nextTurn();
      if (this.#stopped.signal.aborted) {
        // Stopped before it began: no worker is started.
        await traces.fail(id, TRACE_SERVER_STOPPED, clock());
        return;
      }
      const progress = async (f: number): Promise<boolean> => {
        fraction = f;
        if (state.gone || this.#stopping) return false;
        const now = clock();
        if (now - lastWrite < progressEveryMs && f < 1) return true;
        lastWrite = now;
        const kept = await traces.progress(id, f, now);
        if (!kept) state.gone = true;
        return kept;
      };
      const chunk = this.opts.chunk !== undefined ? { chunk: this.opts.chunk } : {};
      const maxHop2Sources = this.opts.maxHop2Sources ?? DEFAULT_TRACE_HOP2_MAX;
      let stopped: boolean;
      if (this.opts.worker !== undefined) {
        const outcome = await runTraceInWorker(this.opts.worker, id, params, {
          ...chunk,
          maxHop2Sources,
          progress,
          stopping: () => this.#stopping || state.gone,
          finishAt: clock,
          signal: this.#stopped.signal,
        });
        stopped = outcome.kind === 'stopped';
        // SQLite: the server's connection stores what the worker found (the file's one writer).
        if (outcome.kind === 'found' && !state.gone && !this.#stopping)
          await traces.finish(id, outcome.contacts, clock(), outcome.hop2Skipped);
        else if (outcome.kind === 'found') stopped = true;
      } else {
        let hop2Skipped: number | null = null;
        const contacts = await runTrace(this.opts.scans, params, {
          ...chunk,
          progress,
          maxHop2Sources,
          onHop2Skipped: (limit) => {
            hop2Skipped = limit;
          },
        });
        stopped = contacts === null;
        if (contacts !== null) await traces.finish(id, contacts, clock(), hop2Skipped);
      }
      // Deleted meanwhile (nothing to keep), or this server is stopping.
      if (stopped && this.#stopping && !state.gone) await traces.fail(id, TRACE_SERVER_STOPPED, clock());
    } catch (err) {
      this.opts.onError?.(id, err);
      const message = err instanceof Error ? err.message : String(err);
      await traces
        .fail(id, `the trace failed: ${message}`.slice(0, MAX_ERROR_LENGTH), clock())
        .catch((e: unknown) => this.opts.onError?.(id, e));
    } finally {
      clearInterval(heartbeat);
    }
  }
}
