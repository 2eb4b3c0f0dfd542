// `npm start`: the demo. A sync server on embedded SQLite (fresh, in .data/demo), seeded with a
// demo checkpoint and demo lists, and one lane reading demo codes from the simulated scanner,
// with its display in Electron if its binary is present, else in system Chromium if there is a
// screen, else served without a window, its one-time links in the lane's display.json
// (CHECKPOINT_DISPLAY=none|serve|chromium|electron chooses). Decisions print here.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const dataDir = `${root}.data/demo`;
const serverCli = `${root}sync-server/dist/cli/checkpoint-server.js`;
const adminCli = `${root}sync-server/dist/cli/checkpoint-admin.js`;
const laneCli = `${root}kiosk/dist/cli/checkpoint-lane.js`;
const electronLauncher = `${root}kiosk/dist/display-shell/electron-launcher.js`;
const chromiumLauncher = `${root}kiosk/dist/display-shell/chromium-launcher.js`;

function say(line) {
  process.stdout.write(`[demo] ${line}\n`);
}

if (![serverCli, adminCli, laneCli, electronLauncher].every((f) => existsSync(f))) {
  say('building (first run)…');
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('[demo] the build failed; run `npm ci` first');
    process.exit(1);
  }
}

/**
 * The lane's display: Electron if its binary runs, else Chromium with a screen, else served
 * without a window (its one-time links in the lane's display.json, for a browser elsewhere).
 */
async function chooseDisplay() {
  const { probeElectron, ElectronDisplay } = await import(electronLauncher);
  const { ChromiumDisplay } = await import(chromiumLauncher);
  const chosen = process.env.CHECKPOINT_DISPLAY;
  if (chosen === 'none' || chosen === 'serve' || chosen === 'chromium' || chosen === 'electron')
    return { display: chosen, why: 'CHECKPOINT_DISPLAY' };
  const electron = probeElectron();
  const screen = ElectronDisplay.screenAvailable();
  if (electron.ok && screen.ok) return { display: 'electron', why: `Electron at ${electron.path}` };
  const chromium = ChromiumDisplay.available();
  const noElectron = electron.ok ? screen.reason : electron.reason;
  if (chromium.ok) return { display: 'chromium', why: `system Chromium; no Electron: ${noElectron}` };
  return { display: 'serve', why: `no window; no Electron: ${noElectron}; no Chromium: ${chromium.reason}` };
}

/** Port 8080 if free, else any free port. */
function freePort(preferred) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const { port } = any.address();
        any.close(() => resolve(port));
      });
    });
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

const port = await freePort(Number(process.env.PORT ?? 8080));
const server = `http://127.0.0.1:${port}`;
const token = process.env.CHECKPOINT_ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
const env = { ...process.env, CHECKPOINT_ADMIN_TOKEN: token, CHECKPOINT_SERVER: server };
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const children = [];
function stopAll(code) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const serverProc = spawn(
  process.execPath,
  [
    serverCli,
    '--port',
    String(port),
    '--data',
    `${dataDir}/server`,
    '--log-level',
    env.CHECKPOINT_LOG_LEVEL ?? 'warn',
  ],
  {
    env: { ...env, CHECKPOINT_LOG_LEVEL: env.CHECKPOINT_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
children.push(serverProc);
serverProc.on('exit', (code) => {
  say(`sync server exited (${code})`);
  stopAll(code ?? 1);
});

async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${server}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the sync server did not come up on ${server}`);
}

function admin(...args) {
  return adminWith({}, ...args);
}

function adminWith(extraEnv, ...args) {
  const r = spawnSync(process.execPath, [adminCli, ...args], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`checkpoint-admin ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

try {
  await waitForServer();
  say(`sync server on ${server} (admin token: ${token})`);
  say(admin('checkpoints', 'add', '--id', 'DEMO-01', '--name', 'Chốt kiểm soát demo', '--mode', 'open'));
  say(admin('lists', 'import', 'health', `${root}scripts/demo-data/health.csv`));
  say(admin('lists', 'import', 'whitelist', `${root}scripts/demo-data/whitelist.csv`));
  // Demo console accounts (a real deployment creates its own with the admin token).
  for (const [user, role, name, password] of [
    ['quantri', 'admin', 'Quản trị demo', 'demo-quantri-2021'],
    ['xem', 'viewer', 'Người xem demo', 'demo-xem-2021'],
  ]) {
    adminWith(
      { CHECKPOINT_ACCOUNT_PASSWORD: password },
      'accounts',
      'add',
      user,
      '--role',
      role,
      '--display-name',
      name,
    );
  }
  say(`admin console: ${server}/admin/ (admin quantri / demo-quantri-2021, viewer xem / demo-xem-2021)`);
  const { code } = JSON.parse(admin('--json', 'enroll', 'DEMO-01'));
  const { display, why } = await chooseDisplay();
  say(`lane display: ${display} (${why})`);
  // Demo officers for the override screen, on the server's central roster: the lane receives
  // them (PINs hashed) within seconds, and admins manage them in the console.
  for (const [id, role, name, pin] of [
    ['CB-DEMO-1', 'officer', 'Cán bộ demo', '1111'],
    ['CHI-HUY-DEMO', 'supervisor', 'Chỉ huy demo', '9999'],
  ]) {
    adminWith(
      { CHECKPOINT_OFFICER_PIN: pin },
      'officers',
      'set',
      id,
      '--name',
      name,
      '--role',
      role,
      '--checkpoints',
      'DEMO-01',
      '--pin-from-env',
    );
  }
  mkdirSync(`${dataDir}/lane`, { recursive: true, mode: 0o700 });
  say('demo officer PIN 1111, supervisor PIN 9999');
  say(`lane enrolling with code ${code}; simulated scans every 3 s (Ctrl-C to stop)`);
  const lane = spawn(
    process.execPath,
    [
      laneCli,
      '--server',
      server,
      '--enroll',
      code,
      '--name',
      'demo-lane-1',
      '--data',
      `${dataDir}/lane`,
      '--scanner',
      'simulated',
      '--display',
      display,
    ],
    {
      env: { ...env, CHECKPOINT_LOG_LEVEL: env.CHECKPOINT_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  children.push(lane);
  lane.on('exit', (code) => {
    say(`lane exited (${code})`);
    stopAll(code ?? 1);
  });
} catch (error) {
  console.error(`[demo] ${error.message}`);
  stopAll(1);
}
