// The chip card's name and birth date are for the officer's screen only: the real lane binary
// with --json and trace-level logs, fed a card over stdin, prints and logs neither, its data
// folder holds neither, and neither reaches the sync server's database.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ServerUnderTest, stdinLaneArgs } from './lane-helpers.js';

const F0 = '001090123456';
const CARD = `${F0}|012345678|Nguyễn Văn An|01011990|Nam|Hà Nội|15042021`;
const SECRETS = [/Nguyễn Văn An/, /Nguyen Van An/i, /01\/01\/1990/, /01011990/, /Hà Nội/];

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'card-holder-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-holder-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('HOLD-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,X,\n`);
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How many scans the server holds (one lane in this test). */
function serverScanCount(): number {
  const db = new Database(`${server.dataDir}/server.db`, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM scans').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Every file under `root`, as text. */
function allText(root: string): string {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => join(root, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file).toString('utf8'))
    .join('\n');
}

describe('the card holder', () => {
  it('is never printed, logged, stored on the lane or uploaded', async () => {
    const laneDir = join(dir, 'lane');
    const child = spawn(
      process.execPath,
      stdinLaneArgs(server.url, await server.enrollmentCode('HOLD-1'), 'holder-lane', laneDir),
      { env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'trace' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until the lane has its lists (an F0 then decides red), then scan the card.
    await expect.poll(() => stderr, { timeout: 20_000 }).toMatch(/"list":"health"[^\n]*snapshot applied/);
    child.stdin.write(`${CARD}\n`);
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('"decision"');
    const line = JSON.parse(stdout.split('\n')[0]!) as { decision: string; subject: { masked: string } };
    expect(line.decision).toBe('red');
    expect(line.subject.masked).toBe('••••••••3456');
    // Uploaded: the server holds the scan.
    await expect.poll(() => serverScanCount(), { timeout: 10_000 }).toBe(1);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    for (const s of SECRETS) {
      expect(stdout).not.toMatch(s);
      expect(stderr).not.toMatch(s);
      expect(allText(laneDir)).not.toMatch(s);
      expect(allText(join(dir, 'server'))).not.toMatch(s);
    }
  });
});
