// A lane that dies shows offline at the centre within the stream grace, not minutes later: the
// real `checkpoint-server` (with `--stream-grace 2`, `--offline-after` left at 3 minutes) and a
// real `checkpoint-lane` process whose event stream closes when it is killed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ServerUnderTest, stdinLaneArgs } from './lane-helpers.js';

interface Kiosk {
  name: string;
  online: boolean;
  lastHeartbeatAt: number | null;
}

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-offline-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-lane-offline-01', [
    '--stream-grace',
    '2',
  ]);
  await server.start();
  await server.addCheckpoint('HCM-01', 'open');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lane = async (): Promise<Kiosk | undefined> =>
  (await server.admin<{ kiosks: Kiosk[] }>('GET', '/kiosks')).body.kiosks.find((k) => k.name === 'lan-1');

describe('a lane killed at its desk', () => {
  it('is offline within the grace after its event stream closed', async () => {
    const code = await server.enrollmentCode('HCM-01');
    const child = spawn(
      process.execPath,
      [...stdinLaneArgs(server.url, code, 'lan-1', join(dir, 'lane')), '--display', 'none'],
      {
        env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'warn' },
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    try {
      await expect.poll(async () => (await lane())?.online, { timeout: 20_000, interval: 100 }).toBe(true);
      // Its heartbeat is recent and its stream open: only the stream's close can tell.
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await expect.poll(async () => (await lane())?.online, { timeout: 10_000, interval: 100 }).toBe(false);
      const tookMs = Date.now() - killedAt;
      console.info(`lane offline ${tookMs} ms after it was killed (--stream-grace 2)`);
      expect(tookMs).toBeLessThan(6_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a bad --stream-grace with a clear message', async () => {
    const bad = new ServerUnderTest(join(dir, 'bad'), await freePort(), 'admin-token-for-lane-offline-01', [
      '--stream-grace',
      '0',
    ]);
    await expect(bad.start()).rejects.toThrow(/--stream-grace must be 1\.\.86400 seconds/);
  });
});
