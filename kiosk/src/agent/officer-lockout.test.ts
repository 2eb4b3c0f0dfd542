// PIN checks per officer (issue 11 item 15, issue 10 "lockout per officer"), on a real lane agent
// and its real SQLite store: the dialog names the officer, five wrong PINs lock that officer
// alone for a visible time, the lock survives a restart, and PIN checks never stall decisions.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS, type OverrideRequestBody } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCredentials } from '../sync/credentials.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { LaneAgent } from './lane-agent.js';
import { hashPin, OfficerRegistry } from './officers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
let dir: string;
let agent: LaneAgent | null = null;
let scans = 0;
const nextSubject = (): string => `0792${String(++scans).padStart(8, '0')}`;

/** The lane's PIN pepper (as its sealed store would give it). */
const pinPepper = randomBytes(32);

const ROSTER = [
  { id: 'CB-01', name: 'Nguyễn An', role: 'officer', pinHash: hashPin('1111') },
  { id: 'CB-02', name: 'Trần Bình', role: 'officer', pinHash: hashPin('2222') },
  { id: 'GS-01', name: 'Lê Chi', role: 'supervisor', pinHash: hashPin('9999') },
] as const;

async function openAgent(clock: () => number = Date.now, log = logger): Promise<LaneAgent> {
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger: log,
    clock,
    pinPepper,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  await agent.start();
  return agent;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'officer-lockout-'));
  writeCredentials(dir, {
    serverUrl: 'http://127.0.0.1:9',
    kioskId: 'k-1',
    token: 't',
    listKey: Buffer.alloc(32, 7).toString('base64'),
    checkpoint: { id: 'CP-1', name: 'Chốt 1', mode: 'open', ...CHECKPOINT_DEFAULTS },
  });
  writeFileSync(join(dir, 'officers.json'), JSON.stringify(ROSTER));
});

afterEach(async () => {
  await agent?.stop();
  agent = null;
  rmSync(dir, { recursive: true, force: true });
});

const asOfficer = (officerId: string, officerPin: string): OverrideRequestBody => ({
  decision: 'red',
  officerId,
  officerPin,
  reason: 'identity_checked',
});

