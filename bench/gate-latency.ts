// Scan to relay frame at an unattended gate, through real processes: the built `checkpoint-lane`
// (enrolled to a real `checkpoint-server`, lists synced) with its scanner and its relay board
// each on a socat pty pair. Times the last byte of a code typed into the scanner's pty to the
// arrival of the open (green) or shut (red) frame at the board's end, as a gate would see it.
// Each scan is a new person (recorded, so a green opens); the bench waits for the gate to shut
// again before the next one.
// Run (after `npm run build`): npx tsx bench/gate-latency.ts [scans per colour]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LaneProcess, PtyEnd } from '../tests/integration/lane-gate-helpers.js';
import { freePort, ServerUnderTest } from '../tests/integration/lane-helpers.js';
import { machine, personalId, row, summarize } from './lane-support.js';

const SCANS = Number(process.argv[2] ?? 100);
const IDLE = 'A0 01 00 A1';
const GREEN = 'A0 01 01 A2';
const RED = 'A0 04 01 A5';

const dir = mkdtempSync(join(tmpdir(), 'gate-latency-'));
const server = new ServerUnderTest(
  join(dir, 'server'),
  await freePort(),
  'admin-token-for-gate-bench-0123456789',
);
const scanner = new PtyEnd(dir, 'scanner');
const board = new PtyEnd(dir, 'relay');
let lane: LaneProcess | null = null;
try {
  await server.start();
  await server.addCheckpoint('GATE-B', 'open');
  const f0s = Array.from({ length: SCANS }, (_, i) => personalId(1_000_000 + i));
  const clean = Array.from({ length: SCANS }, (_, i) => personalId(i));
  await server.importCsv(
    'health',
    `id,status,since,until,name,note\n${f0s.map((id) => `${id},F0,2026-01-01,,A,`).join('\n')}\n`,
  );
  const profileFile = join(dir, 'relay.json');
  writeFileSync(
    profileFile,
    JSON.stringify({
      id: 'bench-lcus-gate',
      name: 'LCUS frames, shortest times (bench)',
      kind: 'relay',
      relay: {
        transport: 'serial',
        serial: { baudRate: 115200 },
        frameCheck: 'lcus',
        commands: { idle: [IDLE], green: [GREEN], red: [RED], amber: [RED] },
        openMs: 500,
        holdMs: 500,
      },
    }),
  );
  await scanner.open();
  await board.open();
  const code = await server.enrollmentCode('GATE-B');
  lane = new LaneProcess(join(dir, 'lane'), [
    ...['--server', server.url, '--enroll', code, '--name', 'gate-bench', '--json'],
    ...['--scanner', `serial:${scanner.path}`, '--relay', `serial:${board.path}`],
    ...['--relay-profile', profileFile, '--gate-mode', '--display', 'none'],
  ]);
  await lane.waitForLog('lane started', 60_000);
  const running = lane;

  /** Sends a code; answers ms until `frame` arrives at the board, then waits for idle after it. */
  const time = async (id: string, frame: string): Promise<number> => {
    const from = board.frames().length;
    const sentAt = Date.now();
    scanner.send(`${id}\r`);
    await running.until(`${frame} at the board`, () =>
      board
        .frames()
        .slice(from)
        .some((f) => f.hex === frame),
    );
    const hit = board
      .frames()
      .slice(from)
      .find((f) => f.hex === frame)!;
    await running.until('idle again', () => {
      const after = board.frames().slice(from);
      return after.findIndex((f) => f.hex === IDLE) > after.findIndex((f) => f.hex === frame);
    });
    return hit.at - sentAt;
  };

  const greens: number[] = [];
  const reds: number[] = [];
  // Warm-up (first decisions load lists and JIT), not counted.
  for (let i = 0; i < 5; i++) await time(personalId(2_000_000 + i), GREEN);
  for (let i = 0; i < SCANS; i++) {
    greens.push(await time(clean[i]!, GREEN));
    reds.push(await time(f0s[i]!, RED));
  }
  const opens = running.decisions.filter((d) => d['decision'] === 'green' && d['recorded'] === true).length;
  console.log(`gate latency, scanner pty → relay pty (${machine()}), ${SCANS} scans per colour`);
  console.log(row('green scan → open frame at the board', summarize(greens)));
  console.log(row('red scan → shut (red) frame at the board', summarize(reds)));
  const openFrames = board.frames().filter((f) => f.hex === GREEN).length;
  console.log(`recorded greens: ${opens} (warm-up 5 + ${SCANS}); open frames at the board: ${openFrames}`);
  if (openFrames !== opens) process.exitCode = 1;
} finally {
  await lane?.kill('SIGTERM');
  await scanner.close();
  await board.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
