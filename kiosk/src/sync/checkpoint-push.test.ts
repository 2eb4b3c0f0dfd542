import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CheckpointConfig } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneAgent } from '../agent/lane-agent.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { LaneStore } from '../store/lane-store.js';
import { writeOfflineLane } from '../testing/offline-lane.js';
import { readCredentials, writeCredentials } from './credentials.js';
import { FakeSyncServer } from './fake-sync-server.testkit.js';
import { LaneSync } from './lane-sync.js';
import type { ApiResult, HeartbeatAnswer, ServerApi } from './server-api.js';
import { CLOSED_CHECKPOINT as closed, OPEN_CHECKPOINT as open } from './sync-fixtures.testkit.js';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

/**
 * A LaneSync on a real in-memory store, over a fake API whose event stream and heartbeat
 * answers the test drives.
 */
function laneSync() {
  const events = new PassThrough();
  const heartbeats: ((answer: ApiResult<HeartbeatAnswer>) => void)[] = [];
  let current = open;
  const adopted: CheckpointConfig[] = [];
  const api = {
    events: () => Promise.resolve({ ok: true, value: events }),
    snapshot: () => Promise.resolve({ ok: false, error: { kind: 'offline', message: 'test' } }),
    passes: () => Promise.resolve({ ok: false, error: { kind: 'offline', message: 'test' } }),
    heartbeat: () =>
      new Promise<ApiResult<HeartbeatAnswer>>((resolve) => {
        heartbeats.push(resolve);
      }),
  } as unknown as ServerApi;
  const store = LaneStore.open(':memory:');
  const sync = new LaneSync({
    api,
    store,
    logger: pino({ level: 'silent' }),
    checkpoint: () => current,
    devices: () => [],
    onCheckpoint: (c) => {
      adopted.push(c);
      current = c;
    },
    heartbeatMs: 3600_000,
    pollMs: 3600_000,
  });
  stop = async () => {
    await sync.stop();
    events.end();
    store.close();
  };
  const push = (event: string, data: unknown): void => {
    events.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const answer = (checkpoint: CheckpointConfig): void => {
    heartbeats.shift()?.({ ok: true, value: { serverTime: Date.now(), checkpoint, officersVersion: 0 } });
  };
  return { sync, push, answer, adopted, current: () => current, heartbeats };
}

describe('a checkpoint config pushed over SSE', () => {
  it('is in force at once, without a heartbeat', async () => {
    const lane = laneSync();
    lane.sync.start();
    lane.push('checkpoint', closed);
    await expect.poll(() => lane.current().mode).toBe('closed');
    expect(lane.current().freshnessBudgetSec).toBe(600);
  });

  it('is not undone by a heartbeat answer that was on its way', async () => {
    const lane = laneSync();
    lane.sync.start();
    await expect.poll(() => lane.heartbeats.length).toBe(1); // the start-up heartbeat, in flight
    lane.push('checkpoint', closed);
    await expect.poll(() => lane.current().mode).toBe('closed');
    lane.answer(open); // read by the server before the change
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lane.current().mode).toBe('closed');
    // The next heartbeat (after the push) is the server's word again.
    const next = lane.sync.heartbeat();
    lane.answer({ ...closed, freshnessBudgetSec: 900 });
    await next;
    expect(lane.current().freshnessBudgetSec).toBe(900);
  });

  it('of another checkpoint, or malformed, changes nothing', async () => {
    const lane = laneSync();
    lane.sync.start();
    lane.push('checkpoint', { ...closed, id: 'CP-2' });
    lane.push('checkpoint', { ...closed, mode: 'half-open' });
    lane.push('checkpoint', { ...closed, freshnessBudgetSec: 1e20 });
    lane.push('list-version', { list: 'health', version: 0 }); // a marker: every event before it was read
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lane.adopted).toEqual([]);
  });
});

describe('a lane enrolled to a real server', () => {
  it('puts a checkpoint config pushed on its event stream in force at once, and keeps it across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-push-'));
    const server = await FakeSyncServer.start();
    // Heartbeats are held unanswered: the config can only come from the event stream.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.route('POST', '/heartbeat', async () => {
      await held;
      return { json: { serverTime: Date.now(), checkpoint: open, officersVersion: 0 } };
    });
    writeOfflineLane(dir, { listKey: Buffer.alloc(32, 3) });
    const credentials = readCredentials(dir);
    if (credentials === null) throw new Error('no credentials written');
    writeCredentials(dir, { ...credentials, serverUrl: server.url, checkpoint: open });
    const options = {
      dataDir: dir,
      keyStore: insecureFileKeyStore(dir),
      scanners: [],
      logger: pino({ level: 'silent' }),
      sync: { heartbeatMs: 3_600_000, pollMs: 3_600_000, retry: { baseMs: 50, capMs: 100 } },
    };
    let agent = await LaneAgent.open(options);
    stop = async () => {
      await agent.stop();
      release();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    };
    await agent.start();
    await expect.poll(() => server.streams()).toBe(1);
    expect(agent.status().checkpoint.mode).toBe('open');
    server.push('checkpoint', closed);
    await expect.poll(() => agent.status().checkpoint.mode).toBe('closed');
    expect(agent.status().checkpoint.freshnessBudgetSec).toBe(600);

    await agent.stop();
    agent = await LaneAgent.open(options);
    expect(agent.status().checkpoint.mode).toBe('closed');
  });
});
