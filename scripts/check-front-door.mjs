// The README's front door, checked on a fresh clone after `npm ci` (CI runs it from .ci/run):
// every `npx <bin>` the README names must resolve to this checkout's own git-tracked launcher in
// node_modules/.bin (never to a package fetched from the registry) and answer `--help`; every
// `npm <script>` / `npm run <script>` it names must be a script of package.json.
//   node scripts/check-front-door.mjs [--root DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// npm runs these as `npm <name>` without `run`.
const NPM_SCRIPT_SHORTCUTS = new Set(['start', 'test', 'stop', 'restart']);

/** The `npx` bins and npm scripts a README names, in order of first mention. */
export function readmeCommands(text) {
  const bins = new Set();
  const scripts = new Set();
  for (const m of text.matchAll(/\bnpx\s+(?:--?[\w-]+\s+)*([@\w][\w@/.-]*)/g)) bins.add(m[1]);
  for (const m of text.matchAll(/\bnpm\s+(?:run(?:-script)?\s+)?([\w:.-]+)/g)) {
    // Other words after `npm` are npm's own commands (`npm ci`) or prose.
    if (/\bnpm\s+run/.test(m[0]) || NPM_SCRIPT_SHORTCUTS.has(m[1])) scripts.add(m[1]);
  }
  return { bins: [...bins], scripts: [...scripts] };
}

/** Problems with one README bin in checkout `root`; an empty list when it resolves locally. */
export function checkBin(root, bin) {
  const link = join(root, 'node_modules', '.bin', bin);
  if (!existsSync(link)) {
    return [`npx ${bin}: no node_modules/.bin/${bin} (npx would ask the public registry for it)`];
  }
  const target = realpathSync(link);
  const rel = relative(realpathSync(root), target);
  if (rel.startsWith('..') || rel.startsWith('node_modules')) {
    return [`npx ${bin}: node_modules/.bin/${bin} points outside this checkout's sources (${target})`];
  }
  const tracked = spawnSync('git', ['ls-files', '--error-unmatch', rel], { cwd: root, encoding: 'utf8' });
  if (tracked.status !== 0) return [`npx ${bin}: ${rel} is not a git-tracked file`];
  // --no-install and a dead registry: if the bin were not local, npx must fail, never download.
  const run = spawnSync('npx', ['--no-install', bin, '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' },
  });
  if (run.status !== 0) {
    const why = (run.stderr || run.stdout || String(run.error ?? '')).trim().split('\n')[0];
    return [`npx --no-install ${bin} --help exited ${run.status}: ${why}`];
  }
  return [];
}

async function main() {
  const { values } = parseArgs({ options: { root: { type: 'string' } } });
  const root = resolve(values.root ?? new URL('..', import.meta.url).pathname);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const { bins, scripts } = readmeCommands(readme);
  const problems = [];
  for (const script of scripts) {
    if (!(script in (pkg.scripts ?? {}))) problems.push(`npm run ${script}: no such script in package.json`);
  }
  for (const bin of bins) {
    const found = checkBin(root, bin);
    problems.push(...found);
    if (found.length === 0) process.stdout.write(`front door: npx ${bin} resolves locally\n`);
  }
  if (bins.length === 0) problems.push('README.md names no `npx` command: is this the right README?');
  for (const p of problems) process.stderr.write(`front door: ${p}\n`);
  if (problems.length > 0) {
    process.stderr.write('front door: after `npm ci` on a fresh clone, the README commands must run\n');
    process.exit(1);
  }
  process.stdout.write(`front door: ${bins.length} npx bins, ${scripts.length} npm scripts OK\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) await main();
