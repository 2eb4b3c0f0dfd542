// Trace jobs over the real SQLite stores: a trace runs to done with its progress stored; a failing
// read leaves it failed with the error; a deleted trace stops; a stopping server marks its running
// traces failed; a running trace nobody updated for 2 minutes is seen as failed, "server lost".
import { TRACE_SERVER_LOST } from '@checkpoint-lane/shared';
import { expect, it } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { openSqliteStore, type OpenedStore } from '../db/store/sqlite-store.js';
import type { TraceParams, TraceScansStore, TracesStore } from '../db/store/traces-store.js';
import { SERVER_LOST_MS, TRACE_SERVER_STOPPED, TraceJobs, traceAsSeen } from './trace-jobs.js';
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

const INDEX_KEY = Buffer.alloc(32, 5);
const NOW = T0 + 2 * 86_400_000;

async function storyStore(): Promise<OpenedStore> {
  const store = openSqliteStore(openDatabase(':memory:'), { indexKey: INDEX_KEY, clock: () => NOW });
  await addStoryLanes(store, T0 - 86_400_000);
  await uploadStory(store, traceStory(), NOW);
  return store;
}

const params: TraceParams = {
  indexKeys: [keyOf(INDEX_KEY, WHO.f0a), keyOf(INDEX_KEY, WHO.f0b)],
  from: STORY_FROM,
  to: STORY_TO,
  windowMinutes: 15,
  hops: 2,
};

async function created(store: OpenedStore, id: string): Promise<void> {
  await store.traces.create({ id, createdAt: NOW, createdBy: 'test', params, indexSeals: new Map() });
}

it('runs a trace to done, its progress stored on the way', async () => {
  const store = await storyStore();
  const seen: number[] = [];
  const t0 = store.traces;
  const traces: TracesStore = {
    create: (t) => t0.create(t),
    progress: (id, p, at) => {
      seen.push(p);
      return t0.progress(id, p, at);
    },
    finish: (...a) => t0.finish(...a),
    fail: (...a) => t0.fail(...a),
    get: (id) => t0.get(id),
    list: (n) => t0.list(n),
    contacts: (...a) => t0.contacts(...a),
    seals: (...a) => t0.seals(...a),
    delete: (id) => t0.delete(id),
  };
  const jobs = new TraceJobs({
    scans: store.traceScans,
    traces,
    clock: () => NOW,
    chunk: 1,
    progressEveryMs: 0,
  });
  await created(store, 't1');
  await jobs.start('t1', params).done;
  const t = await store.traces.get('t1');
  expect(t).toMatchObject({ status: 'done', progress: 1, error: null });
  expect(t?.contactCount).toBeGreaterThan(4);
  expect(seen.length).toBeGreaterThan(2);
  expect(seen.at(-1)).toBe(1);
  expect(jobs.running()).toEqual([]);
});

it('stores a failing read as failed, with the error', async () => {
  const store = await storyStore();
  const broken: TraceScansStore = {
    scansOfSubjects: (...a) => store.traceScans.scansOfSubjects(...a),
    scansNear: () => Promise.reject(new Error('disk I/O error')),
    scansInVehicles: (...a) => store.traceScans.scansInVehicles(...a),
    eraseSubjectsBefore: (...a) => store.traceScans.eraseSubjectsBefore(...a),
  };
  const errors: string[] = [];
  const jobs = new TraceJobs({
    scans: broken,
    traces: store.traces,
    clock: () => NOW,
    onError: (id, err) => errors.push(`${id}: ${(err as Error).message}`),
  });
  await created(store, 't2');
  await jobs.start('t2', params).done;
  expect(await store.traces.get('t2')).toMatchObject({
    status: 'failed',
    error: 'the trace failed: disk I/O error',
  });
  expect(errors).toEqual(['t2: disk I/O error']);
});

it('stops a deleted trace, and marks running traces failed when the server stops', async () => {
  const store = await storyStore();
  // A read that waits until released: the job is mid-trace while the test acts.
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const slow: TraceScansStore = {
    scansOfSubjects: async (...a) => {
      await gate;
      return store.traceScans.scansOfSubjects(...a);
    },
    scansNear: (...a) => store.traceScans.scansNear(...a),
    scansInVehicles: (...a) => store.traceScans.scansInVehicles(...a),
    eraseSubjectsBefore: (...a) => store.traceScans.eraseSubjectsBefore(...a),
  };
  const jobs = new TraceJobs({
    scans: slow,
    traces: store.traces,
    clock: () => NOW,
    chunk: 1,
    progressEveryMs: 0,
  });
  await created(store, 'gone');
  await created(store, 'kept');
  const gone = jobs.start('gone', params);
  jobs.start('kept', params);
  expect(jobs.running().sort()).toEqual(['gone', 'kept']);
  expect(await store.traces.delete('gone')).toBe(true);
  const stopped = jobs.stop();
  release();
  await stopped;
  await gone.done;
  expect(await store.traces.get('gone')).toBeNull();
  expect(await store.traces.get('kept')).toMatchObject({ status: 'failed', error: TRACE_SERVER_STOPPED });
});

it('sees a running trace not updated for 2 minutes as failed, server lost', async () => {
  const store = await storyStore();
  await created(store, 't3');
  const t = await store.traces.get('t3');
  if (t === null) throw new Error('no trace');
  expect(traceAsSeen(t, t.updatedAt + SERVER_LOST_MS)).toMatchObject({ status: 'running', error: null });
  expect(traceAsSeen(t, t.updatedAt + SERVER_LOST_MS + 1)).toMatchObject({
    status: 'failed',
    error: TRACE_SERVER_LOST,
  });
});
