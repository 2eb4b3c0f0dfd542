// `--display chromium`: what sits on Chromium's command line (readable by any local user in
// `ps`) is a one-time link of the real display server, worthless once loaded, and a relaunched
// window gets a fresh one. Chromium itself is stood in for by a recorded spawn.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisplayServer, type DisplayAgent } from '../display-api/display-server.js';
import { ChromiumDisplay, chromiumArgs, type SpawnChromium } from './chromium-launcher.js';

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
  desk: unused,
  onEvent: () => () => undefined,
};

let server: DisplayServer;
let origin: string;
beforeEach(async () => {
  server = new DisplayServer({ agent, logger });
  origin = await server.start();
});
afterEach(async () => {
  await server.stop();
});

/** A spawn that records each command line and hands back a child the test can make exit. */
function recordingSpawn(): { spawn: SpawnChromium; launches: string[][]; children: EventEmitter[] } {
  const launches: string[][] = [];
  const children: EventEmitter[] = [];
  const spawn: SpawnChromium = (_command, args) => {
    launches.push(args);
    const child = Object.assign(new EventEmitter(), { pid: 1000 + launches.length, kill: () => true });
    children.push(child);
    return child as unknown as ChildProcess;
  };
  return { spawn, launches, children };
}

const appUrl = (args: readonly string[]): string =>
  args.find((a) => a.startsWith('--app='))?.slice('--app='.length) ?? '';

async function status(url: string): Promise<number> {
  return (await fetch(url, { redirect: 'manual' })).status;
}

describe('ChromiumDisplay command line', () => {
  it('holds only one-time links: no token, and a link is refused once a window has loaded it', async () => {
    const { spawn, launches } = recordingSpawn();
    const display = new ChromiumDisplay({
      views: ['officer', 'traveller'],
      mintLink: (view) => server.mintLink(view),
      profileDir: '/tmp/lane-profile',
      logger,
      spawn,
    });
    display.start();
    display.stop();
    expect(launches).toHaveLength(2);
    const [officer, traveller] = launches.map(appUrl);
    expect(officer).toMatch(new RegExp(`^${origin}/\\?code=[\\w-]+$`));
    expect(traveller).toMatch(new RegExp(`^${origin}/traveller\\?code=[\\w-]+$`));
    expect(launches.flat().join(' ')).not.toMatch(/token/i);
    // The window loads its link (a session cookie for it); the same command line read from `ps`
    // afterwards buys nothing.
    expect(await status(officer ?? '')).toBe(303);
    expect(await status(officer ?? '')).toBe(403);
    expect(await status(traveller ?? '')).toBe(303);
    expect(await status(traveller ?? '')).toBe(403);
  });

  it('relaunches a window that exited with a fresh link', async () => {
    const { spawn, launches, children } = recordingSpawn();
    const display = new ChromiumDisplay({
      views: ['officer'],
      mintLink: (view) => server.mintLink(view),
      profileDir: '/tmp/lane-profile',
      logger,
      spawn,
    });
    display.start();
    const first = appUrl(launches[0] ?? []);
    expect(await status(first)).toBe(303);
    children[0]?.emit('exit', 1, null);
    const end = Date.now() + 10_000;
    while (launches.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    display.stop();
    const second = appUrl(launches[1] ?? []);
    expect(second).not.toBe(first);
    expect(await status(second)).toBe(303);
  });

  it('puts the link it is given in --app and nothing else of it anywhere', () => {
    const args = chromiumArgs('http://127.0.0.1:5/?code=abc', '/p', { kiosk: true, headless: false });
    expect(args.filter((a) => a.includes('code=abc'))).toEqual(['--app=http://127.0.0.1:5/?code=abc']);
    expect(args).toContain('--kiosk');
  });
});
