// Vehicle mode (issue 15) through real lanes uploading to the real sync server process: a stdin
// lane (`checkpoint-lane --vehicle-mode --json`) and a serial lane (a real SerialScanner on a
// socat pty) with its display API. Plate, 3 passengers, one F0 → the vehicle is red; the next
// plate closes it; the timeout closes it; "Xe đã qua" closes only the vehicle it names; every
// recorded scan carries its vehicle's id (the plate scan's record id) in the outbox and upload.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayServer, insecureFileKeyStore, LaneAgent, SerialScanner } from '@checkpoint-lane/kiosk';
import { freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const F0 = '001090123456';
const PEOPLE = ['079201004568', '079201004569', '079201004570', '079201004571'] as const;
const PLATE_A = '51F-123.45';
const PLATE_B = '30G-111.22';
const PLATE_C = '29C-678.90';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-vehicle-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-vehicle-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('VEH-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,A,\n`);
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The scans a lane's outbox holds, in order: id, vehicleId, decision. */
function outboxScans(laneDir: string): { id: string; vehicleId: string | null; decision: string }[] {
  const db = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, record FROM outbox ORDER BY seq').all() as {
      id: string;
      record: string;
    }[];
    return rows
      .map((r) => ({ id: r.id, record: JSON.parse(r.record) as Record<string, unknown> }))
      .filter((r) => r.record['type'] === 'scan')
      .map((r) => ({
        id: r.id,
        vehicleId: (r.record['vehicleId'] as string | undefined) ?? null,
        decision: r.record['decision'] as string,
      }));
  } finally {
    db.close();
  }
}

/** The scans the server holds for a lane, in its order, with their vehicle ids (scans.vehicle_id). */
function serverScans(kioskId: string): { id: string; vehicleId: string | null }[] {
  const db = new Database(`${server.dataDir}/server.db`, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT s.id, s.vehicle_id AS vehicleId FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE k.id = ? ORDER BY s.seq',
      )
      .all(kioskId) as { id: string; vehicleId: string | null }[];
  } finally {
    db.close();
  }
}

interface OpenVehicleRow {
  slot: number;
  vehicle_id: string;
  opened_at: number;
  green_lane: number;
}

/** The lane store's open vehicle row (every column), if any. */
function openVehicleRow(laneDir: string): OpenVehicleRow | undefined {
  const db = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM open_vehicle').get() as OpenVehicleRow | undefined;
  } finally {
    db.close();
  }
}

function laneKioskId(laneDir: string): string {
  const db = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT value FROM settings WHERE name = 'kiosk_id'").get() as { value: string };
    return row.value;
  } finally {
    db.close();
  }
}

interface JsonLine {
  decision: string;
  scanId: string | null;
  subject: { kind: string; masked: string } | null;
  vehicle?: { id: string; passengers: number; decision: string };
}

