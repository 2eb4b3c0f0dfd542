// Traces in a worker thread (trace-thread.ts, trace-worker.ts) over a real SQLite file and a real
// PostgreSQL database: the worker finds the same contacts as a trace run in the server's thread
// (stored by the server's connection on SQLite, its one writer; by the worker on PostgreSQL),
// never reading through the server's own stores (they are broken here, so a
// trace that used them would fail); a stopping server and a deleted trace stop the worker; a
// worker that cannot open its database leaves the trace failed with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { pgUnavailable, useTestDatabase } from '../db/pg/pg-database.testkit.js';
import { PG_MIGRATIONS } from '../db/pg/pg-migrations.js';
import { runPgMigrations } from '../db/pg/pg-migrate.js';
import { openPgStore } from '../db/pg/pg-store.js';
import { openSqliteStore, type OpenedStore } from '../db/store/sqlite-store.js';
import type { TraceParams, TraceScansStore, TraceWorkerSource } from '../db/store/traces-store.js';
import { TRACE_SERVER_STOPPED, TraceJobs } from './trace-jobs.js';
import {
  addStoryLanes,
  keyOf,
  STORY_FROM,
  STORY_TO,
  T0,
  traceStory,
  uploadStory,
  WHO,
} from './trace-story.testkit.js';

// Each case starts worker threads (from source: through tsx, about a second each) and, on
// PostgreSQL, opens pools: more than the default 5 s on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const INDEX_KEY = Buffer.alloc(32, 5);
const NOW = T0 + 2 * 86_400_000;
const params: TraceParams = {
  indexKeys: [keyOf(INDEX_KEY, WHO.f0a), keyOf(INDEX_KEY, WHO.f0b)],
  from: STORY_FROM,
  to: STORY_TO,
  windowMinutes: 15,
  hops: 2,
};

/** Scans the server's thread must not read when traces run in a worker. */
const broken: TraceScansStore = {
  scansOfSubjects: () => Promise.reject(new Error('read in the server thread')),
  scansNear: () => Promise.reject(new Error('read in the server thread')),
  scansInVehicles: () => Promise.reject(new Error('read in the server thread')),
  eraseSubjectsBefore: () => Promise.reject(new Error('read in the server thread')),
};

async function created(store: OpenedStore, id: string): Promise<void> {
  await store.traces.create({ id, createdAt: NOW, createdBy: 'test', params, indexSeals: new Map() });
}

/** Every stored contact of a trace, as the routes read them. */
async function allContacts(store: OpenedStore, id: string): Promise<unknown[]> {
  return (await store.traces.contacts(id, { offset: 0, limit: 1000 })).contacts;
}

function workerCases(
  open: () => Promise<{ store: OpenedStore; source: TraceWorkerSource }>,
  /** Who stores the contacts: the server's connection (SQLite, its one writer) or the worker. */
  storedBy: 'server' | 'worker',
): void {
  it('finds and stores in the worker the contacts the server thread finds', async () => {
    const { store, source } = await open();
    // The same chunk both ways: a subject's seal is the first of its scans' seals found.
    const here = new TraceJobs({ scans: store.traceScans, traces: store.traces, clock: () => NOW, chunk: 1 });
    await created(store, 'here');
    await here.start('here', params).done;
    const progress: number[] = [];
    let finishedHere = 0;
    const inWorker = new TraceJobs({
      scans: broken,
      traces: {
        ...store.traces,
        create: (t) => store.traces.create(t),
        progress: (id, p, at) => {
          progress.push(p);
          return store.traces.progress(id, p, at);
        },
        finish: (...a) => {
          finishedHere++;
          return store.traces.finish(...a);
        },
        fail: (...a) => store.traces.fail(...a),
        get: (id) => store.traces.get(id),
        list: (n) => store.traces.list(n),
        contacts: (...a) => store.traces.contacts(...a),
        seals: (...a) => store.traces.seals(...a),
        delete: (id) => store.traces.delete(id),
      },
      clock: () => NOW + 5,
      chunk: 1,
      progressEveryMs: 0,
      worker: source,
    });
    await created(store, 'worker');
    await inWorker.start('worker', params).done;
    const t = await store.traces.get('worker');
    expect(t).toMatchObject({
      status: 'done',
      progress: 1,
      error: null,
      finishedAt: NOW + 5,
      hop2Skipped: null,
    });
    expect(t?.contactCount).toBe((await store.traces.get('here'))?.contactCount);
    expect(t?.contactCount).toBeGreaterThan(4);
    expect(await allContacts(store, 'worker')).toEqual(await allContacts(store, 'here'));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
    expect(inWorker.running()).toEqual([]);
    expect(finishedHere).toBe(storedBy === 'server' ? 1 : 0);
  });

  it('keeps hop 1 and stores the limit when hop 2 would start from too many contacts', async () => {
    const { store, source } = await open();
    const jobs = new TraceJobs({
      scans: broken,
      traces: store.traces,
      clock: () => NOW,
      maxHop2Sources: 1,
      worker: source,
    });
    await created(store, 'capped');
    await jobs.start('capped', params).done;
    const t = await store.traces.get('capped');
    expect(t).toMatchObject({ status: 'done', hop2Skipped: 1 });
    const contacts = (await store.traces.contacts('capped', { offset: 0, limit: 1000 })).contacts;
    expect(contacts.length).toBeGreaterThan(1);
    expect(contacts.every((c) => c.hop === 1)).toBe(true);
  });

  it('stops the worker when the server stops, and when the trace is deleted', async () => {
    const { store, source } = await open();
    const jobs = new TraceJobs({
      scans: broken,
      traces: store.traces,
      clock: () => NOW,
      progressEveryMs: 0,
      worker: source,
    });
    await created(store, 'deleted');
    const deleted = jobs.start('deleted', params);
    expect(await store.traces.delete('deleted')).toBe(true);
    await deleted.done;
    expect(await store.traces.get('deleted')).toBeNull();
    expect(await allContacts(store, 'deleted')).toEqual([]);

    await created(store, 'stopped');
    const stopped = jobs.start('stopped', params);
    await jobs.stop();
    await stopped.done;
    expect(await store.traces.get('stopped')).toMatchObject({
      status: 'failed',
      error: TRACE_SERVER_STOPPED,
      contactCount: null,
    });
  });
}

