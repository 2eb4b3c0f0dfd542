// The Electron launcher. No Electron binary can be had here, so the launcher is run against
// small shell scripts standing in for it: real processes that record how they were started,
// exit or hang, which is what the relaunch logic reacts to.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ElectronDisplay, findElectronBinary, probeElectron, shellEnv } from './electron-launcher.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'electron-launcher-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A fake `electron` npm package in `dir`; `binary`: also the downloaded binary. */
function fakePackage(options: { pathTxt: boolean; binary: boolean }): () => string {
  const pkg = join(dir, 'node_modules', 'electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron"}');
  if (options.pathTxt) writeFileSync(join(pkg, 'path.txt'), 'electron');
  if (options.binary) writeFileSync(join(pkg, 'dist', 'electron'), '');
  return () => join(pkg, 'package.json');
}

describe('findElectronBinary', () => {
  it('finds the binary the electron package downloaded', () => {
    const found = findElectronBinary({}, fakePackage({ pathTxt: true, binary: true }), {});
    expect(found).toEqual({ ok: true, path: join(dir, 'node_modules', 'electron', 'dist', 'electron') });
  });

  it('says the binary is not downloaded when the package has no path.txt', () => {
    const found = findElectronBinary({}, fakePackage({ pathTxt: false, binary: false }), {});
    expect(found).toMatchObject({ ok: false, reason: /not downloaded/ });
  });

  it('says the binary is missing when path.txt points at nothing', () => {
    const found = findElectronBinary({}, fakePackage({ pathTxt: true, binary: false }), {});
    expect(found).toMatchObject({ ok: false, reason: /missing/ });
  });

  it('says the package is not installed when it cannot be resolved', () => {
    const found = findElectronBinary(
      {},
      () => {
        throw new Error('Cannot find module');
      },
      {},
    );
    expect(found).toMatchObject({ ok: false, reason: /not installed/ });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package does', () => {
    const dist = join(dir, 'custom');
    mkdirSync(dist);
    writeFileSync(join(dist, 'electron'), '');
    const resolve = fakePackage({ pathTxt: false, binary: false });
    expect(findElectronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dist }, resolve, {})).toEqual({
      ok: true,
      path: join(dist, 'electron'),
    });
  });

  it('takes CHECKPOINT_ELECTRON first, if it exists', () => {
    const bin = script('my-electron', 'exit 0');
    const resolve = fakePackage({ pathTxt: false, binary: false });
    expect(findElectronBinary({ CHECKPOINT_ELECTRON: bin }, resolve, {})).toEqual({ ok: true, path: bin });
    expect(findElectronBinary({ CHECKPOINT_ELECTRON: join(dir, 'nope') }, resolve, {})).toMatchObject({
      ok: false,
      reason: /does not exist/,
    });
  });

  it('uses its own executable inside Electron run as Node (a packaged lane)', () => {
    const resolve = fakePackage({ pathTxt: false, binary: false });
    expect(findElectronBinary({}, resolve, { electron: '45.4.1' })).toEqual({
      ok: true,
      path: process.execPath,
    });
  });

  it('finds no binary in this repository, where it cannot be downloaded', () => {
    // Documents this machine: if a binary ever appears, the Electron path becomes testable.
    const found = findElectronBinary({});
    if (found.ok) expect(existsSync(found.path)).toBe(true);
    else expect(found.reason).toMatch(/not downloaded|missing/);
  });
});

describe('probeElectron', () => {
  it('accepts a binary that prints its version', () => {
    const bin = script('electron', 'echo v45.4.1');
    expect(probeElectron({ ok: true, path: bin })).toEqual({ ok: true, path: bin });
  });

  it('refuses a binary that fails or prints no version', () => {
    expect(probeElectron({ ok: true, path: script('broken', 'exit 1') })).toMatchObject({
      ok: false,
      reason: /does not run/,
    });
    expect(probeElectron({ ok: true, path: script('mute', 'exit 0') })).toMatchObject({ ok: false });
  });

  it('passes a missing binary through', () => {
    expect(probeElectron({ ok: false, reason: 'x' })).toEqual({ ok: false, reason: 'x' });
  });
});

