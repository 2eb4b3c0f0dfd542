// Issue 17 "Done when", through real processes: the built `checkpoint-lane` CLI enrolled to a real
// `checkpoint-server`, its scanner and its relay board each on a real socat pty pair. The relay
// profile (LCUS frames, short open/hold times and keep-alive) is written for this test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaneView } from '@checkpoint-lane/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneProcess, PtyEnd, sleep } from './lane-gate-helpers.js';
import { freePort, ServerUnderTest } from './lane-helpers.js';

const F0 = '001090123456';
const CLEAN = '038200001234';

const IDLE = 'A0 01 00 A1';
const GREEN = 'A0 01 01 A2';
const RED = 'A0 04 01 A5';
const AMBER = 'A0 03 01 A4';
const FAULT = 'A0 02 01 A3';
const KEEP = 'A0 02 00 A2';
const OPEN_MS = 1500;
const HOLD_MS = 1000;
const KEEP_MS = 300;

const profile = {
  id: 'test-lcus-gate',
  name: 'LCUS frames, short times (integration test)',
  kind: 'relay',
  relay: {
    transport: 'serial',
    serial: { baudRate: 9600 },
    frameCheck: 'lcus',
    commands: { idle: [IDLE], green: [GREEN], red: [RED], amber: [AMBER], fault: [FAULT] },
    openMs: OPEN_MS,
    holdMs: HOLD_MS,
    keepAlive: { everyMs: KEEP_MS, frames: [KEEP] },
  },
};

let dir: string;
let server: ServerUnderTest;
let profileFile: string;
let scanner: PtyEnd;
let board: PtyEnd;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-gate-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-gate-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('GATE-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,A,\n`);
  profileFile = join(dir, 'relay.json');
  writeFileSync(profileFile, JSON.stringify(profile));
  scanner = new PtyEnd(dir, 'scanner');
  board = new PtyEnd(dir, 'relay');
  await scanner.open();
  await board.open();
});

