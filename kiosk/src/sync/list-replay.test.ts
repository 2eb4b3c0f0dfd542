// A man in the middle holding genuine signed answers: an old "no changes" answer replayed, an
// old snapshot served after a forged 410, an answer signed far ahead of the lane's clock. The
// lane refuses them, keeps its list, and lets the list go stale as it should. Against a real
// loopback server and a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeSnapshot,
  isListStale,
  subjectKeyToHex,
  type HealthClass,
  type SnapshotEntry,
  type WireChange,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer } from './fake-sync-server.testkit.js';
import { LinkState } from './link-state.js';
import { TestListSigner } from './list-signer.testkit.js';
import { CLOCK_SKEW_ALLOWANCE_MS, ListSync } from './list-sync.js';
import { ListRefusals, ListTrust } from './list-trust.js';
import { cleanupAfterEach } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const CP = 'CP-1';
const T0 = 1_700_000_000_000;
const MIN = 60_000;
/** The checkpoint's freshness budget: 1 h, so answers count as fresh for 15 min (+ skew). */
const BUDGET_SEC = 3600;
const F0: HealthClass = { status: 'F0', since: null, until: null };

const cleanups = cleanupAfterEach();

async function setup() {
  const clock = { now: T0 };
  const server = await FakeSyncServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'list-replay-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const link = new LinkState({ logger });
  link.start();
  const signer = TestListSigner.create();
  const trust = new ListTrust({ settings: store, kioskId: 'k1', enrolled: [signer.key], logger });
  const refusals = new ListRefusals();
  const lists = new ListSync({
    api: server.api(),
    store,
    link,
    logger,
    clock: () => clock.now,
    checkpointId: () => CP,
    trust,
    refusals,
    freshnessBudgetMs: () => BUDGET_SEC * 1000,
  });
  cleanups.push(async () => {
    link.stop();
    await lists.settled();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { clock, server, store, lists, signer, refusals };
}

function healthBytes(version: number, keys: bigint[]): Uint8Array {
  const rows: SnapshotEntry[] = keys.map((key) => ({ key, classIndex: 0 }));
  return encodeSnapshot(
    { list: 'health', version, count: rows.length, checkpointId: '', classes: [F0] },
    rows,
  );
}

const put = (key: bigint): WireChange => ({
  key: subjectKeyToHex(key),
  op: 'put',
  entry: { status: 'F0', since: null, until: null },
});

/** A lane that took a v2 snapshot (entry 1) at T0, then a delta to v3 adding entry 5 (an F0). */
async function laneAtVersion3() {
  const t = await setup();
  const v2 = t.signer.snapshot('health', 2, healthBytes(2, [1n]), 1, CP, T0);
  t.server.route('GET', '/lists/health/snapshot', () => v2);
  expect(await t.lists.sync('health')).toBe(true);
  t.server.route('GET', '/lists/health/changes', () => ({
    json: t.signer.changes({ list: 'health', fromVersion: 2, toVersion: 3, changes: [put(5n)] }, 2, CP, T0),
  }));
  expect(await t.lists.sync('health')).toBe(true);
  expect(t.store.listState('health')).toMatchObject({ version: 3, syncedAt: T0 });
  expect(t.store.lookupHealth(5n)?.status).toBe('F0');
  return { ...t, v2 };
}

describe('replayed signed answers', () => {
  it('refuses an old "no changes" answer once it is older than the window, and the list goes stale', async () => {
    const { clock, server, store, lists, signer, refusals } = await laneAtVersion3();
    // Genuine, signed at T0; the man in the middle answers with it from now on.
    const noChanges = signer.changes(
      { list: 'health', fromVersion: 3, toVersion: 3, changes: [] },
      2,
      CP,
      T0,
    );
    server.route('GET', '/lists/health/changes', () => ({ json: noChanges }));

    clock.now = T0 + 10 * MIN; // within the window: taken, synced as of when it was signed
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').syncedAt).toBe(T0);

    clock.now = T0 + 15 * MIN + CLOCK_SKEW_ALLOWANCE_MS + 1;
    expect(await lists.sync('health')).toBe(false);
    expect(refusals.report()).toMatchObject({ count: 1, lastReason: 'stale_answer', lastList: 'health' });
    expect(store.listState('health')).toMatchObject({ version: 3, syncedAt: T0 });

    // Replayed until past the budget: the list is stale (amber), not kept fresh by the replay.
    clock.now = T0 + BUDGET_SEC * 1000 + 1;
    expect(await lists.sync('health')).toBe(false);
    const { syncedAt } = store.listState('health');
    expect(isListStale(syncedAt, BUDGET_SEC, clock.now)).toBe(true);

    // The genuine server answers again: fresh.
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 3, toVersion: 3, changes: [] }, 2, CP, clock.now),
    }));
    expect(await lists.sync('health')).toBe(true);
    expect(isListStale(store.listState('health').syncedAt, BUDGET_SEC, clock.now)).toBe(false);
  });

  it('refuses an older snapshot after a forged 410 and keeps the list (entry 5 stays)', async () => {
    const { clock, server, store, lists, v2, refusals } = await laneAtVersion3();
    clock.now = T0 + MIN; // the old snapshot is still within the window: the version check refuses it
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'changes_gone', message: 'pruned' },
    }));
    server.route('GET', '/lists/health/snapshot', () => v2);
    expect(await lists.sync('health')).toBe(false);
    expect(refusals.report()).toMatchObject({ lastReason: 'version_rollback', lastList: 'health' });
    expect(store.listState('health').version).toBe(3);
    expect(store.lookupHealth(5n)?.status).toBe('F0');
    expect(store.countEntries('health')).toBe(2);
  });

  it('still takes an older snapshot when the server says it is behind (409, restored)', async () => {
    const { clock, server, store, lists, signer } = await laneAtVersion3();
    clock.now = T0 + MIN;
    server.route('GET', '/lists/health/changes', () => ({
      status: 409,
      json: { error: 'version_ahead', message: 'restored' },
    }));
    server.route('GET', '/lists/health/snapshot', () =>
      signer.snapshot('health', 2, healthBytes(2, [1n]), 1, CP, clock.now),
    );
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health')).toMatchObject({ version: 2, syncedAt: T0 + MIN });
  });

  it('refuses a snapshot signed too long ago, or too far ahead of the lane clock', async () => {
    const { clock, server, store, lists, signer, refusals } = await laneAtVersion3();
    clock.now = T0 + 60 * MIN;
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'changes_gone', message: 'pruned' },
    }));
    const v4 = (issuedAt: number) =>
      signer.snapshot('health', 4, healthBytes(4, [1n, 5n, 7n]), 3, CP, issuedAt);
    server.route('GET', '/lists/health/snapshot', () => v4(T0 + 30 * MIN));
    expect(await lists.sync('health')).toBe(false);
    expect(refusals.report()).toMatchObject({ count: 1, lastReason: 'stale_answer' });
    server.route('GET', '/lists/health/snapshot', () => v4(clock.now + CLOCK_SKEW_ALLOWANCE_MS + MIN));
    expect(await lists.sync('health')).toBe(false);
    expect(refusals.report()).toMatchObject({ count: 2, lastReason: 'stale_answer' });
    expect(store.listState('health')).toMatchObject({ version: 3, syncedAt: T0 });
    expect(store.lookupHealth(7n)).toBeNull();

    // Slightly ahead (within the allowance): taken, synced as of the lane's now, never later.
    server.route('GET', '/lists/health/snapshot', () => v4(clock.now + MIN));
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health')).toMatchObject({ version: 4, syncedAt: clock.now });
    expect(store.lookupHealth(7n)?.status).toBe('F0');
  });

  it('refuses an urgent push older than the window', async () => {
    const { clock, server, store, lists, signer, refusals } = await laneAtVersion3();
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 3, toVersion: 3, changes: [] }, 2, CP, clock.now),
    }));
    const old = signer.urgent(3, 4, [put(9n)], T0);
    clock.now = T0 + 30 * MIN;
    await lists.urgent(old);
    expect(store.lookupHealth(9n)).toBeNull();
    expect(refusals.report()).toMatchObject({ lastReason: 'stale_answer' });
    await lists.urgent(signer.urgent(3, 4, [put(9n)], clock.now));
    expect(store.lookupHealth(9n)?.status).toBe('F0');
  });
});
