#!/usr/bin/env node
// `checkpoint-lane`: one lane of a checkpoint, headless or with its display.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { officerDecisionLine } from './decision-line.js';
import { LaneAgent, LaneStartError } from '../agent/lane-agent.js';
import type { LaneDecision } from '../agent/decision-loop.js';
import { loadHardwareProfile, type HardwareProfile } from '../profiles/hardware-profile.js';
import { StdinScanner } from '../scanners/stdin-scanner.js';
import { DisplayServer, type DisplayView } from '../display-api/display-server.js';
import { DISPLAY_FILE, removeDisplayFile, writeDisplayFile } from '../display-api/display-file.js';
import { ChromiumDisplay } from '../display-shell/chromium-launcher.js';
import { ElectronDisplay, probeElectron } from '../display-shell/electron-launcher.js';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../util/logger.js';
import { buildScanner, defaultScannerChoice, parseScannerChoice } from './build-scanner.js';
import { openKeyStore, parseKeyStoreKind } from '../secrets/key-store-choice.js';
import { parseTpmPcrs } from '../secrets/tpm-key-store.js';
import { parseServerList } from '../sync/server-pool.js';
import { GateController } from '../gate/gate-controller.js';
import { gateRelaySetup } from '../gate/gate-relay.js';
import { buildRelay, parseRelayChoice } from '../relays/index.js';
import {
  profileRefusal,
  relayBuildFailure,
  relayChoiceMismatch,
  relayProfileMisplaced,
  type Said,
} from './cli-messages.js';

