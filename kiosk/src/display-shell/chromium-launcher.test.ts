// `--display chromium`: Chromium's command line is readable by any local user
// (/proc/PID/cmdline), so it carries only a file:// launch page; the one-time link of the real
// display server sits in that page, 0600 in the window's 0700 profile folder, and the page goes
// once the link is used. A window refused its link (someone else used it) or slow to use it is
// relaunched with a fresh one. Chromium is stood in for by a recorded spawn, and run for real
// (Debian Chromium, headless) in the last test.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisplayServer, type DisplayAgent } from '../display-api/display-server.js';
import { CHROMIUM_PATH, ChromiumDisplay, chromiumArgs, type SpawnChromium } from './chromium-launcher.js';

const logger = pino({ level: 'silent' });
const unused = (): never => {
  throw new Error('not used');
};
const agent: DisplayAgent = {
  submit: unused,
  override: unused,
  acknowledge: unused,
  status: () => ({}),
  officers: () => [],
  desk: () => ({ pending: [], pendingCount: 0, recent: [] }),
  onEvent: () => () => undefined,
};

let server: DisplayServer;
let origin: string;
let dir: string;
beforeEach(async () => {
  server = new DisplayServer({ agent, logger });
  origin = await server.start();
  dir = mkdtempSync(join(tmpdir(), 'chromium-launcher-'));
});
afterEach(async () => {
  await server.stop();
  // Chromium's helper processes may still be writing its profile for seconds after the window
  // closed (ENOTEMPTY while they do): try again for up to 20 s.
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      break;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}, 30_000);

interface FakeChild extends EventEmitter {
  killed: boolean;
}

/** A spawn that records each command line and hands back a child the test can make exit. */
function recordingSpawn(): { spawn: SpawnChromium; launches: string[][]; children: FakeChild[] } {
  const launches: string[][] = [];
  const children: FakeChild[] = [];
  const spawn: SpawnChromium = (_command, args) => {
    launches.push(args);
    const child: FakeChild = Object.assign(new EventEmitter(), {
      pid: 1000 + launches.length,
      killed: false,
    });
    Object.assign(child, {
      kill: () => {
        child.killed = true;
        setImmediate(() => child.emit('exit', null, 'SIGTERM'));
        return true;
      },
    });
    children.push(child);
    return child as unknown as ChildProcess;
  };
  return { spawn, launches, children };
}

/** The launch page a command line names. */
const launchFile = (args: readonly string[]): string =>
  fileURLToPath(args.find((a) => a.startsWith('--app='))?.slice('--app='.length) ?? 'file:///none');

/** The one-time link inside a launch page. */
const linkIn = (file: string): string =>
  /content="0;url=([^"]+)"/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';

async function status(url: string): Promise<number> {
  return (await fetch(url, { redirect: 'manual' })).status;
}

async function until(test: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(test()).toBe(true);
}

