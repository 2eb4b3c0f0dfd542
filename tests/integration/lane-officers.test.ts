// Central officer rosters end to end: an admin manages officers on the real sync server process
// and a running lane accepts, then refuses, their PINs within seconds, without a restart.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin, LaneAgent, OfficerRegistry, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { FAST_SYNC, freePort, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
/** The lane's officer PIN pepper (as its sealed store would give it). */
const pinPepper = randomBytes(32);

let dir: string;
let scans = 0;
/** A new subject each time: a repeated one inside the repeat window is not recorded again. */
const nextSubject = (): string => `0382${String(++scans).padStart(8, '0')}`;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-officers-it-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-officer-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('HERE-1', 'open');
  await server.addCheckpoint('THERE-1', 'open');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The roster version a lane holds on disk (0: a hand-written plain array). */
function fileVersion(laneDir: string): number {
  const value = JSON.parse(readFileSync(join(laneDir, 'officers.json'), 'utf8')) as unknown;
  return Array.isArray(value) ? 0 : (value as { 'officers-version': number })['officers-version'];
}

describe('officer rosters from the sync server', () => {
  it('lets an officer created centrally override at once, stops them when disabled, and never admits another checkpoint’s', async () => {
    const laneDir = join(dir, 'lane');
    // A lane set up by hand: its local officer works while the server has no roster (version 0).
    mkdirSync(laneDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(laneDir, 'officers.json'),
      JSON.stringify([{ id: 'local', role: 'officer', pinHash: hashPin('1111') }]),
    );
    const agent = await LaneAgent.open({
      dataDir: laneDir,
      keyStore: insecureFileKeyStore(laneDir),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('HERE-1'),
      laneName: 'officer-lane',
      scanners: [],
      logger,
      pinPepper,
      sync: FAST_SYNC,
    });
    const override = (officerId: string, pin: string) => {
      const scanId = agent.submit(nextSubject()).scanId ?? '';
      return agent.override(scanId, {
        decision: 'red',
        officerId,
        officerPin: pin,
        reason: 'identity_checked',
      });
    };
    const rosterAt = async (version: number) => {
      await expect.poll(() => fileVersion(laneDir), { timeout: 10_000, interval: 100 }).toBe(version);
    };
    try {
      await agent.start(10_000);
      // The first heartbeat and the event stream have told the lane version 0: nothing to do.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(fileVersion(laneDir)).toBe(0);
      expect(await override('local', '1111')).toMatchObject({ ok: true, record: { officerId: 'local' } });

      const created = await server.admin('PUT', '/officers/o-lan', {
        name: 'Nguyễn Lan',
        role: 'officer',
        checkpoints: ['HERE-1'],
        pin: '246810',
      });
      expect(created.status).toBe(201);
      const started = Date.now();
      await rosterAt(1);
      expect(Date.now() - started).toBeLessThan(5_000); // pushed, not polled (60 s here)
      expect(await override('o-lan', '246810')).toMatchObject({ ok: true, record: { officerId: 'o-lan' } });
      // The roster brings each officer's name, for the override dialog's list.
      expect(agent.officers()).toEqual([
        { id: 'o-lan', name: 'Nguyễn Lan', role: 'officer', lockedUntil: null },
      ]);
      // The central roster replaces the hand-written one.
      expect(await override('local', '1111')).toEqual({ ok: false, error: 'unknown_officer' });
      // Cross-check: the hash the server made verifies with the lane's own registry.
      expect(
        await OfficerRegistry.load(laneDir, { pinPepper }).verify('o-lan', '246810', Date.now),
      ).toMatchObject({
        ok: true,
        officer: { id: 'o-lan', role: 'officer' },
      });
      // Without the lane's PIN pepper, the same file checks no PIN.
      expect(
        await OfficerRegistry.load(laneDir, { pinPepper: randomBytes(32) }).verify(
          'o-lan',
          '246810',
          Date.now,
        ),
      ).toEqual({ ok: false, failure: 'unknown_officer' });

      // An officer of another checkpoint never reaches this lane.
      const elsewhere = await server.admin('PUT', '/officers/o-minh', {
        name: 'Minh',
        role: 'supervisor',
        checkpoints: ['THERE-1'],
        pin: '135790',
      });
      expect(elsewhere.status).toBe(201);
      await rosterAt(2);
      expect(await override('o-minh', '135790')).toEqual({ ok: false, error: 'unknown_officer' });
      expect(readFileSync(join(laneDir, 'officers.json'), 'utf8')).not.toContain('o-minh');

      const disabled = await server.admin('POST', '/officers/o-lan/disable');
      expect(disabled.status).toBe(200);
      await rosterAt(3);
      expect(await override('o-lan', '246810')).toEqual({ ok: false, error: 'unknown_officer' });
    } finally {
      await agent.stop();
    }
  });

  it('keeps the last roster while the server is down, and catches up when it returns', async () => {
    const laneDir = join(dir, 'lane-2');
    const agent = await LaneAgent.open({
      dataDir: laneDir,
      keyStore: insecureFileKeyStore(laneDir),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('HERE-1'),
      laneName: 'officer-lane-2',
      scanners: [],
      logger,
      sync: FAST_SYNC,
    });
    const override = (officerId: string, pin: string) => {
      const scanId = agent.submit(nextSubject()).scanId ?? '';
      return agent.override(scanId, {
        decision: 'red',
        officerId,
        officerPin: pin,
        reason: 'identity_checked',
      });
    };
    try {
      expect(
        (await server.admin('PUT', '/officers/o-hoa', { name: 'Hoa', role: 'officer', pin: '975310' }))
          .status,
      ).toBe(201);
      await agent.start(10_000);
      await expect.poll(() => existsSync(join(laneDir, 'officers.json')), { timeout: 10_000 }).toBe(true);
      const version = fileVersion(laneDir);
      expect(version).toBeGreaterThan(0);
      expect((await override('o-hoa', '975310')).ok).toBe(true);
      await server.stop('SIGKILL');
      expect((await override('o-hoa', '975310')).ok).toBe(true);
      await server.start();
      expect((await server.admin('POST', '/officers/o-hoa/disable')).status).toBe(200);
      // The reconnected event stream announces the roster version; the lane fetches the change.
      await expect.poll(() => fileVersion(laneDir), { timeout: 15_000, interval: 200 }).toBe(version + 1);
      expect(await override('o-hoa', '975310')).toEqual({ ok: false, error: 'unknown_officer' });
    } finally {
      await agent.stop();
    }
  });
});
