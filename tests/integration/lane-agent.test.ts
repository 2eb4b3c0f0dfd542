// The lane agent against the real sync server process on 127.0.0.1: enrollment, bootstrap,
// decisions by the policy, a live F0 push, and uploads that survive the server dying.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LaneAgent,
  type LaneDecision,
  StdinScanner,
  type SyncStatus,
  insecureFileKeyStore,
} from '@checkpoint-lane/kiosk';
import { FAST_SYNC, freePort, range, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

const F0 = '001090123456';
const F1 = '036085000123';
const SHIPPER = '079301004567';
const EXPIRED = '001185012345';
const ELSEWHERE = '096199000001';
const UNKNOWN = '038200001234';

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-it-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-lane-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('OPEN-1', 'open');
  await server.addCheckpoint('CLOSED-1', 'closed');
  await server.importCsv(
    'health',
    `id,status,since,until,name,note\n${F0},F0,2026-01-01,,A,\n${F1},F1,2026-01-01,2099-12-31,B,\n`,
  );
  await server.importCsv(
    'whitelist',
    [
      'id,category,valid_from,valid_until,checkpoints,name,note',
      `${SHIPPER},shipper,2026-01-01,2099-12-31,,C,`,
      `${EXPIRED},permit,2020-01-01,2021-01-01,,D,`,
      `${ELSEWHERE},permit,2026-01-01,2099-12-31,OTHER-9,E,`,
      `${F0},shipper,2026-01-01,2099-12-31,,F0 shipper,`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A lane fed through a stream, collecting its decisions and sync statuses. */
async function openLane(name: string, checkpointId: string) {
  const input = new PassThrough();
  const decisions: LaneDecision[] = [];
  const statuses: SyncStatus[] = [];
  let wake: (() => void) | null = null;
  const agent = await LaneAgent.open({
    dataDir: join(dir, name),
    keyStore: insecureFileKeyStore(join(dir, name)),
    serverUrl: server.url,
    enrollCode: await server.enrollmentCode(checkpointId),
    laneName: name,
    scanners: [new StdinScanner(input)],
    logger,
    sync: FAST_SYNC,
    onDecision: (d) => {
      decisions.push(d);
      wake?.();
    },
    onSyncStatus: (s) => {
      statuses.push(s);
      wake?.();
    },
  });
  const until = async (check: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  const scan = async (text: string): Promise<LaneDecision> => {
    const before = decisions.length;
    input.write(`${text}\n`);
    await until(() => decisions.length > before, 'a decision');
    return decisions[before]!;
  };
  return { agent, decisions, statuses, scan, until, input };
}

describe('a lane against the real sync server', () => {
  it('enrolls, bootstraps both lists by snapshot and decides by the policy (open checkpoint)', async () => {
    const lane = await openLane('open-lane', 'OPEN-1');
    try {
      await lane.agent.start(10_000);
      expect(lane.agent.status().sync.listVersions).toEqual({ health: 1, whitelist: 1 });
      expect(lane.agent.store.countEntries('health')).toBe(2);
      expect((await lane.scan(F0)).decision).toBe('red');
      expect((await lane.scan(F1)).decision).toBe('red');
      expect((await lane.scan(UNKNOWN)).decision).toBe('green');
      expect((await lane.scan('not a code at all')).reasons).toEqual(['payload_unknown_format']);
      expect((await lane.scan(`${SHIPPER}||Trần Thị Bình|05062001|Nữ|Quận 1|20072021`)).decision).toBe(
        'green',
      );
      const f0 = lane.decisions[0]!;
      expect(f0).toMatchObject({ alert: true, subject: { kind: 'personal_id', masked: '••••••••3456' } });
      expect(JSON.stringify(lane.decisions)).not.toContain(F0);
    } finally {
      await lane.agent.stop();
    }
  });

  it('decides closed-checkpoint rules: whitelisted, expired, elsewhere, unknown, F0 shipper', async () => {
    const lane = await openLane('closed-lane', 'CLOSED-1');
    try {
      await lane.agent.start(10_000);
      expect(await lane.scan(SHIPPER)).toMatchObject({ decision: 'green', reasons: ['whitelisted'] });
      expect(await lane.scan(EXPIRED)).toMatchObject({ decision: 'red', reasons: ['permit_expired'] });
      // A permit for another checkpoint never reaches this lane: to it, the subject is not listed.
      expect(await lane.scan(ELSEWHERE)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
      expect(await lane.scan(UNKNOWN)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
      expect(await lane.scan(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
      expect(await lane.scan('')).toMatchObject({ decision: 'amber' });
    } finally {
      await lane.agent.stop();
    }
  });

  it('turns a subject red within seconds of an admin adding an F0, without a restart', async () => {
    const lane = await openLane('push-lane', 'OPEN-1');
    const newF0 = '079200000777';
    try {
      await lane.agent.start(10_000);
      expect((await lane.scan(newF0)).decision).toBe('green');
      const put = await server.admin('PUT', `/lists/health/entries/${newF0}`, {
        status: 'F0',
        since: null,
        until: null,
      });
      expect(put.status).toBeLessThan(300);
      await lane.until(() => lane.agent.store.listState('health').version >= 2, 'the pushed F0');
      // Pushed over SSE: the safety-net poll (60 s here) is far slower than this test's deadline.
      const again = lane.agent.submit(newF0);
      expect(again.decision).toBe('red');
      // The lane reports its new version at once (the periodic heartbeat is 60 s here), so the
      // admin console's fleet view shows it up to date, and its scanner as connected.
      const version = lane.agent.store.listState('health').version;
      const reported = async () => {
        const res = await server.admin<{
          kiosks: { name: string; listVersions: { health: number | null }; devices: { status: string }[] }[];
        }>('GET', '/kiosks');
        return res.body.kiosks.find((k) => k.name === 'push-lane');
      };
      await expect
        .poll(async () => (await reported())?.listVersions.health, { timeout: 10_000 })
        .toBe(version);
      expect((await reported())?.devices.map((d) => d.status)).toEqual(['connected']);
    } finally {
      await lane.agent.stop();
    }
  });

  it('keeps deciding while the server is down, and every scan reaches it exactly once', async () => {
    const lane = await openLane('outage-lane', 'OPEN-1');
    try {
      await lane.agent.start(10_000);
      const kioskId = lane.agent.credentials?.kioskId;
      if (kioskId === undefined) throw new Error('the lane is locked');
      for (const i of range(50)) lane.agent.submit(`0792000${String(i).padStart(5, '0')}`);
      await server.stop('SIGKILL'); // mid-upload, with no goodbye
      for (const i of range(150)) {
        const d = lane.agent.submit(`0792001${String(i).padStart(5, '0')}`);
        expect(d.decision).toBe('green'); // lists still fresh: offline decisions as usual
      }
      expect(lane.agent.status().sync.online).toBe(false);
      await server.start();
      await lane.until(() => lane.agent.store.backlog().count === 0, 'the backlog to drain');
      const stored = server.storedScans(kioskId);
      expect(stored.count).toBe(200);
      expect(stored.distinctIds).toBe(200);
      expect(stored.seqs).toEqual(range(200));
    } finally {
      await lane.agent.stop();
    }
  });
});
