import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointConfig, GateReport } from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeviceState } from '../scanners/scanner.js';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { Heartbeat } from './heartbeat.js';
import { LinkState } from './link-state.js';
import {
  cleanupAfterEach,
  CLOSED_CHECKPOINT as closed,
  OPEN_CHECKPOINT as open,
  GREEN_SCAN as scan,
} from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const NOW = 1_700_000_000_000;

const cleanups = cleanupAfterEach();

const answer = (checkpoint: CheckpointConfig, officersVersion = 0): FakeAnswer => ({
  json: { serverTime: NOW + 1500, checkpoint, officersVersion },
});

/** A heartbeat on a real store against a loopback server, recording what it adopts. */
async function setup(devices: DeviceState[] = [], gate?: () => GateReport | undefined) {
  const server = await FakeSyncServer.start();
  server.route('POST', '/heartbeat', () => answer(open));
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const link = new LinkState({ logger });
  const adopted: CheckpointConfig[] = [];
  const officerVersions: unknown[] = [];
  const heartbeat = new Heartbeat({
    api: server.api(),
    store,
    link,
    logger,
    clock: () => NOW,
    devices: () => devices,
    checkpointId: () => 'CP-1',
    onCheckpoint: (c) => adopted.push(c),
    onOfficersVersion: (v) => officerVersions.push(v),
    ...(gate !== undefined && { gate }),
  });
  link.start();
  cleanups.push(async () => {
    link.stop();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, store, link, heartbeat, adopted, officerVersions };
}

describe('Heartbeat', () => {
  it('reports lists, backlog and devices; takes clock offset, config and roster version from the answer', async () => {
    const long = 'scanner-'.repeat(20);
    const { server, store, link, heartbeat, adopted, officerVersions } = await setup([
      { device: long, kind: 'hid', status: 'connected' },
    ]);
    server.route('POST', '/heartbeat', () => answer(closed, 9));
    store.applyChanges('health', 0, 2, [], NOW);
    store.appendRecord(scan, NOW);
    await heartbeat.beat();
    expect(server.calls('POST', '/heartbeat')[0]?.body).toEqual({
      listVersions: { health: 2, whitelist: 0 },
      backlog: 1,
      devices: [{ name: long.slice(0, 64), kind: 'hid', status: 'connected' }],
      clock: NOW,
    });
    expect(link.status()).toMatchObject({ online: true, clockSkewMs: 1500 });
    expect(adopted).toEqual([closed]);
    expect(officerVersions).toEqual([9]);
  });

  it('reports the gate of a lane in gate mode or with a relay, and the relay as a device', async () => {
    const report: GateReport = {
      unattended: true,
      relay: 'serial:/dev/ttyUSB0',
      state: 'fault',
      faults: ['scanner_lost'],
      counts: { opens: 3, shuts: 4, reds: 1, ambers: 0, repeats: 2, faults: 1, writeFailures: 0, unlocks: 0 },
    };
    let gate: GateReport | undefined = report;
    const { server, heartbeat } = await setup(
      [{ device: 'serial:/dev/ttyUSB0', kind: 'relay', status: 'connected' }],
      () => gate,
    );
    await heartbeat.beat();
    expect(server.calls('POST', '/heartbeat')[0]?.body).toMatchObject({
      devices: [{ name: 'serial:/dev/ttyUSB0', kind: 'relay', status: 'connected' }],
      gate: report,
    });
    gate = undefined;
    await heartbeat.beat();
    expect(server.calls('POST', '/heartbeat')[1]?.body).not.toHaveProperty('gate');
  });

  it('does not let an answer that was on its way undo a config pushed meanwhile', async () => {
    const { server, heartbeat, adopted } = await setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.route('POST', '/heartbeat', async () => {
      await gate;
      return answer(open); // read by the server before the change
    });
    const inFlight = heartbeat.beat();
    await expect.poll(() => server.calls('POST', '/heartbeat').length).toBe(1);
    heartbeat.checkpointPushed(closed);
    release();
    await inFlight;
    expect(adopted).toEqual([closed]);
    // The next heartbeat (after the push) is the server's word again.
    server.route('POST', '/heartbeat', () => answer({ ...closed, freshnessBudgetSec: 900 }));
    await heartbeat.beat();
    expect(adopted.at(-1)?.freshnessBudgetSec).toBe(900);
  });

  it('ignores a pushed config of another checkpoint', async () => {
    const { heartbeat, adopted } = await setup();
    heartbeat.checkpointPushed({ ...closed, id: 'CP-2' });
    expect(adopted).toEqual([]);
  });

  it('coalesces calls for a heartbeat soon into one, within a second', async () => {
    const { server, heartbeat } = await setup();
    heartbeat.soon();
    heartbeat.soon();
    heartbeat.soon();
    await expect.poll(() => server.calls('POST', '/heartbeat').length, { timeout: 3000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.calls('POST', '/heartbeat')).toHaveLength(1);
  });

  it('beats at start and then periodically until stopped', async () => {
    const { server, link, heartbeat } = await setup();
    heartbeat.start(30);
    await expect.poll(() => server.calls('POST', '/heartbeat').length).toBeGreaterThanOrEqual(3);
    link.stop();
    const beats = server.calls('POST', '/heartbeat').length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.calls('POST', '/heartbeat').length).toBeLessThanOrEqual(beats + 1); // one in flight at most
  });

  it('reports an unreachable server to the link and adopts nothing', async () => {
    const { server, link, heartbeat, adopted } = await setup();
    await heartbeat.beat();
    await server.close();
    await heartbeat.beat();
    expect(link.status().online).toBe(false);
    expect(link.status().lastError).toMatch(/^heartbeat: /);
    expect(adopted).toEqual([open]);
  });
});