const USAGE = `checkpoint-lane: một làn của chốt kiểm soát / one lane of a checkpoint

Usage: checkpoint-lane [--server URL[,URL2…]] [--enroll CODE] [--name NAME] [--data DIR]
                       [--profile FILE] [--scanner stdin|serial:PATH|hid|simulated]
                       [--display none|serve|chromium|electron] [--json] [--insecure-http]
                       [--key-store tpm|safe-storage|file] [--tpm-pcrs 7|0,7|none]
                       [--insecure-key-file] [--vehicle-mode]
                       [--relay serial:PATH|hid|simulated --relay-profile FILE] [--gate-mode]
       checkpoint-lane check-devices [--profile FILE…] [--scanner …]
                       [--relay … --relay-profile FILE] [--camera …]
                       kiểm tra thiết bị tại chỗ, bảng đạt/không đạt / the technician's field
                       check of each device, a pass/fail table (check-devices --help)

  --server URL[,URL2…]  máy chủ đồng bộ (cần khi đăng ký; ghi nhớ sau đó) / the sync server
                   (needed to enroll; remembered after); https://, or http:// to this machine
                   only (127.0.0.0/8, ::1, localhost). Nhiều máy chủ của một hệ thống: dùng máy
                   đầu tiên trả lời, hỏng thì chuyển sang máy kế / several servers of one fleet:
                   the lane uses the first that answers and fails over to the next
                   (docs/lane-failover.md)
  --enroll CODE    mã đăng ký dùng một lần từ trung tâm (lần chạy đầu) / one-time enrollment
                   code from the centre (first start only)
  --name NAME      tên làn khi đăng ký / this lane's name when enrolling (default: host name)
  --data DIR       nơi lưu dữ liệu và khoá của làn / where the lane keeps its store and
                   credentials (default: ./lane-data)
  --profile FILE   cấu hình máy quét hoặc camera (cấu hình rơ-le: --relay-profile) / a scanner
                   or camera profile, hardware-profiles/*.json (a relay's: --relay-profile)
  --scanner ...    nguồn mã quét / where codes come from (default: the profile, else stdin)
  --display ...    none: không màn hình / headless (default)
                   serve: màn hình làn trên 127.0.0.1, không mở cửa sổ; in địa chỉ ra,
                     ghi liên kết dùng một lần (cán bộ, hành khách) vào DATA/display.json
                     (thay mới sau mỗi lần dùng, xoá khi thoát) / the lane display on
                     127.0.0.1, no window; prints its address, writes one-time links
                     (officer, traveller) to DATA/display.json (replaced after use,
                     removed on exit)
                   chromium, electron: màn hình làn trong cửa sổ / the display in a window
  --json           mỗi kết quả một dòng JSON trên stdout, số giấy tờ đã che / one JSON line
                   per decision on stdout, subject masked
                   ({"decision":…,"reasons":[…],"subject":…,"scanId":…})
  --vehicle-mode   chế độ xe: quét biển số mở một xe; người quét sau đó thuộc xe ấy đến biển
                   số kế tiếp, nút "Xe đã qua" hoặc 10 phút sau khi quét biển số / vehicle
                   mode: a plate scan opens a vehicle; people scanned after it belong to it
                   until the next plate, "Xe đã qua", or 10 minutes after the plate scan
                   (also on when the checkpoint's vehicleMode setting says so)
  --relay serial:PATH|hid|simulated  bảng rơ-le điều khiển barie và/hoặc đèn tháp / the relay
                   board driving a barrier and/or a tower light: chỉ kết quả XANH mở cổng, trong
                   thời gian của cấu hình; đỏ, vàng, mất thiết bị, dừng hay lỗi làn → đóng. Khi
                   khởi động, rơ-le được đưa về trạng thái đóng trước mọi việc khác / only a green
                   opens the gate, for the profile's open time; red, amber, a lost device, a stop
                   or a crash shut it; at start the relay is driven shut before anything else
                   (docs/gates.md)
  --relay-profile FILE  cấu hình rơ-le (cần cùng --relay) / the relay profile (kind "relay",
                   hardware-profiles/lcus-1-relay.json…; needed with --relay)
  --gate-mode      cổng tự động, không có cán bộ tại làn: màn hình cổng, thẻ nhân viên hoặc mã
                   PIN mở bảng cán bộ trong 1 phút; dùng được có hoặc không có rơ-le /
                   unattended gate, no officer at the lane: a gate screen; a staff card or a PIN
                   opens the officer panel for a minute; with or without a relay
  --insecure-http  cho phép máy chủ http:// ở máy khác (lưu lượng đọc được) / allow a plain
                   http:// server on another machine (its traffic is readable)
  --key-store ...  nơi niêm phong khoá bí mật của làn (khoá danh sách, token) / where the
                   lane's secrets (list key, token) are sealed (default: tpm):
                   tpm: chip TPM 2.0 của máy (tpm2-tools) / this machine's TPM 2.0
                   safe-storage: Electron safeStorage, chỉ khi có keyring thật / only
                     behind a real OS keyring
                   file: tệp thường 0600, chỉ để phát triển, cần --insecure-key-file /
                     a plain 0600 file, development only, needs --insecure-key-file
  --tpm-pcrs 7|0,7|none  các PCR (sha256) mà niêm phong TPM gắn vào / the PCRs (sha256)
                   the TPM seal is bound to (default: 7, Secure Boot state); none: no PCR
  --insecure-key-file  cho phép --key-store file (ai chép được đĩa đọc được mọi số định
                   danh trong danh sách) / allow --key-store file (whoever copies the disk
                   reads every listed ID)

  CHECKPOINT_LOG_LEVEL  mức nhật ký trên stderr / log level on stderr: debug, info (default),
                   warn, error
  CHECKPOINT_KEY_STORE  như --key-store / as --key-store (the flag wins)
  TPM2TOOLS_TCTI   đường tới TPM / how tpm2-tools reach the TPM (default: /dev/tpmrm0)
`;

/**
 * How long a Chromium window's one-time link stays good unused: it sits on a command line any
 * local user can read in `ps`, and the window loads it within seconds.
 */
const WINDOW_LINK_TTL_MS = 60_000;

/** One line for the person at the console, on stderr (stdout carries the decisions). */
function say(vi: string, en: string): void {
  process.stderr.write(`checkpoint-lane: ${vi} / ${en}\n`);
}

