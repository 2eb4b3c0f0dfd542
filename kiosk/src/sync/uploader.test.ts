import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaneRecord } from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer } from './fake-sync-server.testkit.js';
import { LinkState, type RetryOptions } from './link-state.js';
import { Uploader } from './uploader.js';
import { cleanupAfterEach, GREEN_SCAN as scan } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });

const cleanups = cleanupAfterEach();

/**
 * An uploader on a real store against a loopback server that holds records by sequence number
 * and answers the highest contiguous one, as the sync server does.
 */
async function setup(options: { retry?: RetryOptions; idleMs?: number; batch?: number } = {}) {
  const server = await FakeSyncServer.start();
  const held = new Map<number, string>();
  const batches: number[][] = [];
  let answer = (): number => {
    let n = 0;
    while (held.has(n + 1)) n++;
    return n;
  };
  server.route('POST', '/scans', (req) => {
    const { records } = req.body as { records: LaneRecord[] };
    batches.push(records.map((r) => r.seq));
    for (const r of records) if (!held.has(r.seq)) held.set(r.seq, r.id);
    return { json: { ackedThrough: answer() } };
  });
  const dir = mkdtempSync(join(tmpdir(), 'uploader-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const link = new LinkState({ logger, retry: options.retry ?? { baseMs: 10, capMs: 20 } });
  const uploader = new Uploader({
    api: server.api(),
    store,
    link,
    logger,
    clock: Date.now,
    batch: options.batch ?? 3,
    idleMs: options.idleMs ?? 20,
  });
  link.start();
  uploader.start();
  cleanups.push(async () => {
    link.stop();
    await uploader.stop();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const setAnswer = (f: () => number): void => {
    answer = f;
  };
  return { server, store, link, uploader, held, batches, setAnswer };
}

describe('Uploader', () => {
  it('uploads the backlog in batches, in order, and moves the mark as the server acknowledges', async () => {
    const { store, batches, link } = await setup();
    for (let i = 0; i < 7; i++) store.appendRecord(scan, Date.now());
    await expect.poll(() => store.ackedThrough()).toBe(7);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(store.backlog().count).toBe(0);
    expect(link.online()).toBe(true);
  });

  it('never takes an acknowledgement beyond what the batch carried', async () => {
    const { store, batches, setAnswer } = await setup({ batch: 2 });
    setAnswer(() => 1000);
    for (let i = 0; i < 3; i++) store.appendRecord(scan, Date.now());
    await expect.poll(() => batches.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => store.ackedThrough()).toBe(3);
    expect(batches.slice(0, 2)).toEqual([[1, 2], [3]]);
  });

  it('sends the held records again to a server that lost them, without moving its mark back', async () => {
    const { store, held, uploader } = await setup();
    for (let i = 0; i < 5; i++) store.appendRecord(scan, Date.now());
    await expect.poll(() => store.ackedThrough()).toBe(5);
    for (const seq of [3, 4, 5]) held.delete(seq); // restored from a backup taken after record 2
    store.appendRecord(scan, Date.now());
    uploader.request();
    await expect.poll(() => store.ackedThrough()).toBe(6);
    expect([...held.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('backs off while the server fails, and uploads at once when the link comes back', async () => {
    const { server, store, link } = await setup({ retry: { baseMs: 60_000, capMs: 60_000 } });
    server.route('POST', '/scans', () => ({ status: 503, json: { error: 'busy', message: 'try later' } }));
    store.appendRecord(scan, Date.now());
    await expect.poll(() => link.status().lastError).toBe('upload: try later');
    server.route('POST', '/scans', () => ({ json: { ackedThrough: 1 } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.ackedThrough()).toBe(0); // still backing off
    link.succeeded(); // e.g. a heartbeat got through
    await expect.poll(() => store.ackedThrough()).toBe(1);
  });

  it('is woken by a new record only if urgent while offline, by any record while online', async () => {
    const { store, link, uploader, server } = await setup({ idleMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the loop is idle now
    store.appendRecord(scan, Date.now());
    uploader.request(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.calls('POST', '/scans')).toHaveLength(0);
    uploader.request(true);
    await expect.poll(() => store.ackedThrough()).toBe(1);
    expect(link.online()).toBe(true);
    store.appendRecord(scan, Date.now());
    uploader.request(false);
    await expect.poll(() => store.ackedThrough()).toBe(2);
  });
});
