import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHECK = join(root, 'scripts/check-front-door.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'front-door-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Every `bin` of the workspaces: [workspace, name, target]. */
function workspaceBins(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const ws of ['shared', 'sync-server', 'kiosk']) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    for (const [name, target] of Object.entries(pkg.bin ?? {})) out.push([ws, name, target]);
  }
  return out;
}

describe('the README front door after `npm ci` on a fresh clone', () => {
  it('links the three contract bins to git-tracked, executable launchers (npm links before `prepare` builds)', () => {
    const bins = workspaceBins();
    expect(bins.map(([, name]) => name).sort()).toEqual([
      'checkpoint-admin',
      'checkpoint-lane',
      'checkpoint-server',
    ]);
    for (const [ws, , target] of bins) {
      const path = `${ws}/${target}`;
      // A fresh clone holds only tracked files: a bin under the ignored dist/ is missing at link time.
      const staged = spawnSync('git', ['ls-files', '--stage', '--', path], { cwd: root, encoding: 'utf8' });
      expect(staged.stdout, `${path} must be committed`).toMatch(/^100755 /);
      expect(readFileSync(join(root, path), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it('runs each README `npx` command from node_modules/.bin with --help, never the registry', () => {
    const r = spawnSync(process.execPath, [CHECK], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const bin of ['checkpoint-server', 'checkpoint-admin', 'checkpoint-lane'])
      expect(r.stdout).toContain(`npx ${bin} resolves locally`);
  }, 120_000);

  it('fails, without asking the registry, when a README bin is not linked locally', () => {
    const fake = join(tmp, 'repo');
    mkdirSync(fake, { recursive: true });
    spawnSync('git', ['init', '-q'], { cwd: fake });
    writeFileSync(join(fake, 'package.json'), JSON.stringify({ scripts: { start: 'true' } }));
    writeFileSync(
      join(fake, 'README.md'),
      '```sh\nnpm start\nnpm run nope\nnpx checkpoint-nowhere --port 1\n```\n',
    );
    const r = spawnSync(process.execPath, [CHECK, '--root', fake], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm run nope: no such script');
    expect(r.stderr).toContain('npx checkpoint-nowhere: no node_modules/.bin/checkpoint-nowhere');
  });

  it('says in one line to build when dist/ is missing', () => {
    for (const [ws, name, target] of workspaceBins()) {
      const copy = join(tmp, ws, target);
      mkdirSync(join(copy, '..'), { recursive: true });
      copyFileSync(join(root, ws, target), copy);
      const r = spawnSync(process.execPath, [copy, '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`${name}: not built yet (no ${ws}/dist/); run \`npm run build\` first\n`);
    }
  });
});
