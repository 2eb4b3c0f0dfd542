// `npm start`: the demo. A sync server on embedded SQLite (fresh, in .data/demo), seeded with a
// demo checkpoint and demo lists, and one lane reading demo codes from the simulated scanner,
// with its display in Electron if its binary is present, else in system Chromium if there is a
// screen, else served without a window, its one-time links in the lane's display.json
// (CHECKPOINT_DISPLAY=none|serve|chromium|electron chooses). Decisions print here.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const dataDir = `${root}.data/demo`;
const serverCli = `${root}sync-server/dist/cli/checkpoint-server.js`;
const adminCli = `${root}sync-server/dist/cli/checkpoint-admin.js`;
const laneCli = `${root}kiosk/dist/cli/checkpoint-lane.js`;
const electronLauncher = `${root}kiosk/dist/display-shell/electron-launcher.js`;
const chromiumLauncher = `${root}kiosk/dist/display-shell/chromium-launcher.js`;

/** One demo line, Vietnamese first, English after on its own line when given. */
function say(vi, en) {
  process.stdout.write(`[demo] ${vi}\n`);
  if (en) process.stdout.write(`[demo]   ${en}\n`);
}

// Always run the incremental build: after a `git pull` the dist files exist but are stale, and
// an up-to-date `npm run build` takes about 3 s (tsc -b skips unchanged projects).
say('Đang cập nhật bản dựng… / Building…');
const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) {
  console.error('[demo] Bản dựng lỗi; chạy `npm ci` trước / the build failed; run `npm ci` first');
  process.exit(1);
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
    return { display: chosen, why: 'chosen by CHECKPOINT_DISPLAY', whyVi: 'chọn bằng CHECKPOINT_DISPLAY' };
  const electron = probeElectron();
  const screen = ElectronDisplay.screenAvailable();
  if (electron.ok && screen.ok)
    return { display: 'electron', why: `Electron (${electron.path})`, whyVi: `Electron (${electron.path})` };
  const chromium = ChromiumDisplay.available();
  // Electron is an optional extra (its binary needs a download and Node >= 22.12): say so
  // plainly instead of repeating its installer hint.
  const noElectronVi = electron.ok ? 'không có màn hình cho Electron' : 'Electron (tuỳ chọn) không có ở đây';
  const noElectronEn = electron.ok ? 'no screen for Electron' : 'Electron is optional and not installed here';
  if (chromium.ok)
    return {
      display: 'chromium',
      whyVi: `${noElectronVi}; dùng Chromium của hệ thống`,
      why: `${noElectronEn}; using the system Chromium instead`,
    };
  return {
    display: 'serve',
    whyVi: `${noElectronVi}; không mở được cửa sổ Chromium; chỉ phục vụ, mở bằng trình duyệt`,
    why: `${noElectronEn}; no Chromium window (${chromium.reason}); the lane display is only served, open it in a browser`,
  };
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
  say(`Máy chủ đồng bộ đã dừng (${code})`, `sync server exited (${code})`);
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
  say(
    `Máy chủ đồng bộ: ${server} (mã quản trị: ${token})`,
    `sync server on ${server} (admin token: ${token})`,
  );
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
  say(
    `Trang quản trị: ${server}/admin/ (quản trị quantri / demo-quantri-2021, người xem xem / demo-xem-2021)`,
    `admin console: ${server}/admin/ (admin quantri / demo-quantri-2021, viewer xem / demo-xem-2021)`,
  );
  const { code } = JSON.parse(admin('--json', 'enroll', 'DEMO-01'));
  const { display, why, whyVi } = await chooseDisplay();
  say(`Màn hình làn: ${display} — ${whyVi}`, `lane display: ${display} — ${why}`);
  if (display === 'serve') {
    const linksFile = `${dataDir}/lane/display.json`;
    say(
      'Màn hình làn chỉ mở trên 127.0.0.1 của máy này. Liên kết dùng một lần (cán bộ, hành khách):',
      'The lane display listens on 127.0.0.1 only. One-time links (officer, traveller):',
    );
    say(`  cat ${linksFile}`);
    say(
      'Mỗi liên kết dùng một lần rồi được thay mới. Máy khác: ssh -L <cổng>:127.0.0.1:<cổng> máy-này (cổng in ở dòng checkpoint-lane dưới)',
      'Each link works once, then is replaced. Other machine: ssh -L <port>:127.0.0.1:<port> this-host (port in the checkpoint-lane line below)',
    );
  }
  // Demo officers for the override screen, on the server's central roster: the lane receives
  // them (PINs hashed) within seconds, and admins manage them in the console.
  for (const [id, role, name, pin] of [
    ['CB-DEMO-1', 'officer', 'Cán bộ demo', '111111'],
    ['CHI-HUY-DEMO', 'supervisor', 'Chỉ huy demo', '999999'],
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
  say('PIN cán bộ demo 111111, chỉ huy 999999', 'demo officer PIN 111111, supervisor PIN 999999');
  say(
    `Làn đăng ký bằng mã ${code}; quét giả lập mỗi 3 giây, kết quả in bên dưới (Ctrl-C để dừng)`,
    `lane enrolling with code ${code}; simulated scans every 3 s, decisions below (Ctrl-C to stop)`,
  );
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
      // The demo has no TPM: the development key store, chosen explicitly (it says so at start).
      '--key-store',
      'file',
      '--insecure-key-file',
    ],
    {
      env: { ...env, CHECKPOINT_LOG_LEVEL: env.CHECKPOINT_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  children.push(lane);
  lane.on('exit', (code) => {
    say(`Làn đã dừng (${code})`, `lane exited (${code})`);
    stopAll(code ?? 1);
  });
} catch (error) {
  console.error(`[demo] ${error.message}`);
  stopAll(1);
}
