// `npm test` runs this first: are the Debian tools the tests use here? If some are missing it
// installs them with scripts/setup-debian.sh when it can (root or passwordless sudo, and apt),
// else it stops at once with the one command to run, never deep inside a browser test.
//   node scripts/preflight-test.mjs             check, install if possible, or stop (exit 1)
//   node scripts/preflight-test.mjs --packages  print the Debian packages (setup-debian.sh reads it)
// To need another tool, add one line to TEST_TOOLS: the package, why, and how to find it
// (`command` on PATH, optionally overridden by an environment variable holding its path;
// `library` by its soname; `file` by absolute candidate paths, any of which will do).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The Debian packages the tests use, each with how to tell it is installed. */
export const TEST_TOOLS = [
  // Where tests/e2e/browser.ts launches it from.
  {
    package: 'chromium',
    why: 'browser tests (lane display, admin console)',
    env: 'CHECKPOINT_CHROMIUM',
    file: ['/usr/bin/chromium'],
  },
  { package: 'socat', why: 'serial scanner tests (pseudo-terminal pairs)', command: 'socat' },
  { package: 'ffmpeg', why: 'camera fixtures', command: 'ffmpeg' },
  { package: 'udev', why: 'SerialPort.list()', command: 'udevadm' },
  { package: 'libusb-1.0-0', why: 'node-hid (HID POS scanners)', library: 'libusb-1.0.so.0' },
  { package: 'swtpm', why: 'a software TPM 2.0 for the sealed lane secrets tests', command: 'swtpm' },
  {
    package: 'tpm2-tools',
    why: "the lane's TPM key store (tpm2_create, tpm2_unseal)",
    command: 'tpm2_unseal',
  },
  {
    package: 'faketime',
    why: 'tracing tests: a real lane whose clock runs an hour behind (libfaketime)',
    command: 'faketime',
  },
];

const LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The probes of this machine: PATH lookups, library folders, privileges and apt. */
export function systemProbes(env = process.env) {
  const hasCommand = (name) =>
    (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, name)));
  return {
    env,
    hasCommand,
    hasFile: (path) => existsSync(path),
    hasLibrary(soname) {
      const dirs = [...LIB_DIRS];
      // Debian keeps libraries in multiarch folders (/usr/lib/x86_64-linux-gnu, …).
      for (const base of ['/lib', '/usr/lib']) {
        try {
          for (const d of readdirSync(base)) if (/-linux-gnu/.test(d)) dirs.push(join(base, d));
        } catch {
          // no such folder
        }
      }
      return dirs.some((d) => existsSync(join(d, soname)));
    },
    isRoot: () => process.getuid?.() === 0,
    canSudo: () => hasCommand('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
    hasApt: () => hasCommand('apt-get'),
  };
}

/** Whether one tool is present, by its probe. */
export function toolPresent(tool, probes) {
  if (tool.env !== undefined && probes.env[tool.env]) return probes.hasFile(probes.env[tool.env]);
  if (tool.command !== undefined) return probes.hasCommand(tool.command);
  if (tool.library !== undefined) return probes.hasLibrary(tool.library);
  if (tool.file !== undefined) return tool.file.some((f) => probes.hasFile(f));
  throw new Error(`TEST_TOOLS entry ${tool.package} says neither command, library nor file`);
}

/** The tools that are missing. */
export function findMissing(tools, probes) {
  return tools.filter((t) => !toolPresent(t, probes));
}

/** The one command that installs what the tests need. */
export const SETUP_COMMAND = 'npm run setup:debian';

/** The message that stops `npm test` when tools are missing and cannot be installed here. */
export function stopMessage(missing, why) {
  const list = missing.map((t) => `  ${t.package.padEnd(14)} ${t.why}`).join('\n');
  return (
    `npm test: the tests need Debian packages that are missing here:\n${list}\n` +
    `${why}. Install them once with:\n\n    ${SETUP_COMMAND}\n\n` +
    'then run npm test again.'
  );
}

/**
 * What to do about missing tools: run the tests, install the packages (root or passwordless
 * sudo, and apt-get), or stop with the one command to run.
 */
export function decide(missing, probes) {
  if (missing.length === 0) return { action: 'run' };
  if (!probes.hasApt()) {
    return {
      action: 'stop',
      message: stopMessage(
        missing,
        'There is no apt-get here (elsewhere than Debian, use its package manager)',
      ),
    };
  }
  if (!probes.isRoot() && !probes.canSudo()) {
    return {
      action: 'stop',
      message: stopMessage(missing, 'Installing needs root or sudo, and sudo asks for a password'),
    };
  }
  return { action: 'install', packages: missing.map((t) => t.package) };
}

function main() {
  if (process.argv.includes('--packages')) {
    process.stdout.write(`${TEST_TOOLS.map((t) => t.package).join(' ')}\n`);
    return 0;
  }
  const probes = systemProbes();
  const decision = decide(findMissing(TEST_TOOLS, probes), probes);
  if (decision.action === 'run') return 0;
  if (decision.action === 'stop') {
    process.stderr.write(`${decision.message}\n`);
    return 1;
  }
  process.stderr.write(`npm test: installing ${decision.packages.join(', ')} (scripts/setup-debian.sh)\n`);
  const setup = new URL('setup-debian.sh', import.meta.url).pathname;
  const installed = spawnSync('bash', [setup, ...decision.packages], { stdio: 'inherit' });
  const still = findMissing(TEST_TOOLS, probes);
  if (still.length === 0) return 0;
  const why =
    installed.status !== 0 ? 'Installing them failed (is apt reachable?)' : 'Installing left them missing';
  process.stderr.write(`${stopMessage(still, why)}\n`);
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) process.exit(main());