describe('a trace in a worker thread [sqlite]', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trace-thread-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const open = async (): Promise<{ store: OpenedStore; source: TraceWorkerSource }> => {
    const file = join(dir, `server-${++n}.db`);
    const store = openSqliteStore(openDatabase(file), { indexKey: INDEX_KEY, clock: () => NOW });
    await addStoryLanes(store, T0 - 86_400_000);
    await uploadStory(store, traceStory(), NOW);
    if (store.traceWorker === undefined) throw new Error('a SQLite file store names its worker source');
    return { store, source: store.traceWorker };
  };
  workerCases(open, 'server');

  it('leaves the trace failed, with the reason, when the worker cannot open the database', async () => {
    const { store } = await open();
    const errors: string[] = [];
    const jobs = new TraceJobs({
      scans: broken,
      traces: store.traces,
      clock: () => NOW,
      worker: { engine: 'sqlite', file: join(dir, 'no-such.db') },
      onError: (id, err) => errors.push(`${id}: ${(err as Error).message}`),
    });
    await created(store, 'nodb');
    await jobs.start('nodb', params).done;
    const t = await store.traces.get('nodb');
    expect(t?.status).toBe('failed');
    expect(t?.error).toMatch(/^the trace failed: .*(directory does not exist|unable to open)/);
    expect(errors).toHaveLength(1);
  });

  it('names no worker for an in-memory database (traces run in the server thread)', () => {
    const store = openSqliteStore(openDatabase(':memory:'), { indexKey: INDEX_KEY, clock: () => NOW });
    expect(store.traceWorker).toBeUndefined();
  });
});

const pgSkip = await pgUnavailable();
describe.skipIf(pgSkip !== null)('a trace in a worker thread [postgres]', () => {
  const database = useTestDatabase();
  let migrated = false;
  const open = async (): Promise<{ store: OpenedStore; source: TraceWorkerSource }> => {
    const db = database();
    const pool = await db.open({ max: 4 });
    if (!migrated) await runPgMigrations(pool, PG_MIGRATIONS);
    migrated = true;
    // One database for the file: each case's traces have their own ids; the story's scans are
    // uploaded once (a second upload of the same records stores nothing new).
    const store = await openPgStore(pool, {
      indexKey: INDEX_KEY,
      clock: () => NOW,
      closePool: false,
      databaseUrl: db.url,
    });
    await addStoryLanes(store, T0 - 86_400_000).catch(() => undefined);
    await uploadStory(store, traceStory(), NOW);
    if (store.traceWorker === undefined)
      throw new Error('a store opened with its URL names its worker source');
    return { store, source: store.traceWorker };
  };
  workerCases(open, 'worker');
});
