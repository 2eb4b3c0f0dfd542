import type { LaneRecord, ScanRecord } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneStore, type NewLaneRecord } from '../store/lane-store.js';
import { LaneSync } from './lane-sync.js';
import type { ApiResult, ServerApi } from './server-api.js';

const scan = (decision: ScanRecord['decision'] = 'green'): NewLaneRecord => ({
  type: 'scan',
  source: 'stdin',
  format: 'personal_id',
  subjectKey: null,
  subjectSealed: null,
  decision,
  reasons: ['not_flagged'],
  warnings: [],
  alert: false,
});

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

/**
 * A fake server holding records by seq and answering the highest contiguous one, as the real
 * one does; `forget` plays a restore from an older backup.
 */
function fakeServer() {
  const held = new Map<number, string>();
  const batches: number[][] = [];
  const ackedThrough = (): number => {
    let n = 0;
    while (held.has(n + 1)) n++;
    return n;
  };
  const api = {
    uploadRecords: (records: readonly LaneRecord[]): Promise<ApiResult<number>> => {
      batches.push(records.map((r) => r.seq));
      for (const r of records) if (!held.has(r.seq)) held.set(r.seq, r.id);
      return Promise.resolve({ ok: true, value: ackedThrough() });
    },
    events: () => new Promise(() => undefined),
    snapshot: () => Promise.resolve({ ok: false, error: { kind: 'offline', message: 'test' } }),
    heartbeat: () => Promise.resolve({ ok: false, error: { kind: 'offline', message: 'test' } }),
  } as unknown as ServerApi;
  const forget = (after: number): void => {
    for (const seq of [...held.keys()]) if (seq > after) held.delete(seq);
  };
  return { api, held, batches, forget, ackedThrough };
}

function lane(api: ServerApi) {
  const store = LaneStore.open(':memory:');
  const sync = new LaneSync({
    api,
    store,
    logger: pino({ level: 'silent' }),
    checkpoint: () => ({
      id: 'CP-1',
      name: 'A',
      mode: 'open',
      freshnessBudgetSec: 3600,
      blockingStatuses: ['F0'],
      repeatWindowSec: 0,
    }),
    devices: () => [],
    uploadIdleMs: 20,
    uploadBatch: 3,
    retry: { baseMs: 10, capMs: 20 },
    heartbeatMs: 3600_000,
    pollMs: 3600_000,
  });
  stop = async () => {
    await sync.stop();
    store.close();
  };
  return { store, sync };
}

describe('the uploader', () => {
  it('sends the held records again to a server that lost them, without moving its mark back', async () => {
    const server = fakeServer();
    const { store, sync } = lane(server.api);
    for (let i = 0; i < 7; i++) store.appendRecord(scan(), Date.now());
    sync.start();
    await expect.poll(() => store.ackedThrough()).toBe(7);

    server.forget(2); // restored from a backup taken after record 2
    const marks: number[] = [];
    const watch = setInterval(() => marks.push(store.ackedThrough()), 1);
    stop = ((inner) => async () => {
      clearInterval(watch);
      await inner?.();
    })(stop);
    store.appendRecord(scan(), Date.now());
    sync.requestUpload();
    await expect.poll(() => server.ackedThrough()).toBe(8);
    clearInterval(watch);
    const byId = [...server.held.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
    expect(byId).toEqual(store.pendingRecords(10, 0).map((r) => r.id));
    expect(Math.min(...marks)).toBe(7); // never backwards
    await expect.poll(() => store.ackedThrough()).toBe(8);
    expect(store.backlog().count).toBe(0);
  });
});