describe('a stdin lane in vehicle mode (checkpoint-lane --vehicle-mode --json)', () => {
  let lane: ChildProcess;
  const lines: JsonLine[] = [];
  let waiting: (() => void) | null = null;
  const laneDir = (): string => join(dir, 'stdin-lane');

  /** Types one code and waits for its JSON line. */
  const scan = async (text: string): Promise<JsonLine> => {
    const before = lines.length;
    lane.stdin!.write(`${text}\n`);
    while (lines.length === before) {
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
    return lines[before]!;
  };

  beforeAll(async () => {
    const code = await server.enrollmentCode('VEH-1');
    lane = spawn(
      process.execPath,
      [
        LANE_JS,
        ...INSECURE_KEY_STORE_ARGS,
        ...['--server', server.url, '--enroll', code, '--name', 'stdin-vehicle', '--data', laneDir()],
        ...['--scanner', 'stdin', '--json', '--vehicle-mode'],
      ],
      {
        env: {
          ...process.env,
          CHECKPOINT_LOG_LEVEL: 'warn',
          CHECKPOINT_DRAIN_MS: '10000',
          // 4 s instead of 10 minutes, so the timeout can be seen.
          CHECKPOINT_VEHICLE_OPEN_MS: '4000',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    createInterface({ input: lane.stdout! }).on('line', (line) => {
      lines.push(JSON.parse(line) as JsonLine);
      waiting?.();
    });
  });

  afterAll(() => {
    if (lane.exitCode === null) lane.kill();
  });

  it('links plate and passengers, closes on the next plate and on the timeout, and uploads the vehicle ids', async () => {
    const plate = await scan(PLATE_A);
    expect(plate.decision).toBe('green');
    expect(plate.scanId).toMatch(UUID);
    // The plate names itself; no plate in the line (the subject is masked).
    expect(plate.vehicle).toEqual({ id: plate.scanId, passengers: 0, decision: 'green' });
    expect(JSON.stringify(plate)).not.toContain('123.45');
    const first = await scan(PEOPLE[0]);
    expect(first.vehicle).toEqual({ id: plate.scanId, passengers: 1, decision: 'green' });
    const f0 = await scan(F0);
    expect(f0.decision).toBe('red');
    expect(f0.vehicle).toEqual({ id: plate.scanId, passengers: 2, decision: 'red' });
    const third = await scan(PEOPLE[1]);
    expect(third.decision).toBe('green');
    // One F0 among 3 passengers: the vehicle is red.
    expect(third.vehicle).toEqual({ id: plate.scanId, passengers: 3, decision: 'red' });

    // The next plate closes it: who follows belongs to the new one.
    const next = await scan(PLATE_B);
    expect(next.vehicle).toEqual({ id: next.scanId, passengers: 0, decision: 'green' });
    const inNext = await scan(PEOPLE[2]);
    expect(inNext.vehicle).toEqual({ id: next.scanId, passengers: 1, decision: 'green' });

    // 4 s after its plate scan the vehicle is closed: a person scanned then belongs to none.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const late = await scan(PEOPLE[3]);
    expect(late.decision).toBe('green');
    expect(late.vehicle).toBeUndefined();

    lane.stdin!.end();
    const exitCode = await new Promise<number | null>((resolve) =>
      lane.once('exit', (code) => {
        resolve(code);
      }),
    );
    expect(exitCode).toBe(0);

    const expected = [
      { id: plate.scanId, vehicleId: plate.scanId, decision: 'green' },
      { id: first.scanId, vehicleId: plate.scanId, decision: 'green' },
      { id: f0.scanId, vehicleId: plate.scanId, decision: 'red' },
      { id: third.scanId, vehicleId: plate.scanId, decision: 'green' },
      { id: next.scanId, vehicleId: next.scanId, decision: 'green' },
      { id: inNext.scanId, vehicleId: next.scanId, decision: 'green' },
      { id: late.scanId, vehicleId: null, decision: 'green' },
    ];
    expect(outboxScans(laneDir())).toEqual(expected);
    // Uploaded: the server holds each scan with the vehicle id the lane gave it.
    expect(serverScans(laneKioskId(laneDir()))).toEqual(
      expected.map(({ id, vehicleId }) => ({ id, vehicleId })),
    );
  });
});

describe('a serial lane in vehicle mode, with its display API', () => {
  let socat: ChildProcess;
  let deviceFd: number;
  let agent: LaneAgent;
  let display: DisplayServer;
  let cookie: string;
  const laneDir = (): string => join(dir, 'serial-lane');

  const scan = async (text: string): Promise<string> => {
    const before = agent.store.lastSeq();
    writeSync(deviceFd, Buffer.from(`${text}\r`));
    await expect.poll(() => agent.store.lastSeq(), { timeout: 10_000 }).toBeGreaterThan(before);
    return agent.desk().recent[0]!.scanId;
  };
  const passed = async (vehicleId: string, body: unknown = {}, withCookie = true) => {
    const res = await fetch(`${display.origin()}/api/vehicles/${vehicleId}/passed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(withCookie && { cookie }) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    socat = spawn(
      'socat',
      [
        '-d',
        '-d',
        `pty,raw,echo=0,link=${join(dir, 'lane-tty')}`,
        `pty,raw,echo=0,link=${join(dir, 'scanner-tty')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      socat.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('starting data transfer loop')) resolve();
      });
      socat.once('exit', (code) => {
        reject(new Error(`socat exited ${code}`));
      });
    });
    deviceFd = openSync(join(dir, 'scanner-tty'), 'w');
    agent = await LaneAgent.open({
      dataDir: laneDir(),
      keyStore: insecureFileKeyStore(laneDir()),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('VEH-1'),
      laneName: 'serial-vehicle',
      scanners: [
        new SerialScanner({
          path: join(dir, 'lane-tty'),
          settings: { baudRate: 9600, framing: { suffix: 'CR' } },
          logger,
        }),
      ],
      logger,
      vehicleMode: true,
      sync: { heartbeatMs: 1000, uploadIdleMs: 200, retry: { baseMs: 100, capMs: 500 } },
    });
    await agent.start(10_000);
    display = new DisplayServer({ agent, logger });
    await display.start();
    cookie = display.sessionCookie('officer');
  });

  afterAll(async () => {
    await display.stop();
    await agent.stop();
    closeSync(deviceFd);
    socat.kill();
  });

  it('a red vehicle from one F0 among 3 passengers; "Xe đã qua" closes only the vehicle it names; uploads carry the ids', async () => {
    expect(agent.desk()).toMatchObject({ vehicleMode: true, vehicle: null });
    const plate = await scan(PLATE_A);
    const people = [await scan(PEOPLE[0]), await scan(F0), await scan(PEOPLE[1])];
    const desk = agent.desk();
    expect(desk.vehicle).toMatchObject({
      id: plate,
      plateShown: PLATE_A,
      plateDecision: 'green',
      decision: 'red',
      passengerCount: 3,
      greenLane: false,
    });
    expect(desk.vehicle?.passengers.map((p) => [p.scanId, p.decision, p.healthStatus])).toEqual([
      [people[0], 'green', null],
      [people[1], 'red', 'F0'],
      [people[2], 'green', null],
    ]);
    // The officer sees subjects masked, as on the desk.
    expect(desk.vehicle?.passengers[1]?.subject).toEqual({ kind: 'personal_id', shown: '••••••••3456' });

    // The desk action: refused without an officer session, for a malformed or unknown id, with a body.
    expect((await passed(plate, {}, false)).status).toBe(403);
    expect((await passed('not-a-vehicle')).status).toBe(404);
    expect(await passed('0190a000-0000-7000-8000-000000000009')).toMatchObject({
      status: 404,
      body: { ok: false, error: 'unknown_vehicle' },
    });
    expect((await passed(plate, { plate: PLATE_A })).status).toBe(400);
    expect(agent.desk().vehicle?.id).toBe(plate);
    expect(await passed(plate)).toEqual({
      status: 200,
      body: { ok: true, vehicle: { id: plate, passengers: 3, decision: 'red' } },
    });
    expect(agent.desk().vehicle).toBeNull();
    // A second tap (or one from a panel still showing it) closes nothing else.
    expect(await passed(plate)).toMatchObject({ status: 409, body: { error: 'vehicle_closed' } });

    // After "Xe đã qua", a person belongs to no vehicle until the next plate.
    const alone = await scan(PEOPLE[2]);
    // The next plate closes the open one.
    const b = await scan(PLATE_B);
    const inB = await scan(PEOPLE[3]);
    const c = await scan(PLATE_C);
    expect(agent.desk().vehicle).toMatchObject({ id: c, passengerCount: 0 });
    expect(await passed(b)).toMatchObject({ status: 409, body: { error: 'vehicle_closed' } });
    expect(agent.desk().vehicle?.id).toBe(c);

    expect(await agent.drainOutbox(15_000)).toBe(0);
    const expected = [
      { id: plate, vehicleId: plate },
      ...people.map((id) => ({ id, vehicleId: plate })),
      { id: alone, vehicleId: null },
      { id: b, vehicleId: b },
      { id: inB, vehicleId: b },
      { id: c, vehicleId: c },
    ];
    expect(outboxScans(laneDir()).map(({ id, vehicleId }) => ({ id, vehicleId }))).toEqual(expected);
    expect(serverScans(agent.store.getSetting('kiosk_id')!)).toEqual(expected);
  });
});