describe('ChromiumDisplay command line', () => {
  it('holds no code: the link is in a 0600 launch page in the 0700 profile, gone once used', async () => {
    const { spawn, launches } = recordingSpawn();
    const display = new ChromiumDisplay({
      views: ['officer', 'traveller'],
      mintLink: (view, watch) => server.mintLink(view, 60_000, watch),
      profileDir: join(dir, 'profile'),
      logger,
      spawn,
    });
    display.start();
    expect(launches).toHaveLength(2);
    const argv = launches.flat().join(' ');
    expect(argv).not.toMatch(/code=/);
    expect(argv).not.toMatch(/token/i);
    const [officerFile, travellerFile] = launches.map(launchFile);
    expect(officerFile).toMatch(new RegExp(`^${join(dir, 'profile-0')}/launch-[\\w-]+\\.html$`));
    expect(travellerFile).toMatch(new RegExp(`^${join(dir, 'profile-1')}/launch-[\\w-]+\\.html$`));
    for (const file of [officerFile ?? '', travellerFile ?? '']) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
      expect(readFileSync(file, 'utf8')).not.toMatch(/<script/i);
    }
    const officer = linkIn(officerFile ?? '');
    const traveller = linkIn(travellerFile ?? '');
    expect(officer).toMatch(new RegExp(`^${origin}/\\?code=[\\w-]+$`));
    expect(traveller).toMatch(new RegExp(`^${origin}/traveller\\?code=[\\w-]+$`));
    // The window loads its link: the session is its, the page is gone, the link buys nothing more.
    expect(await status(officer)).toBe(303);
    expect(existsSync(officerFile ?? '')).toBe(false);
    expect(existsSync(travellerFile ?? '')).toBe(true);
    expect(await status(traveller)).toBe(303);
    expect(existsSync(travellerFile ?? '')).toBe(false);
    display.stop();
  });

  it('relaunches a window whose link someone else used, with a fresh link, and warns', async () => {
    const { spawn, launches, children } = recordingSpawn();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const display = new ChromiumDisplay({
      views: ['officer'],
      mintLink: (view, watch) => server.mintLink(view, 60_000, watch),
      profileDir: join(dir, 'profile'),
      logger: pino({ level: 'warn' }, sink),
      spawn,
    });
    display.start();
    const link = linkIn(launchFile(launches[0] ?? []));
    expect(await status(link)).toBe(303); // someone else, first
    expect(children[0]?.killed).toBe(false);
    expect(await status(link)).toBe(403); // the window, refused
    await until(() => launches.length === 2);
    display.stop();
    expect(children[0]?.killed).toBe(true);
    expect(lines.join('')).toMatch(/used by someone else/);
    expect(lines.join('')).not.toContain(link.split('code=')[1] ?? '');
    const fresh = linkIn(launchFile(launches[1] ?? []));
    expect(fresh).not.toBe(link);
    expect(await status(fresh)).toBe(303);
  });

  it('relaunches a window that exited with a fresh link, and removes the old launch page', async () => {
    const { spawn, launches, children } = recordingSpawn();
    const display = new ChromiumDisplay({
      views: ['officer'],
      mintLink: (view, watch) => server.mintLink(view, 60_000, watch),
      profileDir: join(dir, 'profile'),
      logger,
      spawn,
    });
    display.start();
    const firstFile = launchFile(launches[0] ?? []);
    const first = linkIn(firstFile);
    children[0]?.emit('exit', 1, null);
    expect(existsSync(firstFile)).toBe(false);
    await until(() => launches.length === 2);
    display.stop();
    const second = linkIn(launchFile(launches[1] ?? []));
    expect(second).not.toBe(first);
    expect(await status(second)).toBe(303);
  });

  it('relaunches a window that did not use its link in time, and removes the page', async () => {
    const { spawn, launches, children } = recordingSpawn();
    const display = new ChromiumDisplay({
      views: ['traveller'],
      mintLink: (view, watch) => server.mintLink(view, 200, watch),
      linkTtlMs: 200,
      profileDir: join(dir, 'profile'),
      logger,
      spawn,
    });
    display.start();
    const firstFile = launchFile(launches[0] ?? []);
    await until(() => launches.length === 2);
    display.stop();
    expect(children[0]?.killed).toBe(true);
    expect(existsSync(firstFile)).toBe(false);
  });

  it('puts the launch page it is given in --app', () => {
    const args = chromiumArgs('file:///p/launch-x.html', '/p', { kiosk: true, headless: false });
    expect(args).toContain('--app=file:///p/launch-x.html');
    expect(args).toContain('--kiosk');
  });
});

describe.skipIf(!existsSync(CHROMIUM_PATH))('ChromiumDisplay in Debian Chromium', () => {
  it('signs the officer window in through its launch page', async () => {
    await server.stop();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    server = new DisplayServer({
      agent,
      logger: pino({ level: 'info' }, sink),
      staticDir: fileURLToPath(new URL('../../dist/display', import.meta.url)),
    });
    await server.start();
    const profileDir = join(dir, 'profile');
    const display = new ChromiumDisplay({
      views: ['officer'],
      mintLink: (view, watch) => server.mintLink(view, 60_000, watch),
      profileDir,
      logger,
      headless: true,
    });
    display.start();
    try {
      // The officer WebSocket is let in only with the officer session the link bought.
      await until(
        () => lines.some((l) => l.includes('display connected') && l.includes('"officer"')),
        30_000,
      );
      expect(lines.join('')).toMatch(/display link used; session opened/);
      expect(readdirSync(join(dir, 'profile-0')).filter((n) => n.startsWith('launch-'))).toEqual([]);
    } finally {
      display.stop();
      const end = Date.now() + 10_000; // Chromium closing, so its profile can go
      while (!lines.some((l) => l.includes('display disconnected')) && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
    }
  }, 40_000);
});
