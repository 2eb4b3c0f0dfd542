import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSnapshot, type CheckpointConfig, type ListRefusalReport } from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { OfficerRoster } from '../agent/officers.js';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { LaneSync } from './lane-sync.js';
import { TestListSigner } from './list-signer.testkit.js';
import {
  cleanupAfterEach,
  CLOSED_CHECKPOINT as closed,
  OPEN_CHECKPOINT as open,
} from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const cleanups = cleanupAfterEach();

/** The server's list-signing key, pinned by the lane at enrollment. */
const signer = TestListSigner.create();
const HASH = `scrypt$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;
const ATTACKER_HASH = `scrypt$${Buffer.alloc(16, 7).toString('base64')}$${Buffer.alloc(32, 8).toString('base64')}`;
const ROSTER: OfficerRoster = { version: 3, officers: [{ id: 'o1', role: 'officer', pinHash: HASH }] };

function emptySnapshot(list: 'health' | 'whitelist', version: number): FakeAnswer {
  const header =
    list === 'health'
      ? ({ list, version, count: 0, checkpointId: '', classes: [] } as const)
      : ({ list, version, count: 0, checkpointId: 'CP-1', classes: [] } as const);
  return signer.snapshot(list, version, encodeSnapshot(header, []), 0, 'CP-1');
}

interface Setup {
  /** The checkpoint config (and what goes beside it) every heartbeat answers. */
  readonly heartbeat: Record<string, unknown>;
  /** What `/officers` answers. */
  readonly officers?: unknown;
  /** The keys the lane pinned at enrollment (none: a lane enrolled before signed lists). */
  readonly pinned?: boolean;
}

/** A whole LaneSync on a real store against a loopback server answering as `s` says. */
async function setup(s: Setup) {
  const server = await FakeSyncServer.start();
  const pinned = s.pinned ?? true;
  server
    .route('GET', '/lists/health/snapshot', () => emptySnapshot('health', 1))
    .route('GET', '/lists/whitelist/snapshot', () => emptySnapshot('whitelist', 1))
    .route('POST', '/heartbeat', () => ({
      json: { serverTime: Date.now(), officersVersion: 0, ...s.heartbeat },
    }))
    .route('GET', '/officers', () => ({ json: s.officers ?? { version: 0, officers: [] } }));
  const dir = mkdtempSync(join(tmpdir(), 'config-sig-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  let current: CheckpointConfig = open;
  let officersVersion = 1;
  const rosters: OfficerRoster[] = [];
  const sync = new LaneSync({
    api: server.api(),
    store,
    logger,
    checkpoint: () => current,
    devices: () => [],
    onCheckpoint: (c) => {
      current = c;
    },
    officersVersion: () => officersVersion,
    onOfficers: (r) => {
      rosters.push(r);
      officersVersion = r.version;
    },
    heartbeatMs: 3_600_000,
    pollMs: 3_600_000,
    ...(pinned ? { listSigningKeys: [signer.key] } : {}),
    retry: { baseMs: 10, capMs: 20 },
  });
  cleanups.push(async () => {
    await sync.stop();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** The refusals the lane's last heartbeat reported. */
  const reported = (): ListRefusalReport | undefined =>
    (server.calls('POST', '/heartbeat').at(-1)?.body as { listRefusals?: ListRefusalReport } | undefined)
      ?.listRefusals;
  return { server, sync, current: () => current, rosters, reported };
}

const emptied = { ...closed, blockingStatuses: [] };

describe('signed checkpoint config and officer roster at the lane', () => {
  it('adopts a config and a roster signed by the pinned key', async () => {
    const { sync, server, current, rosters } = await setup({
      heartbeat: { checkpoint: closed, checkpointSignature: signer.checkpointSignature(closed) },
      officers: signer.roster('CP-1', ROSTER),
    });
    sync.start();
    await expect.poll(() => current().mode).toBe('closed');
    expect(current()).toEqual(closed);
    await expect.poll(() => rosters.length).toBe(1);
    expect(rosters[0]).toEqual(ROSTER); // the signature is not handed on
    expect(server.calls('POST', '/heartbeat')[0]?.body).not.toHaveProperty('listRefusals');
  });

  it('refuses a heartbeat config whose blocking statuses were emptied after signing, and reports it', async () => {
    const { sync, server, current, reported } = await setup({
      heartbeat: { checkpoint: emptied, checkpointSignature: signer.checkpointSignature(closed) },
    });
    sync.start();
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ count: 1, lastReason: 'bad_signature' });
    expect(reported()).not.toHaveProperty('lastList');
    expect(current()).toEqual(open);
    // The same config refused again is counted, not reported at once: no heartbeat every second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.calls('POST', '/heartbeat')).toHaveLength(2);
    expect(reported()).toMatchObject({ count: 1 });
  });

  it('refuses an unsigned heartbeat config once it trusts a key', async () => {
    const { sync, current, reported } = await setup({ heartbeat: { checkpoint: closed } });
    sync.start();
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ lastReason: 'unsigned' });
    expect(current()).toEqual(open);
  });

  it('refuses another checkpoint’s config, even signed for that checkpoint', async () => {
    const other = { ...closed, id: 'CP-2' };
    const { sync, current, reported } = await setup({
      heartbeat: { checkpoint: other, checkpointSignature: signer.checkpointSignature(other) },
    });
    sync.start();
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ lastReason: 'bad_signature' });
    expect(current()).toEqual(open);
  });

  it('refuses a config signed by a key it does not trust', async () => {
    const stranger = TestListSigner.create();
    const { sync, current, reported } = await setup({
      heartbeat: { checkpoint: closed, checkpointSignature: stranger.checkpointSignature(closed) },
    });
    sync.start();
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ lastReason: 'unknown_key' });
    expect(current()).toEqual(open);
  });

  it('refuses a tampered pushed config and an unsigned one, then takes a genuine push', async () => {
    const { sync, server, current, reported } = await setup({
      heartbeat: { checkpoint: open, checkpointSignature: signer.checkpointSignature(open) },
    });
    sync.start();
    await expect.poll(() => server.streams()).toBe(1);
    await expect.poll(() => server.calls('POST', '/heartbeat').length).toBe(1);
    server.push('checkpoint', { ...signer.checkpointEvent(closed), blockingStatuses: [] });
    server.push('checkpoint', closed);
    server.push('checkpoint', { ...signer.checkpointEvent({ ...closed, id: 'CP-2' }) });
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ count: 3 });
    expect(current()).toEqual(open);
    server.push('checkpoint', signer.checkpointEvent(closed));
    await expect.poll(() => current().mode).toBe('closed');
    expect(current()).toEqual(closed);
  });

  describe('vehicle mode under CLCFG2, in a mixed fleet', () => {
    const vehicles = { ...closed, vehicleMode: true };
    /** A heartbeat answer of a server since CLCFG2: the config with both signatures. */
    const both = (c: CheckpointConfig, signed: CheckpointConfig = c) => ({
      checkpoint: c,
      checkpointSignature: signer.checkpointSignature(signed),
      checkpointSignatureV2: signer.checkpointSignatureV2(signed),
    });

    it('a server since CLCFG2: its vehicle mode is adopted (heartbeat), and turned off again (push)', async () => {
      const { sync, server, current } = await setup({ heartbeat: both(vehicles) });
      sync.start();
      await expect.poll(() => current().vehicleMode).toBe(true);
      expect(current()).toEqual(vehicles);
      await expect.poll(() => server.streams()).toBe(1);
      server.push('checkpoint', signer.checkpointEventV2(closed));
      await expect.poll(() => current().vehicleMode).toBeUndefined();
      expect(current()).toEqual(closed);
    });

    it('refuses vehicle mode turned on in transit (CLCFG2 does not verify), though CLCFG1 would', async () => {
      const { sync, current, reported } = await setup({ heartbeat: both(vehicles, closed) });
      sync.start();
      await expect.poll(reported, { timeout: 5000 }).toMatchObject({ count: 1, lastReason: 'bad_signature' });
      // Nothing of it is taken: not the mode either (the CLCFG2 signature alone decides).
      expect(current()).toEqual(open);
    });

    it('refuses a pushed config whose CLCFG2 signature was made by a key it does not trust', async () => {
      const stranger = TestListSigner.create();
      const { sync, server, current, reported } = await setup({ heartbeat: both(open) });
      sync.start();
      await expect.poll(() => server.streams()).toBe(1);
      server.push('checkpoint', {
        ...signer.checkpointEvent(vehicles),
        checkpointSignatureV2: stranger.checkpointSignatureV2(vehicles),
      });
      await expect.poll(reported, { timeout: 5000 }).toMatchObject({ lastReason: 'unknown_key' });
      expect(current()).toEqual(open);
    });

    it('a server before CLCFG2 (or CLCFG2 stripped): the signed fields are adopted, the unsigned vehicle mode is not', async () => {
      const { sync, server, current, reported } = await setup({
        heartbeat: { checkpoint: vehicles, checkpointSignature: signer.checkpointSignature(vehicles) },
      });
      sync.start();
      await expect.poll(() => current().mode).toBe('closed');
      expect(current()).toEqual(closed);
      expect(current()).not.toHaveProperty('vehicleMode');
      await expect.poll(() => server.streams()).toBe(1);
      // Nor can such a config turn it off: on (by CLCFG2), it stays on under CLCFG1 alone.
      server.push('checkpoint', signer.checkpointEventV2(vehicles));
      await expect.poll(() => current().vehicleMode).toBe(true);
      server.push('checkpoint', signer.checkpointEvent(open));
      await expect.poll(() => current().mode).toBe('open');
      expect(current()).toEqual({ ...open, vehicleMode: true });
      expect(reported()).toBeUndefined();
    });
  });

  it('refuses a roster with a supervisor added after signing; the officers stay as they were', async () => {
    const genuine = signer.roster('CP-1', ROSTER);
    const tampered = {
      ...genuine,
      officers: [...genuine.officers, { id: 'x', role: 'supervisor', pinHash: ATTACKER_HASH }],
    };
    const { sync, rosters, reported } = await setup({
      heartbeat: { checkpoint: open, checkpointSignature: signer.checkpointSignature(open) },
      officers: tampered,
    });
    sync.start();
    await expect.poll(reported, { timeout: 5000 }).toMatchObject({ count: 1, lastReason: 'bad_signature' });
    expect(rosters).toEqual([]);
  });

  it('refuses an unsigned roster and one signed for another checkpoint', async () => {
    const answers: unknown[] = [ROSTER, signer.roster('CP-2', ROSTER)];
    const s = await setup({
      heartbeat: { checkpoint: open, checkpointSignature: signer.checkpointSignature(open) },
    });
    s.server.route('GET', '/officers', () => ({ json: answers.shift() ?? ROSTER }));
    s.sync.start();
    await expect.poll(s.reported, { timeout: 5000 }).toMatchObject({ lastReason: 'unsigned' });
    s.server.push('officers', { version: 3 });
    await expect.poll(s.reported, { timeout: 5000 }).toMatchObject({ count: 2, lastReason: 'bad_signature' });
    expect(s.rosters).toEqual([]);
  });

  it('a lane that trusts no key yet takes an unsigned config and roster as before, never another checkpoint’s', async () => {
    const s = await setup({
      heartbeat: { checkpoint: { ...closed, id: 'CP-2' } },
      officers: ROSTER,
      pinned: false,
    });
    s.sync.start();
    await expect.poll(() => s.rosters.length).toBe(1);
    await expect.poll(() => s.server.calls('POST', '/heartbeat').length).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.current()).toEqual(open);
    s.server.push('checkpoint', closed);
    await expect.poll(() => s.current().mode).toBe('closed');
  });
});