describe('ElectronDisplay.screenAvailable', () => {
  it('needs a graphical display and a user other than root', () => {
    expect(ElectronDisplay.screenAvailable({ DISPLAY: ':0' }, 1000)).toEqual({ ok: true });
    expect(ElectronDisplay.screenAvailable({ WAYLAND_DISPLAY: 'wayland-0' }, 1000)).toEqual({ ok: true });
    expect(ElectronDisplay.screenAvailable({}, 1000)).toMatchObject({ ok: false, reason: /DISPLAY/ });
    expect(ElectronDisplay.screenAvailable({ DISPLAY: ':0' }, 0)).toMatchObject({
      ok: false,
      reason: /root/,
    });
  });
});

describe('shellEnv', () => {
  it('hands the pages to the shell in its environment, never as Node', () => {
    const env = shellEnv(
      { PATH: '/usr/bin', ELECTRON_RUN_AS_NODE: '1', CHECKPOINT_TRAVELLER_URL: 'stale' },
      {
        officerUrl: 'http://127.0.0.1:5/?code=c1',
        travellerUrl: null,
        dataDir: '/d',
        hideCursor: true,
        kiosk: false,
      },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      CHECKPOINT_OFFICER_URL: 'http://127.0.0.1:5/?code=c1',
      CHECKPOINT_SHELL_DATA: '/d',
      CHECKPOINT_HIDE_CURSOR: '1',
      CHECKPOINT_KIOSK: '0',
    });
  });
});

describe('ElectronDisplay', () => {
  const logged: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    }),
  );
  let display: ElectronDisplay | null = null;
  afterEach(() => {
    display?.stop();
    display = null;
    logged.length = 0;
  });

  async function until<T>(read: () => T | null, timeoutMs = 10_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (value !== null) return value;
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const launches = (file: string): string[] | null => {
    if (!existsSync(file)) return null;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    return lines.length > 0 ? lines : null;
  };

  it('starts the shell with fresh one-time links in its environment, and relaunches it with new ones', async () => {
    const record = join(dir, 'launches');
    const bin = script(
      'electron',
      `echo "$1 $CHECKPOINT_OFFICER_URL $CHECKPOINT_TRAVELLER_URL" >> ${record}\n` +
        `echo '{"shell":"window opened","role":"officer"}' >&2\necho 'gpu chatter' >&2\nexit 3`,
    );
    let minted = 0;
    display = new ElectronDisplay(
      bin,
      {
        links: () => {
          minted += 1;
          return {
            officerUrl: `http://127.0.0.1:9/?code=o${String(minted)}`,
            travellerUrl: `http://127.0.0.1:9/traveller?code=t${String(minted)}`,
          };
        },
        dataDir: dir,
      },
      logger,
      '/shell/main.js',
    );
    display.start();
    const lines = await until(() => {
      const l = launches(record);
      return l !== null && l.length >= 2 ? l : null;
    });
    expect(lines[0]).toBe('/shell/main.js http://127.0.0.1:9/?code=o1 http://127.0.0.1:9/traveller?code=t1');
    // A relaunched shell cannot reuse links its predecessor loaded: it gets new ones.
    expect(lines[1]).toBe('/shell/main.js http://127.0.0.1:9/?code=o2 http://127.0.0.1:9/traveller?code=t2');
    const entries = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'shell: window opened', role: 'officer', level: 30 }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'electron output', line: 'gpu chatter', level: 20 }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'display shell exited; relaunching', code: 3 }),
    );
  });

  it('stops the running shell and does not relaunch it', async () => {
    const record = join(dir, 'pids');
    const bin = script('electron', `echo $$ >> ${record}\nexec sleep 30`);
    display = new ElectronDisplay(
      bin,
      { links: () => ({ officerUrl: 'u', travellerUrl: null }), dataDir: dir },
      logger,
      'main.js',
    );
    display.start();
    const [pid] = await until(() => launches(record));
    const alive = (): boolean => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    display.stop();
    await display.whenStopped();
    expect(alive()).toBe(false);
    expect(launches(record)).toHaveLength(1);
    expect(logged.join('')).not.toContain('relaunching');
  });
});