afterAll(async () => {
  await scanner.close();
  await board.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The board's frames, keep-alives left out, from index `from` of all frames. */
const commands = (from = 0): string[] =>
  board
    .frames()
    .slice(from)
    .map((f) => f.hex)
    .filter((h) => h !== KEEP);

/** The board's frames (keep-alives left out) with their arrival times. */
const timedCommands = (): { at: number; hex: string }[] => board.frames().filter((f) => f.hex !== KEEP);

function laneArgs(): string[] {
  return [
    '--scanner',
    `serial:${scanner.path}`,
    '--relay',
    `serial:${board.path}`,
    '--relay-profile',
    profileFile,
    '--gate-mode',
    '--display',
    'none',
  ];
}

describe('an unattended gate on a real relay pty', () => {
  it('shut first; green opens then shuts after the open time; repeat, red and amber never open; SIGKILL stops the keep-alive; shut first again at the next start', async () => {
    const data = join(dir, 'lane');
    const code = await server.enrollmentCode('GATE-1');
    const lane = new LaneProcess(data, [
      ...['--server', server.url, '--enroll', code, '--name', 'gate-lane'],
      ...laneArgs(),
    ]);
    try {
      await lane.waitForLog('lane started', 40_000);
      // The relay was driven to idle before anything else.
      expect(commands()[0]).toBe(IDLE);
      expect(lane.logs.findIndex((l) => l.includes('gate started shut'))).toBeLessThan(
        lane.logs.findIndex((l) => l.includes('lane started')),
      );

      // Green: the open frames, then idle after the open time.
      scanner.send(`${CLEAN}\r`);
      expect(await lane.decision(1)).toMatchObject({ decision: 'green', recorded: true });
      await lane.until('the gate to open', () => commands().includes(GREEN));
      // A repeat of the same code while open: not recorded, the gate does not open again.
      scanner.send(`${CLEAN}\r`);
      expect(await lane.decision(2)).toMatchObject({ decision: 'green', recorded: false });
      await lane.until(
        'the gate to shut after the open time',
        () => commands().lastIndexOf(IDLE) > commands().indexOf(GREEN),
      );
      const timed = timedCommands();
      const openedAt = timed.find((f) => f.hex === GREEN)!.at;
      const shutAt = timed.find((f, i) => f.hex === IDLE && i > timed.findIndex((g) => g.hex === GREEN))!.at;
      // The open time, with slack for a loaded machine: the open timer starts as the green frame is
      // handed to the port, so a frame that reaches the far end late (a loaded machine: 1,292 ms
      // seen for 1,500) shortens the span measured here, never the gate's real open time by much.
      expect(shutAt - openedAt).toBeGreaterThanOrEqual(OPEN_MS - 600);
      expect(shutAt - openedAt).toBeLessThan(OPEN_MS + 3000);
      // The repeat again once shut: still no new open.
      scanner.send(`${CLEAN}\r`);
      expect(await lane.decision(3)).toMatchObject({ decision: 'green', recorded: false });

      // Red, then amber: their (shut) frames at once, never green, then idle after the hold.
      const beforeRed = board.frames().length;
      scanner.send(`${F0}\r`);
      expect(await lane.decision(4)).toMatchObject({ decision: 'red', recorded: true });
      await lane.until('the red frames', () => commands(beforeRed).includes(RED));
      await lane.until('idle after the hold', () => commands(beforeRed).slice(1).includes(IDLE), 10_000);
      const beforeAmber = board.frames().length;
      scanner.send('not a code at all\r');
      expect(await lane.decision(5)).toMatchObject({ decision: 'amber', recorded: true });
      await lane.until('the amber frames', () => commands(beforeAmber).includes(AMBER));
      expect(commands().filter((h) => h === GREEN)).toHaveLength(1);
      expect(commands(beforeRed)).not.toContain(GREEN);

      // The centre hears of it: the heartbeat (prompted by the red) carries the gate and the relay.
      const fleetLane = async (): Promise<LaneView | undefined> =>
        (await server.admin<{ kiosks: LaneView[] }>('GET', '/kiosks')).body.kiosks.find(
          (k) => k.name === 'gate-lane',
        );
      await expect
        .poll(async () => (await fleetLane())?.gate?.counts.reds, { timeout: 15_000, interval: 250 })
        .toBeGreaterThanOrEqual(1);
      const seen = await fleetLane();
      expect(seen?.gate).toMatchObject({ unattended: true, relay: `serial:${board.path}` });
      expect(seen?.gate?.counts).toMatchObject({ opens: 1, repeats: 2 });
      expect(seen?.devices).toContainEqual(expect.objectContaining({ kind: 'relay', status: 'connected' }));

      // The keep-alive runs while the lane does.
      const keepAlives = board.frames().filter((f) => f.hex === KEEP).length;
      await sleep(KEEP_MS * 4);
      expect(board.frames().filter((f) => f.hex === KEEP).length).toBeGreaterThan(keepAlives);

      // Logs name gate actions and reasons, never a subject or a scan id.
      const gateLines = lane.logs.filter((l) => l.includes('"gate":'));
      expect(gateLines.length).toBeGreaterThan(3);
      const ids = lane.decisions.map((d) => d['scanId']).filter((id): id is string => typeof id === 'string');
      for (const line of gateLines) {
        expect(line).not.toContain(F0);
        expect(line).not.toContain(CLEAN);
        for (const id of ids) expect(line).not.toContain(id);
      }
    } finally {
      await lane.kill('SIGKILL');
    }

    // Killed: no frame after (a watchdog board shuts by itself), for well over 3 keep-alive periods.
    const framesAtKill = board.frames().length;
    await sleep(KEEP_MS * 3 + 1500);
    expect(board.frames().length).toBe(framesAtKill);

    // The next start: idle comes first, before anything else.
    const again = new LaneProcess(data, laneArgs());
    try {
      await again.waitForLog('lane started', 40_000);
      await again.until('a first frame', () => board.frames().length > framesAtKill);
      expect(board.frames()[framesAtKill]!.hex).toBe(IDLE);
      // SIGTERM: the gate shut (idle last) and the process ends 0.
      await again.kill('SIGTERM');
      expect(again.child.exitCode).toBe(0);
      expect(commands().at(-1)).toBe(IDLE);
    } finally {
      await again.kill('SIGKILL');
    }
  }, 120_000);

  it('a crash after the gate started (the display port is taken) drives it idle, then exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const before = board.frames().length;
      const code = await server.enrollmentCode('GATE-1');
      const args = ['--server', server.url, '--enroll', code, ...laneArgs()].map((a) =>
        a === 'none' ? 'serve' : a,
      );
      const lane = new LaneProcess(join(dir, 'lane-crash'), args, { CHECKPOINT_DISPLAY_PORT: String(port) });
      await lane.until('exit', () => lane.child.exitCode !== null, 40_000).catch(() => undefined);
      await lane.kill('SIGKILL');
      expect(lane.child.exitCode).toBe(1);
      expect(lane.logs.join('\n')).toMatch(/EADDRINUSE/);
      // Idle first at start; after the crash the fault frames, then idle last.
      expect(commands(before)).toEqual([IDLE, FAULT, IDLE]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('anti-passback: the same code recorded again after the repeat window does not reopen; another code does', async () => {
    const before = board.frames().length;
    const code = await server.enrollmentCode('GATE-1');
    const lane = new LaneProcess(join(dir, 'lane-passback'), [
      ...['--server', server.url, '--enroll', code, '--name', 'gate-passback'],
      ...laneArgs(),
    ]);
    try {
      await lane.waitForLog('lane started', 40_000);
      scanner.send(`${CLEAN}\r`);
      expect(await lane.decision(1)).toMatchObject({ decision: 'green', recorded: true });
      await lane.until('the gate to open', () => commands(before).includes(GREEN));
      // Past the checkpoint's repeat window (5 s): recorded again, but the code opened the gate
      // within passbackSec (300 s): held shut ("see staff"), the amber frames, counted.
      await sleep(5600);
      scanner.send(`${CLEAN}\r`);
      const again = await lane.decision(2);
      expect(again).toMatchObject({ decision: 'green', recorded: true });
      expect(JSON.stringify(again)).not.toMatch(/passback/i);
      await lane.waitForLog('"gate":"passback"');
      await lane.until('the passback shut frames', () => commands(before).includes(AMBER));
      expect(commands(before).filter((h) => h === GREEN)).toHaveLength(1);
      // Another code opens.
      scanner.send(`079201004568\r`);
      expect(await lane.decision(3)).toMatchObject({ decision: 'green', recorded: true });
      await lane.until(
        'the gate to open again',
        () => commands(before).filter((h) => h === GREEN).length === 2,
      );
      for (const line of lane.logs.filter((l) => l.includes('"gate":'))) expect(line).not.toContain(CLEAN);
    } finally {
      await lane.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses a malformed relay profile, naming the field (exit 2)', async () => {
    const bad = join(dir, 'bad-relay.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ...profile,
        relay: { ...profile.relay, commands: { ...profile.relay.commands, green: ['A0 01 01 A3'] } },
      }),
    );
    const lane = new LaneProcess(join(dir, 'lane-bad'), [
      '--relay',
      `serial:${board.path}`,
      '--relay-profile',
      bad,
    ]);
    await lane.until('exit', () => lane.child.exitCode !== null, 20_000).catch(() => undefined);
    await lane.kill('SIGKILL');
    expect(lane.child.exitCode).toBe(2);
    expect(lane.logs.join('\n')).toMatch(/\/relay\/commands\/green\/0/);

    const short = join(dir, 'short-relay.json');
    writeFileSync(short, JSON.stringify({ ...profile, relay: { ...profile.relay, openMs: 100 } }));
    const lane2 = new LaneProcess(join(dir, 'lane-bad'), ['--relay', 'simulated', '--relay-profile', short]);
    await lane2.until('exit', () => lane2.child.exitCode !== null, 20_000).catch(() => undefined);
    await lane2.kill('SIGKILL');
    expect(lane2.child.exitCode).toBe(2);
    expect(lane2.logs.join('\n')).toMatch(/\/relay\/openMs/);

    // A "shut" that opens: red sends green's barrier frame.
    const opens = join(dir, 'opens-relay.json');
    writeFileSync(
      opens,
      JSON.stringify({
        ...profile,
        relay: { ...profile.relay, commands: { ...profile.relay.commands, red: [GREEN] } },
      }),
    );
    const lane3 = new LaneProcess(join(dir, 'lane-bad'), ['--relay', 'simulated', '--relay-profile', opens]);
    await lane3.until('exit', () => lane3.child.exitCode !== null, 20_000).catch(() => undefined);
    await lane3.kill('SIGKILL');
    expect(lane3.child.exitCode).toBe(2);
    expect(lane3.logs.join('\n')).toMatch(/\/relay\/commands\/red\/0/);

    const noProfile = new LaneProcess(join(dir, 'lane-bad'), ['--relay', 'simulated']);
    await noProfile.until('exit', () => noProfile.child.exitCode !== null, 20_000).catch(() => undefined);
    expect(noProfile.child.exitCode).toBe(2);
    expect(noProfile.logs.join('\n')).toMatch(/--relay-profile/);
  });
});
