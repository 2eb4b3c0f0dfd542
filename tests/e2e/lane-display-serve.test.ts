// `checkpoint-lane --display serve` for real: the built lane process enrolled with the real sync
// server process, its DATA/display.json read as a local admin would, and its one-time links
// opened in Debian Chromium: each works once, the traveller's never reaches the officer's screen
// or actions, and a used link is replaced in the file at once.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';

const CLEAN = '079301004567';

let dir: string;
let laneDir: string;
let server: ServerUnderTest;
let lane: ChildProcessWithoutNullStreams;
let stderr = '';
let browser: Browser;

interface DisplayFile {
  officerUrl: string;
  travellerUrl: string;
}
const displayFile = (): string => join(laneDir, 'display.json');
const readLinks = (): DisplayFile => JSON.parse(readFileSync(displayFile(), 'utf8')) as DisplayFile;

async function waitFor<T>(read: () => T | null, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; lane stderr:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens a link in a fresh browser context; answers the page, its HTTP status and the event frames it receives. */
async function open(link: string): Promise<{ page: Page; status: number | undefined; frames: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
  const frames: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => frames.push(payload.toString()));
  });
  const res = await page.goto(link);
  return { page, status: res?.status(), frames };
}

const hello = (frames: string[]): unknown =>
  frames.map((f) => JSON.parse(f) as { type: string }).find((m) => m.type === 'hello') ?? null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-serve-'));
  laneDir = join(dir, 'lane');
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-serve-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('SERVE-1', 'open');
  const code = await server.enrollmentCode('SERVE-1');
  lane = spawn(
    process.execPath,
    [
      LANE_JS,
      ...['--server', server.url, '--enroll', code, '--name', 'serve-lane', '--data', laneDir],
      ...['--scanner', 'stdin', '--json', '--display', 'serve'],
      ...INSECURE_KEY_STORE_ARGS,
    ],
    { env: { ...process.env, CHECKPOINT_FIRST_SYNC_MS: '2000' } },
  );
  lane.stderr.setEncoding('utf8');
  lane.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  if (lane.exitCode === null) {
    lane.stdin.end();
    await new Promise((resolve) => lane.once('exit', resolve));
  }
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('checkpoint-lane --display serve', () => {
  it('writes display.json (0600) with one-time links, and says where the display is without its codes', async () => {
    await waitFor(() => (existsSync(displayFile()) ? true : null), 'display.json');
    expect(statSync(displayFile()).mode & 0o777).toBe(0o600);
    const links = readLinks();
    const origin = new URL(links.officerUrl).origin;
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(links.officerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+$/);
    expect(links.travellerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/traveller\?code=[\w-]+$/);
    const line = await waitFor(
      () => stderr.split('\n').find((l) => l.includes('lane display at')) ?? null,
      'the display line',
    );
    expect(line).toContain(origin);
    expect(line).toContain(displayFile());
    expect(stderr).not.toContain('code=');
  });

  it('opens the officer screen once from its link, refuses the link the second time, and writes a fresh one', async () => {
    const first = readLinks();
    const officer = await open(first.officerUrl);
    expect(officer.status).toBe(200);
    expect(new URL(officer.page.url()).pathname).toBe('/');
    expect(officer.page.url()).not.toContain('code=');
    await waitFor(() => hello(officer.frames), 'the officer hello');
    expect(hello(officer.frames)).toHaveProperty('status');
    // The session carries the officer's events: a scan read by the lane reaches this screen.
    const before = officer.frames.length;
    lane.stdin.write(`${CLEAN}\n`);
    await waitFor(
      () => (officer.frames.slice(before).some((f) => f.includes('"decision"')) ? true : null),
      'the scan on the officer screen',
    );
    await screenshot(officer.page, 'serve-officer');

    const again = await open(first.officerUrl);
    expect(again.status).toBe(403);
    expect(await again.page.locator('body').innerText()).toContain('display.json');
    await screenshot(again.page, 'serve-link-used');

    const fresh = await waitFor(() => {
      const links = readLinks();
      return links.officerUrl !== first.officerUrl ? links : null;
    }, 'a fresh officer link');
    expect(fresh.travellerUrl).toBe(first.travellerUrl); // unused, still good
    expect(statSync(displayFile()).mode & 0o777).toBe(0o600);
    expect(stderr).toContain('display link used; a fresh one is in display.json');
    const next = await open(fresh.officerUrl);
    expect(next.status).toBe(200);
    await Promise.all([officer.page.close(), again.page.close(), next.page.close()]);
  });

  it('gives the traveller link its screen only: the officer page, officer events and every action are refused', async () => {
    const links = readLinks();
    const origin = new URL(links.officerUrl).origin;
    const traveller = await open(links.travellerUrl);
    expect(traveller.status).toBe(200);
    expect(new URL(traveller.page.url()).pathname).toBe('/traveller');
    await waitFor(() => hello(traveller.frames), 'the traveller hello');
    expect(hello(traveller.frames)).not.toHaveProperty('status');
    expect(hello(traveller.frames)).not.toHaveProperty('desk');
    await screenshot(traveller.page, 'serve-traveller');

    // The same browser context (its cookie) asks for more than the traveller's screen.
    const request = traveller.page.context().request;
    expect((await request.get(`${origin}/`)).status()).toBe(403);
    expect((await request.get(`${origin}/api/status`)).status()).toBe(403);
    expect((await request.get(`${origin}/api/officers`)).status()).toBe(403);
    expect((await request.post(`${origin}/api/scans`, { data: { text: CLEAN } })).status()).toBe(403);
    const officerSocket = await traveller.page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => {
            resolve('open');
          };
          ws.onerror = () => {
            resolve('refused');
          };
        }),
      `${origin.replace('http:', 'ws:')}/ws?view=officer`,
    );
    expect(officerSocket).toBe('refused');
    const page = await traveller.page.goto(`${origin}/`);
    expect(page?.status()).toBe(403);
    await traveller.page.close();
  });

  it('says with --display none that no display is served, and how to serve one', async () => {
    lane.stdin.end();
    await new Promise((resolve) => lane.once('exit', resolve));
    // The links died with the process, and so did the file that held them.
    expect(existsSync(displayFile())).toBe(false);
    const run = spawnSync(
      process.execPath,
      [LANE_JS, '--data', laneDir, '--scanner', 'stdin', '--json', ...INSECURE_KEY_STORE_ARGS],
      {
        input: '',
        encoding: 'utf8',
        env: { ...process.env, CHECKPOINT_FIRST_SYNC_MS: '0', CHECKPOINT_DRAIN_MS: '0' },
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('no lane display is served (--display none); --display serve serves one');
    expect(existsSync(displayFile())).toBe(false);
  });
});
