// The lane CLI as a real process, killed with SIGKILL mid-snapshot and mid-upload, then
// restarted on the same data: its lists are whole and every recorded scan reaches the server
// exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, range, ServerUnderTest } from './lane-helpers.js';

let dir: string;
let server: ServerUnderTest;
const BIG = 200_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-crash-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-crash-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('CRASH-1', 'open');
  const rows = range(BIG).map(
    (i) => `0010${String(90_000_000 + i).padStart(8, '0')},F1,2026-01-01,2099-12-31,,`,
  );
  await server.importCsv('health', `id,status,since,until,name,note\n${rows.join('\n')}\n`);
}, 120_000);

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface LaneProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitForLog(fragment: string): Promise<void>;
}

function startLane(dataDir: string, args: string[], env: Record<string, string> = {}): LaneProcess {
  const child = spawn(
    process.execPath,
    [LANE_JS, '--data', dataDir, '--scanner', 'stdin', '--json', ...INSECURE_KEY_STORE_ARGS, ...args],
    {
      env: { ...process.env, CHECKPOINT_FIRST_SYNC_MS: '0', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const waiters: { fragment: string; resolve: () => void }[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => line.includes(w.fragment))) w.resolve();
  });
  return {
    child,
    lines,
    waitForLog: (fragment) =>
      lines.some((l) => l.includes(fragment))
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ fragment, resolve });
            child.once('exit', () => {
              reject(new Error(`lane exited before logging "${fragment}":\n${lines.join('\n')}`));
            });
          }),
  };
}

async function kill9(lane: LaneProcess): Promise<void> {
  const exited = once(lane.child, 'exit');
  lane.child.kill('SIGKILL');
  await exited;
}

function laneDb(dataDir: string): { healthVersion: number; healthEntries: number; lastSeq: number } {
  const db = new Database(join(dataDir, 'lane.db'), { readonly: true });
  try {
    const version = (
      db.prepare("SELECT version FROM list_state WHERE list = 'health'").get() as { version: number }
    ).version;
    const entries = (db.prepare('SELECT count(*) AS n FROM health_entries').get() as { n: number }).n;
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as
      { seq: number } | undefined;
    return { healthVersion: version, healthEntries: entries, lastSeq: seq?.seq ?? 0 };
  } finally {
    db.close();
  }
}

describe('a lane killed with SIGKILL', () => {
  it('mid-snapshot: restarts with its list whole (old or new, never half), then completes it', async () => {
    const data = join(dir, 'lane-snapshot');
    const first = startLane(data, [
      '--server',
      server.url,
      '--enroll',
      await server.enrollmentCode('CRASH-1'),
    ]);
    // 'snapshot started' logs the list, the version and the path it reads the bytes from.
    await first.waitForLog('"list":"health","version":1,"path":');
    await kill9(first);
    const afterCrash = laneDb(data);
    expect([0, BIG]).toContain(afterCrash.healthEntries);
    expect(afterCrash.healthVersion === 0).toBe(afterCrash.healthEntries === 0);

    const second = startLane(data, []);
    // The health snapshot applied (the whitelist's may come first).
    await second.waitForLog('"list":"health","version":1,"entries":200000');
    second.child.stdin!.end();
    await once(second.child, 'exit');
    expect(laneDb(data)).toMatchObject({ healthVersion: 1, healthEntries: BIG });
  }, 120_000);

  it('mid-upload: every recorded scan reaches the server exactly once after the restart', async () => {
    const data = join(dir, 'lane-upload');
    const first = startLane(data, [
      '--server',
      server.url,
      '--enroll',
      await server.enrollmentCode('CRASH-1'),
    ]);
    await first.waitForLog('lane started');
    const { kioskId } = JSON.parse(readFileSync(join(data, 'lane-identity.json'), 'utf8')) as {
      kioskId: string;
    };
    for (const i of range(400)) first.child.stdin!.write(`0792002${String(i).padStart(5, '0')}\n`);
    const deadline = Date.now() + 30_000;
    while (server.storedScans(kioskId).count === 0) {
      if (Date.now() > deadline) throw new Error('no upload reached the server');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await kill9(first);
    const recorded = laneDb(data).lastSeq;
    expect(recorded).toBeGreaterThan(0);

    const second = startLane(data, [], { CHECKPOINT_DRAIN_MS: '30000' });
    second.child.stdin!.end();
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const stored = server.storedScans(kioskId);
    expect(stored.seqs).toEqual(range(recorded));
    expect(stored.distinctIds).toBe(recorded);
  }, 120_000);
});
