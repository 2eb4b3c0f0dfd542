import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decide,
  findMissing,
  SETUP_COMMAND,
  systemProbes,
  TEST_TOOLS,
  type Probes,
} from './preflight-test.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'preflight-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A folder of fake executables, to stand as PATH. */
function fakeBin(name: string, commands: readonly string[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const c of commands) {
    writeFileSync(join(dir, c), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, c), 0o755);
  }
  return dir;
}

/** Probes with a given PATH and files, and chosen privileges. */
function probes(
  path: string,
  over: Partial<Pick<Probes, 'isRoot' | 'canSudo' | 'hasLibrary'>> & { files?: string[] } = {},
  env: Record<string, string> = {},
): Probes {
  const real = systemProbes({ ...env, PATH: path });
  return {
    ...real,
    hasFile: (p) => (over.files ?? []).includes(p),
    hasLibrary: over.hasLibrary ?? (() => true),
    isRoot: over.isRoot ?? (() => false),
    canSudo: over.canSudo ?? (() => false),
  };
}

const ALL = ['socat', 'ffmpeg', 'udevadm', 'swtpm', 'tpm2_unseal', 'faketime', 'apt-get'];

describe('npm test preflight', () => {
  it('finds each tool by its probe: PATH, library, Chromium where the browser tests launch it', () => {
    const full = probes(fakeBin('full', ALL), { files: ['/usr/bin/chromium'] });
    expect(findMissing(TEST_TOOLS, full)).toEqual([]);
    expect(decide([], full)).toEqual({ action: 'run' });

    const bare = probes(fakeBin('bare', ['apt-get']), { hasLibrary: () => false });
    expect(findMissing(TEST_TOOLS, bare).map((t) => t.package)).toEqual([
      'chromium',
      'socat',
      'ffmpeg',
      'udev',
      'libusb-1.0-0',
      'swtpm',
      'tpm2-tools',
      'faketime',
    ]);
    // A non-executable file on PATH does not count.
    const dir = fakeBin('noexec', []);
    writeFileSync(join(dir, 'socat'), '');
    expect(probes(dir).hasCommand('socat')).toBe(false);
    // CHECKPOINT_CHROMIUM names the browser instead of /usr/bin/chromium.
    const chromium = TEST_TOOLS.find((t) => t.package === 'chromium');
    if (!chromium) throw new Error('no chromium entry');
    const custom = probes(
      fakeBin('env', ALL),
      { files: ['/opt/chromium/chrome'] },
      {
        CHECKPOINT_CHROMIUM: '/opt/chromium/chrome',
      },
    );
    expect(findMissing([chromium], custom)).toEqual([]);
    expect(
      findMissing(
        [chromium],
        probes(
          fakeBin('env2', ALL),
          { files: ['/usr/bin/chromium'] },
          {
            CHECKPOINT_CHROMIUM: '/nowhere/chrome',
          },
        ),
      ),
    ).toEqual([chromium]);
  });

  it('installs what is missing as root or with passwordless sudo, else stops with the one command', () => {
    const path = fakeBin('partial', ['apt-get', 'ffmpeg', 'udevadm', 'swtpm', 'tpm2_unseal', 'faketime']);
    const asRoot = probes(path, { isRoot: () => true, files: ['/usr/bin/chromium'] });
    const missing = findMissing(TEST_TOOLS, asRoot);
    expect(decide(missing, asRoot)).toEqual({ action: 'install', packages: ['socat'] });
    const sudo = probes(path, { canSudo: () => true });
    expect(decide(findMissing(TEST_TOOLS, sudo), sudo)).toEqual({
      action: 'install',
      packages: ['chromium', 'socat'],
    });

    const user = probes(path);
    const stop = decide(findMissing(TEST_TOOLS, user), user);
    expect(stop.action).toBe('stop');
    if (stop.action !== 'stop') return;
    expect(stop.message).toContain(`\n    ${SETUP_COMMAND}\n`);
    expect(stop.message).toMatch(/chromium +browser tests/);
    expect(stop.message).toMatch(/socat +serial scanner tests/);
    expect(stop.message).not.toContain('ffmpeg');
    expect(stop.message).toContain('sudo asks for a password');

    const noApt = probes(fakeBin('noapt', []), { isRoot: () => true, hasLibrary: () => true });
    const stopped = decide(findMissing(TEST_TOOLS, noApt), noApt);
    expect(stopped).toMatchObject({
      action: 'stop',
      message: expect.stringContaining('no apt-get') as unknown,
    });
  });

  it('stops `npm test` at once, exit 1, when tools are missing and it cannot install', () => {
    const script = fileURLToPath(new URL('./preflight-test.mjs', import.meta.url));
    const started = Date.now();
    // No sudo and no apt-get on this PATH; as root, "no apt-get" is why, else the password.
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { PATH: fakeBin('empty', []), CHECKPOINT_CHROMIUM: '/nowhere/chromium' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm test: the tests need Debian packages that are missing here');
    expect(r.stderr).toContain(`    ${SETUP_COMMAND}\n`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('runs first in `npm test`, before the build and vitest', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['test']).toMatch(/^node scripts\/preflight-test\.mjs && /);
  });

  it('gives setup-debian.sh its package list', () => {
    const script = fileURLToPath(new URL('./preflight-test.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--packages'], { encoding: 'utf8' });
    expect(r.stdout.trim().split(' ')).toEqual(TEST_TOOLS.map((t) => t.package));
  });
});
