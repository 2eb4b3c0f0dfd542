import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSnapshot, subjectKeyToHex } from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { LaneSync, type SyncStatus } from './lane-sync.js';
import { TestListSigner } from './list-signer.testkit.js';
import {
  cleanupAfterEach,
  CLOSED_CHECKPOINT as closed,
  OPEN_CHECKPOINT as open,
  GREEN_SCAN as scan,
} from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });

const cleanups = cleanupAfterEach();

/** The server's list-signing key, pinned by the lane at enrollment. */
const signer = TestListSigner.create();

function emptySnapshot(list: 'health' | 'whitelist', version: number): FakeAnswer {
  const header =
    list === 'health'
      ? ({ list, version, count: 0, checkpointId: '', classes: [] } as const)
      : ({ list, version, count: 0, checkpointId: 'CP-1', classes: [] } as const);
  return signer.snapshot(list, version, encodeSnapshot(header, []), 0, 'CP-1');
}

/**
 * A whole LaneSync on a real store against a loopback server whose heartbeat never answers
 * until the test ends: whatever config the lane adopts came from the event stream.
 */
async function setup() {
  const server = await FakeSyncServer.start();
  let releaseHeartbeats: () => void = () => undefined;
  const heartbeatsHeld = new Promise<void>((resolve) => {
    releaseHeartbeats = resolve;
  });
  server
    .route('GET', '/lists/health/snapshot', () => emptySnapshot('health', 1))
    .route('GET', '/lists/whitelist/snapshot', () => emptySnapshot('whitelist', 1))
    .route('POST', '/heartbeat', async () => {
      await heartbeatsHeld;
      return {
        json: {
          serverTime: Date.now(),
          checkpoint: open,
          checkpointSignature: signer.checkpointSignature(open),
          officersVersion: 0,
        },
      };
    })
    .route('POST', '/scans', (req) => ({
      json: { ackedThrough: (req.body as { records: { seq: number }[] }).records.at(-1)?.seq ?? 0 },
    }));
  const dir = mkdtempSync(join(tmpdir(), 'lane-sync-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  let current = open;
  const statuses: SyncStatus[] = [];
  const sync = new LaneSync({
    api: server.api(),
    store,
    logger,
    checkpoint: () => current,
    devices: () => [],
    onStatus: (s) => statuses.push(s),
    onCheckpoint: (c) => {
      current = c;
    },
    heartbeatMs: 3_600_000,
    pollMs: 3_600_000,
    listSigningKeys: [signer.key],
    uploadIdleMs: 20,
    retry: { baseMs: 10, capMs: 20 },
  });
  cleanups.push(async () => {
    await sync.stop();
    releaseHeartbeats();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, store, sync, statuses, current: () => current };
}

describe('LaneSync', () => {
  it('applies a checkpoint event from the stream at once, without waiting for a heartbeat', async () => {
    const { server, sync, current } = await setup();
    sync.start();
    await expect.poll(() => server.streams()).toBe(1);
    await expect.poll(() => server.calls('POST', '/heartbeat').length).toBe(1); // in flight, unanswered
    server.push('checkpoint', signer.checkpointEvent(closed));
    await expect.poll(() => current().mode).toBe('closed');
    expect(current().freshnessBudgetSec).toBe(600);
    // Every heartbeat is still held by the server: none of them brought the config.
  });

  it('starts every part: lists, roster, events, heartbeat and uploads, and reports one status', async () => {
    const { server, store, sync, statuses } = await setup();
    store.appendRecord(scan, Date.now());
    sync.start();
    sync.start(); // a second start changes nothing
    await expect.poll(() => store.ackedThrough()).toBe(1);
    await expect.poll(() => sync.status().listVersions).toEqual({ health: 1, whitelist: 1 });
    expect(server.calls('GET', '/events')).toHaveLength(1);
    expect(server.calls('GET', '/officers')).toHaveLength(0); // no roster taker given
    expect(server.calls('POST', '/heartbeat').length).toBeGreaterThanOrEqual(1);
    const status = sync.status();
    expect(status).toMatchObject({ online: true, revoked: false, backlog: 0, lastError: null });
    expect(status.listsSyncedAt.health).toEqual(expect.any(Number));
    expect(statuses.at(-1)).toEqual(status);

    // A pushed list version and an urgent change reach the list sync.
    const change = {
      key: subjectKeyToHex(3n),
      op: 'put' as const,
      entry: { status: 'F0', since: null, until: null },
    };
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 1, toVersion: 2, changes: [change] }, 1, 'CP-1'),
    }));
    server.push('urgent', signer.urgent(1, 2, [change]));
    await expect.poll(() => store.lookupHealth(3n)?.status).toBe('F0');
    await expect.poll(() => sync.status().listVersions.health).toBe(2);
  });

  it('stops every part: the stream closes and nothing is asked of the server afterwards', async () => {
    const { server, store, sync } = await setup();
    sync.start();
    await expect.poll(() => server.streams()).toBe(1);
    await sync.stop();
    await expect.poll(() => server.streams()).toBe(0);
    const requests = server.requests.length;
    store.appendRecord(scan, Date.now());
    sync.requestUpload();
    sync.heartbeatSoon();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests).toHaveLength(requests);
  });
});