/** A stdin lane in vehicle mode as a process: type a code and read its JSON line; kill it hard. */
class StdinVehicleLane {
  readonly child: ChildProcess;
  readonly #lines: JsonLine[] = [];
  #waiting: (() => void) | null = null;

  constructor(args: readonly string[], openMs: number, vehicleFlag = true) {
    this.child = spawn(
      process.execPath,
      [
        LANE_JS,
        ...INSECURE_KEY_STORE_ARGS,
        ...args,
        ...['--scanner', 'stdin', '--json'],
        ...(vehicleFlag ? ['--vehicle-mode'] : []),
      ],
      {
        env: {
          ...process.env,
          CHECKPOINT_LOG_LEVEL: 'warn',
          CHECKPOINT_DRAIN_MS: '10000',
          CHECKPOINT_VEHICLE_OPEN_MS: String(openMs),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.#lines.push(JSON.parse(line) as JsonLine);
      this.#waiting?.();
    });
  }

  /** Types one code and waits for its JSON line (the scan is on disk by then). */
  async scan(text: string): Promise<JsonLine> {
    const before = this.#lines.length;
    this.child.stdin!.write(`${text}\n`);
    while (this.#lines.length === before) {
      if (this.child.exitCode !== null) throw new Error(`lane exited ${this.child.exitCode}`);
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
    return this.#lines[before]!;
  }

  /** SIGKILL: a crash or a power cut, nothing flushed or closed. */
  async kill9(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Ends stdin (a clean stop after the outbox drains); answers the exit code. */
  async end(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    return exited;
  }
}

describe('a stdin lane in vehicle mode killed with SIGKILL while a vehicle is open', () => {
  const laneDir = (): string => join(dir, 'restart-lane');
  const lanes: StdinVehicleLane[] = [];
  const start = (args: readonly string[], openMs: number): StdinVehicleLane => {
    const lane = new StdinVehicleLane(['--data', laneDir(), ...args], openMs);
    lanes.push(lane);
    return lane;
  };

  afterAll(() => {
    for (const lane of lanes) if (lane.child.exitCode === null) lane.child.kill('SIGKILL');
  });

  it('restarted within the 10 minutes: the next passenger joins the same vehicle, its count and red kept', async () => {
    const code = await server.enrollmentCode('VEH-1');
    const first = start(['--server', server.url, '--enroll', code, '--name', 'restart-vehicle'], 60_000);
    const plate = await first.scan(PLATE_C);
    expect(plate.vehicle).toEqual({ id: plate.scanId, passengers: 0, decision: 'green' });
    const f0 = await first.scan(F0);
    expect(f0.vehicle).toEqual({ id: plate.scanId, passengers: 1, decision: 'red' });
    await first.kill9();
    // What the store keeps of the open vehicle: its id (the plate scan's), when, green-lane or
    // not. No plate anywhere in the store's files (plate scans are sealed to the server).
    const row = openVehicleRow(laneDir());
    expect(Object.keys(row ?? {})).toEqual(['slot', 'vehicle_id', 'opened_at', 'green_lane']);
    expect(row).toMatchObject({ vehicle_id: plate.scanId, green_lane: 0 });
    expect(row?.opened_at).toBeLessThanOrEqual(Date.now());
    for (const file of ['lane.db', 'lane.db-wal']) {
      const bytes = existsSync(join(laneDir(), file)) ? readFileSync(join(laneDir(), file)) : Buffer.alloc(0);
      expect(bytes.includes('29C67890')).toBe(false);
      expect(bytes.includes(PLATE_C)).toBe(false);
    }

    // Enrolled already: no code. The vehicle is open again, with its F0 passenger.
    const second = start(['--server', server.url], 60_000);
    const after = await second.scan(PEOPLE[0]);
    expect(after.decision).toBe('green');
    expect(after.vehicle).toEqual({ id: plate.scanId, passengers: 2, decision: 'red' });
    // The same closing rules: the next plate closes it and opens its own.
    const next = await second.scan(PLATE_A);
    expect(next.vehicle).toEqual({ id: next.scanId, passengers: 0, decision: 'green' });
    await second.kill9();

    // Restarted after its time is up (1.5 s here, from the plate scan): the vehicle is closed,
    // and a person scanned then belongs to none.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const third = start(['--server', server.url], 1500);
    const late = await third.scan(PEOPLE[1]);
    expect(late.decision).toBe('green');
    expect(late.vehicle).toBeUndefined();
    // Nor does it come back at the next start (closed for good, not only ignored).
    expect(await third.end()).toBe(0);
    const fourth = start(['--server', server.url], 60_000);
    const later = await fourth.scan(PEOPLE[2]);
    expect(later.vehicle).toBeUndefined();
    expect(await fourth.end()).toBe(0);

    const expected = [
      { id: plate.scanId, vehicleId: plate.scanId, decision: 'green' },
      { id: f0.scanId, vehicleId: plate.scanId, decision: 'red' },
      { id: after.scanId, vehicleId: plate.scanId, decision: 'green' },
      { id: next.scanId, vehicleId: next.scanId, decision: 'green' },
      { id: late.scanId, vehicleId: null, decision: 'green' },
      { id: later.scanId, vehicleId: null, decision: 'green' },
    ];
    expect(outboxScans(laneDir())).toEqual(expected);
    expect(openVehicleRow(laneDir())).toBeUndefined();
    expect(serverScans(laneKioskId(laneDir()))).toEqual(
      expected.map(({ id, vehicleId }) => ({ id, vehicleId })),
    );
  });
});

describe('vehicle mode set centrally, under the CLCFG2 signature', () => {
  /** The checkpoint config the lane adopted (its store keeps it for the next start). */
  const adopted = (laneDir: string): { vehicleMode?: boolean; mode: string } | null => {
    const db = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM settings WHERE name = 'checkpoint'").get() as
        { value: string } | undefined;
      return row === undefined ? null : (JSON.parse(row.value) as { vehicleMode?: boolean; mode: string });
    } finally {
      db.close();
    }
  };

  it('a lane without --vehicle-mode follows the checkpoint’s setting, turned on and off at the server', async () => {
    await server.addCheckpoint('VEH-2', 'open');
    const laneDir = join(dir, 'central-lane');
    const lane = new StdinVehicleLane(
      [
        ...['--server', server.url, '--data', laneDir],
        ...['--enroll', await server.enrollmentCode('VEH-2'), '--name', 'central'],
      ],
      60_000,
      false,
    );
    try {
      const before = await lane.scan(PLATE_A);
      expect(before.vehicle).toBeUndefined();
      // The server pushes the new config with both signatures; this lane pins the server's key
      // at enrollment, so it takes vehicle mode only because CLCFG2 verifies.
      await server.addCheckpoint('VEH-2', 'open', { vehicleMode: true });
      await expect.poll(() => adopted(laneDir)?.vehicleMode, { timeout: 15_000 }).toBe(true);
      const plate = await lane.scan(PLATE_B);
      expect(plate.vehicle).toEqual({ id: plate.scanId, passengers: 0, decision: 'green' });
      const person = await lane.scan(PEOPLE[0]);
      expect(person.vehicle).toEqual({ id: plate.scanId, passengers: 1, decision: 'green' });

      await server.addCheckpoint('VEH-2', 'open', { vehicleMode: false });
      await expect.poll(() => adopted(laneDir)?.vehicleMode ?? false, { timeout: 15_000 }).toBe(false);
      const after = await lane.scan(PLATE_C);
      expect(after.vehicle).toBeUndefined();
      expect(await lane.end()).toBe(0);
    } finally {
      if (lane.child.exitCode === null) lane.child.kill('SIGKILL');
    }
  });
});