describe('PIN lock-out per officer', () => {
  it('locks only the officer with five wrong PINs; others and supervisors keep working; the time left is listed', async () => {
    let now = 1_000_000;
    const lane = await openAgent(() => now);
    const scanId = (): string => lane.submit(nextSubject()).scanId ?? '';
    for (let i = 0; i < 4; i++)
      expect(await lane.override(scanId(), asOfficer('CB-01', '0000'))).toEqual({
        ok: false,
        error: 'wrong_pin',
      });
    expect(await lane.override(scanId(), asOfficer('CB-01', '0000'))).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: now + 60_000,
      officerId: 'CB-01',
    });
    // Even the right PIN is refused while locked, with the same end time.
    expect(await lane.override(scanId(), asOfficer('CB-01', '1111'))).toMatchObject({
      error: 'locked_out',
      lockedUntil: now + 60_000,
    });
    expect(lane.officers()).toEqual([
      { id: 'CB-01', name: 'Nguyễn An', role: 'officer', lockedUntil: now + 60_000 },
      { id: 'CB-02', name: 'Trần Bình', role: 'officer', lockedUntil: null },
      { id: 'GS-01', name: 'Lê Chi', role: 'supervisor', lockedUntil: null },
    ]);
    expect((await lane.override(scanId(), asOfficer('CB-02', '2222'))).ok).toBe(true);
    expect((await lane.override(scanId(), asOfficer('GS-01', '9999'))).ok).toBe(true);

    // A minute later CB-01 may try again; a second lock in a row lasts twice as long.
    now += 60_000;
    expect(lane.officers()[0]?.lockedUntil).toBeNull();
    for (let i = 0; i < 4; i++) await lane.override(scanId(), asOfficer('CB-01', '0000'));
    expect(await lane.override(scanId(), asOfficer('CB-01', '0000'))).toMatchObject({
      error: 'locked_out',
      lockedUntil: now + 120_000,
    });
    now += 120_000;
    expect((await lane.override(scanId(), asOfficer('CB-01', '1111'))).ok).toBe(true);
    // Success clears the record: the next lock is a minute again.
    for (let i = 0; i < 5; i++) await lane.override(scanId(), asOfficer('CB-01', '0000'));
    expect(lane.officers()[0]?.lockedUntil).toBe(now + 60_000);
  });

  it('keeps the lock across a restart of the agent', async () => {
    const lane = await openAgent();
    for (let i = 0; i < 5; i++)
      await lane.override(lane.submit(nextSubject()).scanId ?? '', asOfficer('CB-02', '0000'));
    const until = lane.officers()[1]?.lockedUntil;
    expect(until).toBeGreaterThan(Date.now());
    await lane.stop();
    agent = null;

    const again = await openAgent();
    expect(again.officers()[1]?.lockedUntil).toBe(until);
    expect(
      await again.override(again.submit(nextSubject()).scanId ?? '', asOfficer('CB-02', '2222')),
    ).toMatchObject({
      ok: false,
      error: 'locked_out',
      lockedUntil: until,
    });
  });

  it('names the officer and the supervisor: another officer’s PIN is not theirs', async () => {
    const lane = await openAgent();
    const scanId = (): string => lane.submit(nextSubject()).scanId ?? '';
    expect(await lane.override(scanId(), asOfficer('CB-01', '2222'))).toEqual({
      ok: false,
      error: 'wrong_pin',
    });
    expect(await lane.override(scanId(), asOfficer('nobody', '1111'))).toEqual({
      ok: false,
      error: 'unknown_officer',
    });
    // Naming an officer as the supervisor is refused before any PIN is tried (and counted).
    const registry = OfficerRegistry.load(dir, { pinPepper });
    expect(await registry.verify('CB-01', '0000', Date.now, 'supervisor')).toEqual({
      ok: false,
      failure: 'not_supervisor',
    });
  });

  it('counts concurrent tries one by one: ten at once still get only five PINs checked', async () => {
    const registry = new OfficerRegistry([...ROSTER], { pinPepper });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => registry.verify('CB-01', '0000', Date.now)),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.failure))).toEqual([
      ...Array<string>(4).fill('wrong_pin'),
      ...Array<string>(6).fill('locked_out'),
    ]);
  });

  // This machine is shared and loaded, so single outliers (GC, the OS scheduler) are not the PIN
  // checks' doing: the bar is the 99th percentile, which one blocking scrypt per check (the old
  // scryptSync, ~55 ms each) puts far above 20 ms.
  it('checks PINs off the event loop: ten checks at once keep its delay (p99) under 20 ms', async () => {
    const officers = Array.from({ length: 10 }, (_, i) => ({
      id: `CB-${String(i)}`,
      role: 'officer' as const,
      pinHash: ROSTER[0].pinHash,
    }));
    const registry = new OfficerRegistry(officers, { pinPepper });
    // The event loop's delay, sampled by a 1 ms timer: each gap beyond 1 ms is time it was held.
    const delays: number[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      delays.push(Math.max(0, now - last - 1));
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const results = await Promise.all(officers.map((o) => registry.verify(o.id, '0000', Date.now)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    clearInterval(ticker);
    expect(results.every((r) => !r.ok && r.failure === 'wrong_pin')).toBe(true);
    delays.sort((a, b) => a - b);
    const p99 = delays[Math.floor(delays.length * 0.99)] ?? Infinity;
    process.stdout.write(
      `event-loop delay while 10 PIN checks ran: p99 ${p99.toFixed(1)} ms, max ${(delays.at(-1) ?? 0).toFixed(1)} ms (${String(delays.length)} samples)\n`,
    );
    expect(p99).toBeLessThan(20);
  });

  it('never holds up a scan: scans decided while ten PIN checks run start on time', async () => {
    const names = Array.from({ length: 10 }, (_, i) => ({
      id: `CB-${String(i)}`,
      name: `Cán bộ ${String(i)}`,
      role: 'officer',
      pinHash: ROSTER[0].pinHash,
    }));
    writeFileSync(join(dir, 'officers.json'), JSON.stringify(names));
    const lane = await openAgent();
    const scanIds = names.map(() => lane.submit(nextSubject()).scanId ?? '');
    const checking = { running: true };
    const checks = Promise.all(
      names.map((o, i) => lane.override(scanIds[i] ?? '', asOfficer(o.id, '0000'))),
    ).finally(() => {
      checking.running = false;
    });
    // A scan every 10 ms after the last one was decided: how late does each one start?
    const lateness: number[] = [];
    while (checking.running) {
      const due = performance.now() + 10;
      await new Promise((resolve) => setTimeout(resolve, 10));
      lateness.push(performance.now() - due);
      lane.submit(nextSubject());
    }
    expect((await checks).every((r) => !r.ok && r.error === 'wrong_pin')).toBe(true);
    lateness.sort((a, b) => a - b);
    const p90 = lateness[Math.floor(lateness.length * 0.9)] ?? Infinity;
    process.stdout.write(
      `${String(lateness.length)} scans during 10 PIN checks; start lateness p90 ${p90.toFixed(1)} ms, max ${(lateness.at(-1) ?? 0).toFixed(1)} ms\n`,
    );
    // Blocking checks (the old scryptSync) ran to the end before a single scan was taken.
    expect(lateness.length).toBeGreaterThan(5);
    expect(p90).toBeLessThan(20);
  });
});

describe('PIN lock-out over time (security review F4)', () => {
  const MIN = 60_000;
  /** Five wrong PINs for `id`: answers the lock's length. */
  const lockOnce = async (registry: OfficerRegistry, id: string, now: () => number): Promise<number> => {
    let last: Awaited<ReturnType<OfficerRegistry['verify']>> | null = null;
    for (let i = 0; i < 5; i++) last = await registry.verify(id, '0000', now);
    if (last?.ok !== false || last.failure !== 'locked_out') throw new Error('not locked');
    return last.lockedUntil - now();
  };

  it('forgets the doubling after an hour with no wrong PIN, but not while wrong PINs keep coming', async () => {
    let now = 5_000_000;
    const clock = (): number => now;
    let stored: string | null = null;
    const state = { read: () => stored, write: (t: string) => void (stored = t) };
    const registry = new OfficerRegistry([...ROSTER], { state, pinPepper });
    // Locked six times in a row, each right after the last ended: 1, 2, 4, 8, 16, then 30 min.
    const lengths: number[] = [];
    for (let i = 0; i < 6; i++) {
      const length = await lockOnce(registry, 'GS-01', clock);
      lengths.push(length / MIN);
      now += length;
    }
    expect(lengths).toEqual([1, 2, 4, 8, 16, 30]);
    // The lock has just ended: the doubling is still in force (no quiet hour yet).
    expect(await lockOnce(registry, 'GS-01', clock)).toBe(30 * MIN);
    // An hour with no wrong PIN since: the next slip is a one-minute lock again.
    now += 60 * MIN;
    expect(await lockOnce(registry, 'GS-01', clock)).toBe(MIN);
    // A lone wrong PIN an hour ago counts no more either: five fresh tries before a lock.
    now += 61 * MIN;
    await registry.verify('GS-01', '0000', clock);
    now += 60 * MIN;
    for (let i = 0; i < 4; i++)
      expect(await registry.verify('GS-01', '0000', clock)).toEqual({ ok: false, failure: 'wrong_pin' });
    // The quiet survives in the stored state: a new registry (a restart) reads the same.
    expect(new OfficerRegistry([...ROSTER], { state, pinPepper }).list(now)[2]?.lockedUntil).toBeNull();
    expect(
      await new OfficerRegistry([...ROSTER], { state, pinPepper }).verify('GS-01', '0000', clock),
    ).toMatchObject({
      failure: 'locked_out',
      lockedUntil: now + MIN,
    });
  });

  it('keeps the count of wrong PINs across a restart: four before, one after, locked', async () => {
    const lane = await openAgent();
    for (let i = 0; i < 4; i++)
      expect(
        await lane.override(lane.submit(nextSubject()).scanId ?? '', asOfficer('CB-02', '0000')),
      ).toMatchObject({ error: 'wrong_pin' });
    await lane.stop();
    agent = null;
    const again = await openAgent();
    expect(
      await again.override(again.submit(nextSubject()).scanId ?? '', asOfficer('CB-02', '0000')),
    ).toMatchObject({ ok: false, error: 'locked_out', officerId: 'CB-02' });
  });

  it("logs a warning when a supervisor is locked, naming the officer id only (an officer's lock is info)", async () => {
    const logFile = join(dir, 'agent.log');
    const lane = await openAgent(
      Date.now,
      pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true, append: true })),
    );
    const lockOut = async (id: string): Promise<void> => {
      for (let i = 0; i < 5; i++)
        await lane.override(lane.submit(nextSubject()).scanId ?? '', asOfficer(id, '0000'));
    };
    await lockOut('GS-01');
    await lockOut('CB-01');
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => typeof l['msg'] === 'string' && l['msg'].includes('locked out'));
    expect(lines.map((l) => [l['level'], l['officerId'], l['role'], l['lockNo']])).toEqual([
      [40, 'GS-01', 'supervisor', 1],
      [30, 'CB-01', 'officer', 1],
    ]);
    const text = readFileSync(logFile, 'utf8');
    for (const name of ROSTER.map((o) => o.name)) expect(text).not.toContain(name);
  });
});
