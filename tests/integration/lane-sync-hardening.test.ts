// Lanes against the real sync server process: a checkpoint change pushed at once, lists and
// rosters scoped to each lane's checkpoint, and a lane re-enrolled in its old data folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LaneAgent,
  type LaneAgentOptions,
  type LaneDecision,
  LaneStore,
  StdinScanner,
  insecureFileKeyStore,
} from '@checkpoint-lane/kiosk';
import { FAST_SYNC, freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const UNKNOWN = '038200001234';
const UNKNOWN_2 = '038200001235';

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-hardening-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-hardening-0123456789');
  await server.start();
  await server.importCsv('health', 'id,status,since,until,name,note\n001090123456,F0,2026-01-01,,A,\n');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A lane fed through a stream, in this process (the server is a real process). */
async function openLane(name: string, checkpointId: string | null, extra: Partial<LaneAgentOptions> = {}) {
  const input = new PassThrough();
  const decisions: LaneDecision[] = [];
  const agent = await LaneAgent.open({
    dataDir: join(dir, name),
    keyStore: insecureFileKeyStore(join(dir, name)),
    serverUrl: server.url,
    enrollCode: checkpointId === null ? undefined : await server.enrollmentCode(checkpointId),
    laneName: name,
    scanners: [new StdinScanner(input)],
    logger,
    sync: FAST_SYNC,
    onDecision: (d) => decisions.push(d),
    ...extra,
  });
  const scan = async (text: string): Promise<LaneDecision> => {
    const before = decisions.length;
    input.write(`${text}\n`);
    await expect.poll(() => decisions.length, { timeout: 10_000 }).toBeGreaterThan(before);
    return decisions[before]!;
  };
  return { agent, decisions, scan };
}

interface FleetLane {
  name: string;
  lastHeartbeatAt: number | null;
  listVersions: { health: number | null; whitelist: number | null };
}

/** The lane as the server's fleet view sees it. */
async function fleetLane(name: string): Promise<FleetLane | undefined> {
  const res = await server.admin<{ kiosks: FleetLane[] }>('GET', '/kiosks');
  return res.body.kiosks.find((k) => k.name === name);
}

/**
 * Waits until the lane's heartbeats have reported its list versions and then gone quiet for
 * longer than the 1 s a prompted heartbeat waits: from here on, only the periodic one (60 s).
 */
async function heartbeatsSettled(name: string, versions: Record<string, number>): Promise<number> {
  await expect.poll(async () => (await fleetLane(name))?.listVersions, { timeout: 10_000 }).toEqual(versions);
  for (;;) {
    const last = (await fleetLane(name))?.lastHeartbeatAt ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    if ((await fleetLane(name))?.lastHeartbeatAt === last) return last;
  }
}

describe('a checkpoint change', () => {
  it('reaches the lane over SSE and is in force within 2 s, with no heartbeat for 60 s', async () => {
    await server.addCheckpoint('PUSH-1', 'open');
    const lane = await openLane('push-lane', 'PUSH-1');
    try {
      await lane.agent.start(10_000);
      const versions = lane.agent.status().sync.listVersions;
      expect(versions.health).toBeGreaterThan(0);
      const lastHeartbeat = await heartbeatsSettled('push-lane', { ...versions });
      expect(await lane.scan(UNKNOWN)).toMatchObject({ decision: 'green', reasons: ['not_flagged'] });

      const changedAt = Date.now();
      await server.addCheckpoint('PUSH-1', 'closed', { freshnessBudgetSec: 600 });
      await expect.poll(() => lane.agent.checkpoint().mode, { timeout: 2000, interval: 20 }).toBe('closed');
      const ms = Date.now() - changedAt;
      expect(lane.agent.checkpoint().freshnessBudgetSec).toBe(600);
      expect(ms).toBeLessThan(2000);
      // No heartbeat carried it.
      expect((await fleetLane('push-lane'))?.lastHeartbeatAt).toBe(lastHeartbeat);
      expect(await lane.scan(UNKNOWN_2)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
    } finally {
      await lane.agent.stop();
    }
  });
});

/** Runs the lane CLI to the end of its standard input (scans are uploaded before it exits). */
function laneCli(args: string[], input: string, drainMs = 10_000) {
  const r = spawnSync(
    process.execPath,
    [LANE_JS, ...args, '--scanner', 'stdin', '--json', ...INSECURE_KEY_STORE_ARGS],
    {
      input,
      encoding: 'utf8',
      env: {
        ...process.env,
        CHECKPOINT_LOG_LEVEL: 'warn',
        CHECKPOINT_DRAIN_MS: String(drainMs),
        CHECKPOINT_FIRST_SYNC_MS: '2000',
      },
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ids = (from: number, n: number): string =>
  Array.from({ length: n }, (_, i) => `0792100${String(from + i).padStart(5, '0')}\n`).join('');

describe('a lane enrolled again in its old data folder', () => {
  it('uploads the records its old enrollment left unsent, once each, and says how many', async () => {
    await server.addCheckpoint('REENROLL-1', 'open');
    const data = join(dir, 'reenroll-lane');
    const kioskIdOf = (): string =>
      (JSON.parse(readFileSync(join(data, 'lane-identity.json'), 'utf8')) as { kioskId: string }).kioskId;

    // Enrolled; 3 scans uploaded.
    const first = laneCli(
      ['--server', server.url, '--enroll', await server.enrollmentCode('REENROLL-1'), '--data', data],
      ids(1, 3),
    );
    expect(first.code).toBe(0);
    const oldKiosk = kioskIdOf();
    expect(server.storedScans(oldKiosk).seqs).toEqual([1, 2, 3]);

    // 4 scans while the server is down: they stay queued.
    await server.stop();
    expect(laneCli(['--data', data], ids(4, 4), 500).code).toBe(0);
    await server.start();

    // The centre revokes the old enrollment; the lane is enrolled again in the same folder.
    expect((await server.admin('POST', `/kiosks/${oldKiosk}/revoke`)).status).toBeLessThan(300);
    rmSync(join(data, 'lane-secrets.enc'));
    const again = laneCli(
      ['--server', server.url, '--enroll', await server.enrollmentCode('REENROLL-1'), '--data', data],
      ids(8, 2),
    );
    expect(again.code).toBe(0);
    const newKiosk = kioskIdOf();
    expect(newKiosk).not.toBe(oldKiosk);

    // Nothing lost, nothing doubled: the old 3 under the old lane, 4 carried + 2 new under the new.
    expect(server.storedScans(oldKiosk).seqs).toEqual([1, 2, 3]);
    const stored = server.storedScans(newKiosk);
    expect(stored.seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stored.distinctIds).toBe(6);
    const store = LaneStore.open(join(data, 'lane.db'));
    try {
      expect(store.backlog().count).toBe(0);
      expect(store.ackedThrough()).toBe(6);
    } finally {
      store.close();
    }
    // And it says so.
    expect(again.stderr).toContain('enrolled again: 4 unsent record(s) carried over');
  });
});

describe('lists and rosters scoped to each lane’s checkpoint', () => {
  const PERMIT_A = '079301007001';
  const PERMIT_B = '079301007002';
  const PERMIT_ALL = '079301007003';

  it('gives each lane only its checkpoint’s whitelist entries and officers, and follows a move', async () => {
    await server.addCheckpoint('SCOPE-A', 'closed', { repeatWindowSec: 0 });
    await server.addCheckpoint('SCOPE-B', 'closed', { repeatWindowSec: 0 });
    await server.importCsv(
      'whitelist',
      [
        'id,category,valid_from,valid_until,checkpoints,name,note',
        `${PERMIT_A},permit,2026-01-01,2099-12-31,SCOPE-A,A,`,
        `${PERMIT_B},permit,2026-01-01,2099-12-31,SCOPE-B;OTHER-9,B,`,
        `${PERMIT_ALL},shipper,2026-01-01,2099-12-31,,C,`,
        '',
      ].join('\n'),
    );
    for (const [id, checkpoints, pin] of [
      ['o-scope-a', ['SCOPE-A'], '24681357'],
      ['o-scope-b', ['SCOPE-B'], '24681358'],
      ['o-scope-all', null, '24681359'],
    ] as const) {
      const res = await server.admin('PUT', `/officers/${id}`, {
        name: `Cán bộ ${id}`,
        role: 'officer',
        checkpoints,
        pin,
      });
      expect(res.status).toBeLessThan(300);
    }
    const a = await openLane('scope-lane-a', 'SCOPE-A');
    const b = await openLane('scope-lane-b', 'SCOPE-B');
    try {
      await Promise.all([a.agent.start(10_000), b.agent.start(10_000)]);
      expect(a.agent.store.countEntries('whitelist')).toBe(2);
      expect(b.agent.store.countEntries('whitelist')).toBe(2);
      expect(await a.scan(PERMIT_A)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
      expect(await a.scan(PERMIT_B)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
      expect(await b.scan(PERMIT_B)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
      expect(await b.scan(PERMIT_ALL)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
      const officerIds = (lane: typeof a) => lane.agent.officers().map((o) => o.id);
      await expect.poll(() => officerIds(a), { timeout: 10_000 }).toEqual(['o-scope-a', 'o-scope-all']);
      await expect.poll(() => officerIds(b), { timeout: 10_000 }).toEqual(['o-scope-all', 'o-scope-b']);

      // A's permit moves to B: A drops it (a delete), B takes it (a put), pushed.
      const moved = await server.admin('PUT', `/lists/whitelist/entries/${PERMIT_A}`, {
        category: 'permit',
        checkpoints: ['SCOPE-B'],
      });
      expect(moved.status).toBeLessThan(300);
      await expect.poll(() => b.agent.store.countEntries('whitelist'), { timeout: 10_000 }).toBe(3);
      await expect.poll(() => a.agent.store.countEntries('whitelist'), { timeout: 10_000 }).toBe(1);
      expect(a.agent.submit(PERMIT_A)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
      expect(b.agent.submit(PERMIT_A)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
    } finally {
      await Promise.all([a.agent.stop(), b.agent.stop()]);
    }

    // Lane A enrolled again, at checkpoint B, in the same folder: B's whitelist, roster and config.
    rmSync(join(dir, 'scope-lane-a', 'lane-secrets.enc'));
    const moved = await openLane('scope-lane-a', 'SCOPE-B');
    try {
      expect(moved.agent.reEnrollment).toMatchObject({ changed: true, listsReset: ['whitelist'] });
      expect(moved.agent.checkpoint().id).toBe('SCOPE-B');
      await moved.agent.start(10_000);
      expect(moved.agent.store.countEntries('whitelist')).toBe(3);
      expect(await moved.scan(PERMIT_B)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
      await expect
        .poll(() => moved.agent.officers().map((o) => o.id), { timeout: 10_000 })
        .toEqual(['o-scope-all', 'o-scope-b']);
    } finally {
      await moved.agent.stop();
    }
  });
});