/** Refuses to start (exit 2): Vietnamese / English, or one message made elsewhere as it is. */
function fail(message: string | Said): never {
  const text = typeof message === 'string' ? message : `${message.vi} / ${message.en}`;
  process.stderr.write(`checkpoint-lane: ${text}\n`);
  process.exit(2);
}

/** One decision as the `--json` line the contract fixes, plus context (subject masked, never raw). */
export function decisionJson(d: LaneDecision): string {
  return JSON.stringify({
    decision: d.decision,
    reasons: d.reasons,
    subject: d.subject,
    scanId: d.scanId,
    warnings: d.warnings,
    alert: d.alert,
    recorded: d.record,
    format: d.format,
    source: d.source,
    at: new Date(d.at).toISOString(),
    // Vehicle mode: {id, passengers, decision}; no plate (the subject above is masked).
    ...(d.vehicle !== undefined && { vehicle: d.vehicle }),
  });
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        server: { type: 'string' },
        enroll: { type: 'string' },
        name: { type: 'string' },
        data: { type: 'string' },
        profile: { type: 'string' },
        scanner: { type: 'string' },
        display: { type: 'string' },
        json: { type: 'boolean', default: false },
        'insecure-http': { type: 'boolean', default: false },
        'key-store': { type: 'string' },
        'tpm-pcrs': { type: 'string' },
        'insecure-key-file': { type: 'boolean', default: false },
        'vehicle-mode': { type: 'boolean', default: false },
        relay: { type: 'string' },
        'relay-profile': { type: 'string' },
        'gate-mode': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    fail(`sai tham số dòng lệnh / bad command line: ${why}\n\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const display = args.display ?? 'none';
  if (!['none', 'serve', 'chromium', 'electron'].includes(display))
    fail({
      vi: '--display phải là none, serve, chromium hoặc electron',
      en: '--display must be none, serve, chromium or electron',
    });
  // --display electron: only with an Electron binary that runs (it cannot be downloaded everywhere).
  const electron = display === 'electron' ? probeElectron() : null;
  if (electron !== null && !electron.ok) {
    fail({
      vi: '--display electron: không chạy được Electron; dùng --display chromium (Chromium của máy) hoặc none',
      en: `--display electron: ${electron.reason}; use --display chromium (system Chromium) or none`,
    });
  }
  let servers: string | undefined;
  if (args.server !== undefined) {
    const checked = parseServerList(args.server, { allowInsecureHttp: args['insecure-http'] });
    if (!checked.ok) fail(`--server ${checked.error}`);
    // Kept in this form at enrollment: the servers in order, comma-separated, no spaces.
    servers = checked.value.join(',');
  }

  const kind = parseKeyStoreKind(args['key-store'] ?? process.env['CHECKPOINT_KEY_STORE'] ?? 'tpm');
  if (!kind.ok) fail(kind.error);
  const pcrs = args['tpm-pcrs'] === undefined ? undefined : parseTpmPcrs(args['tpm-pcrs']);
  if (pcrs !== undefined && !pcrs.ok) fail(pcrs.error);
  if (pcrs !== undefined && kind.value !== 'tpm')
    fail({ vi: '--tpm-pcrs chỉ dùng cùng --key-store tpm', en: '--tpm-pcrs goes with --key-store tpm' });
  const dataDir = resolve(args.data ?? 'lane-data');
  const keyStore = openKeyStore(dataDir, {
    kind: kind.value,
    insecureKeyFile: args['insecure-key-file'],
    ...(pcrs === undefined ? {} : { tpm: { pcrs: pcrs.value } }),
  });
  if (!keyStore.ok) fail(keyStore.error);

  const logger = createLogger();
  let profile: HardwareProfile | null = null;
  if (args.profile !== undefined) {
    const loaded = loadHardwareProfile(args.profile);
    if (!loaded.ok) fail(profileRefusal(args.profile, loaded));
    // A relay board's profile drives no scanner: it is --relay-profile's.
    if (loaded.profile.kind === 'relay') fail(relayProfileMisplaced(args.profile));
    profile = loaded.profile;
  }
  const choice =
    args.scanner === undefined ? defaultScannerChoice(profile) : parseScannerChoice(args.scanner);
  if (choice === null)
    fail({
      vi: '--scanner phải là stdin, serial:PATH, hid hoặc simulated',
      en: '--scanner must be stdin, serial:PATH, hid or simulated',
    });
  const built = await buildScanner(choice, profile, logger);
  if (!built.ok) fail(built.message);

  // The gate: the relay board driven to idle (shut) before anything else of the lane starts.
  const gateMode = args['gate-mode'];
  if (args.relay === undefined && args['relay-profile'] !== undefined)
    fail({
      vi: '--relay-profile cần đi cùng --relay serial:PATH|hid|simulated',
      en: '--relay-profile goes with --relay serial:PATH|hid|simulated',
    });
  let relaySetup: ReturnType<typeof gateRelaySetup> | null = null;
  if (args.relay !== undefined) {
    const relayChoice = parseRelayChoice(args.relay);
    if (relayChoice === null)
      fail({
        vi: '--relay phải là serial:PATH, hid hoặc simulated',
        en: '--relay must be serial:PATH, hid or simulated',
      });
    const file = args['relay-profile'];
    if (file === undefined)
      fail({
        vi: '--relay cần --relay-profile FILE (cấu hình rơ-le, trong hardware-profiles/)',
        en: '--relay needs --relay-profile FILE (a relay profile, hardware-profiles/)',
      });
    const loaded = loadHardwareProfile(file);
    if (!loaded.ok) fail(profileRefusal(file, loaded, true));
    if (loaded.profile.kind !== 'relay')
      fail({
        vi: `${file} không phải cấu hình rơ-le: trường /kind phải là "relay" (đang là "${loaded.profile.kind}"); cấu hình máy quét hoặc camera dùng --profile`,
        en: `bad relay profile ${file}: /kind must be "relay" (it is "${loaded.profile.kind}"); a scanner or camera profile goes with --profile`,
      });
    const relayProfile = loaded.profile;
    const serialPath =
      relayChoice.kind === 'serial' ? (relayChoice.path ?? relayProfile.relay.serial?.path ?? null) : null;
    const mismatch = relayChoiceMismatch(relayProfile, relayChoice, serialPath);
    if (mismatch !== null) fail(mismatch);
    if (serialPath !== null && !existsSync(serialPath)) {
      // Not fatal: the lane comes up with the board unplugged, the gate shut, and takes the board
      // when it appears (the adapter keeps trying).
      say(
        `cổng nối tiếp của rơ-le ${serialPath} chưa có; cổng vẫn đóng, đang chờ rơ-le`,
        `relay port ${serialPath} does not exist (yet); the gate stays shut, waiting for it`,
      );
    }
    const relay = await buildRelay(relayChoice, relayProfile, logger);
    if (!relay.ok) fail(relayBuildFailure(relay.message));
    relaySetup = gateRelaySetup(relay.relay, relayProfile);
  }
  const gate =
    relaySetup !== null || gateMode
      ? new GateController({ relay: relaySetup, unattended: gateMode, logger })
      : null;
  crashGate = gate;
  if (gate !== null) {
    await gate.start();
    logger.info({ relay: gate.relayDevice, gateMode }, 'gate started shut');
  }
  /** Refuses to start after the gate started: idle written (bounded), then exit 2. */
  const failStarted = async (message: string): Promise<never> => {
    await gate?.stop();
    fail(message);
  };

  const json = args.json;
  let agent: LaneAgent;
  try {
    agent = await LaneAgent.open({
      dataDir,
      keyStore: keyStore.value,
      serverUrl: servers,
      enrollCode: args.enroll,
      insecureHttp: args['insecure-http'],
      laneName: args.name,
      scanners: built.scanner ? [built.scanner] : [],
      logger,
      vehicleMode: args['vehicle-mode'],
      gateMode,
      ...(gate !== null && { gate }),
      // A gate screen is served: with none connected for 10 s the gate holds shut.
      gateDisplay: gateMode && display !== 'none',
      // For tests: how long a vehicle stays open after its plate scan (default 10 minutes).
      ...(process.env['CHECKPOINT_VEHICLE_OPEN_MS'] !== undefined && {
        vehicleOpenMs: Number(process.env['CHECKPOINT_VEHICLE_OPEN_MS']),
      }),
      onDecision: (d, details) => {
        process.stdout.write(`${json ? decisionJson(d) : officerDecisionLine(d, details)}\n`);
      },
    });
  } catch (error) {
    if (error instanceof LaneStartError) await failStarted(error.message);
    throw error;
  }
  if (agent.reEnrollment !== null) {
    const n = agent.reEnrollment.carried;
    process.stderr.write(
      `checkpoint-lane: đăng ký lại: ${n} bản ghi chưa gửi được chuyển sang lần đăng ký mới / ` +
        `enrolled again: ${n} unsent record(s) carried over to the new enrollment\n`,
    );
  }

  if (keyStore.value.kind === 'file') {
    say(
      'KHÔNG AN TOÀN: --key-store file để khoá bí mật của làn trong một tệp thường; ai chép được thư mục dữ liệu đọc được mọi số định danh trong danh sách. Chỉ dùng để phát triển',
      "INSECURE: --key-store file keeps the lane's secret key in a plain file; whoever copies the data folder reads every listed ID. Development only",
    );
  }
  if (agent.lock !== null) {
    say(
      `KHOÁ LÀN: không mở được khoá bí mật của làn (${agent.lock.code}); làn không đồng bộ và mọi lượt quét là VÀNG cho đến khi sửa xong`,
      `LANE LOCKED: ${agent.lock.message}`,
    );
  }
  let displayServer: DisplayServer | null = null;
  let window: ChromiumDisplay | ElectronDisplay | null = null;
  // A display.json of an earlier run holds dead links; only a served display writes a new one.
  removeDisplayFile(dataDir);
  if (display === 'none') {
    say(
      'không có màn hình làn (--display none); dùng --display serve để phục vụ màn hình tại 127.0.0.1, liên kết trong display.json',
      'no lane display is served (--display none); --display serve serves one on 127.0.0.1, with its links in display.json',
    );
  } else {
    // Links of a served display: display.json always holds an unused link per screen.
    let served: Record<DisplayView, string> | null = null;
    const serve = (): void => {
      const server = displayServer;
      if (server === null) return;
      served = { officer: server.mintLink('officer'), traveller: server.mintLink('traveller') };
      try {
        writeDisplayFile(dataDir, { officerUrl: served.officer, travellerUrl: served.traveller });
      } catch (error) {
        // The lane decides without a screen; say why the links are missing.
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'could not write display.json; the display is served but no link is available',
        );
      }
    };
    displayServer = new DisplayServer({
      agent,
      logger,
      port: Number(process.env['CHECKPOINT_DISPLAY_PORT'] ?? 0),
      staticDir: fileURLToPath(new URL('../display', import.meta.url)),
      camera: profile?.kind === 'camera' ? profile.camera : null,
      onLinkUsed: (view) => {
        const server = displayServer;
        if (served === null || server === null) return;
        served = { ...served, [view]: server.mintLink(view) };
        writeDisplayFile(dataDir, { officerUrl: served.officer, travellerUrl: served.traveller });
        logger.info({ view, file: DISPLAY_FILE }, 'display link used; a fresh one is in display.json');
      },
    });
    const origin = await displayServer.start();
    const where = join(dataDir, DISPLAY_FILE);
    const available =
      display === 'serve'
        ? null
        : electron?.ok
          ? ElectronDisplay.screenAvailable()
          : ChromiumDisplay.available();
    if (electron?.ok && available?.ok) {
      // The Electron kiosk shell (kiosk/electron): both pages, one or two screens, relaunched on
      // exit, each launch with fresh one-time links.
      const server = displayServer;
      window = new ElectronDisplay(
        electron.path,
        {
          links: () => ({
            // In the shell's environment (readable by this user only), no lifetime: a traveller
            // window opens when a second screen is plugged in, maybe hours later.
            officerUrl: server.mintLink('officer'),
            travellerUrl: server.mintLink('traveller'),
          }),
          dataDir: resolve(dataDir, 'electron'),
          hideCursor: process.env['CHECKPOINT_HIDE_CURSOR'] === '1',
          kiosk: process.env['CHECKPOINT_KIOSK'] !== '0',
        },
        logger,
      );
      window.start();
      say(`màn hình làn tại ${origin}, mở trong Electron`, `lane display at ${origin}, shown in Electron`);
    } else if (available?.ok) {
      const server = displayServer;
      window = new ChromiumDisplay({
        views: ['officer', 'traveller'],
        mintLink: (view, watch) => server.mintLink(view, WINDOW_LINK_TTL_MS, watch),
        linkTtlMs: WINDOW_LINK_TTL_MS,
        profileDir: resolve(dataDir, 'chromium'),
        logger,
        kiosk: process.env['CHECKPOINT_KIOSK'] === '1',
      });
      window.start();
      say(`màn hình làn tại ${origin}, mở trong Chromium`, `lane display at ${origin}, shown in Chromium`);
    } else {
      if (available !== null)
        logger.warn({ reason: available.reason }, 'no display window; the display is served (display.json)');
      serve();
      say(
        `màn hình làn tại ${origin}; liên kết dùng một lần (cán bộ, hành khách) trong ${where}, mỗi liên kết đã dùng được thay bằng liên kết mới`,
        `lane display at ${origin}; one-time links (officer, traveller) in ${where}, each used link replaced by a fresh one`,
      );
    }
  }

  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // The gate shut first (the screens show the lane out of service), then the rest.
    gate?.fault('agent_stopping', true);
    await gate?.stop();
    window?.stop();
    await displayServer?.stop();
    if (displayServer !== null) removeDisplayFile(dataDir); // its links die with this process
    await agent.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  await agent.start(Number(process.env['CHECKPOINT_FIRST_SYNC_MS'] ?? 10_000));
  logger.info(
    { checkpoint: agent.checkpoint().id, scanner: built.scanner?.device ?? 'none' },
    'lane started',
  );

  // With codes from standard input, the end of input ends the lane once its scans are uploaded
  // (or after a grace period if the server cannot be reached: they stay queued for next time).
  if (built.scanner instanceof StdinScanner) {
    await built.scanner.ended();
    const left = await agent.drainOutbox(Number(process.env['CHECKPOINT_DRAIN_MS'] ?? 10_000));
    if (left > 0) logger.warn({ left }, 'scans still queued; they upload on the next start');
    await shutdown(0);
  }
}

/** The gate of this run, once made: a crash drives it shut before the process ends. */
let crashGate: GateController | null = null;
let crashing = false;

/**
 * An error nothing caught (thrown, an unhandled rejection, or main's): the gate is driven to
 * idle (best effort, bounded), then the process ends non-zero. A watchdog board shuts by itself
 * anyway once the keep-alive stops.
 */
function crash(kind: string, error: unknown): void {
  process.stderr.write(`checkpoint-lane: ${kind}: ${error instanceof Error ? error.stack : String(error)}\n`);
  if (crashing) return;
  crashing = true;
  const gate = crashGate;
  if (gate === null) process.exit(1);
  gate.fault('agent_stopping', true);
  const bound = setTimeout(() => process.exit(1), 2000);
  void gate.stop().finally(() => {
    clearTimeout(bound);
    process.exit(1);
  });
}

process.on('uncaughtException', (error) => {
  crash('uncaught exception', error);
});
process.on('unhandledRejection', (reason) => {
  crash('unhandled rejection', reason);
});

main().catch((error: unknown) => {
  crash('unexpected error', error);
});
