// `checkpoint-lane check-devices`: the technician's field check (issue 17). Exercises each device
// a lane will use — the scanner reads one test code, the relay clicks open and shut, the camera
// gives frames — and prints a pass/fail table (Vietnamese first). A missing or failing device is
// a FAIL with a plain reason, never a crash. Exit 0: all pass; 1: any fail; 2: bad usage.
// Never prints, logs or returns the text of a scanned code: only its length and format.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { looksLikeStaffCard, parsePayload } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import {
  loadHardwareProfile,
  type CameraProfile,
  type HardwareProfile,
} from '../profiles/hardware-profile.js';
import { buildRelay, parseRelayChoice, relayFrames, type RelayProfile } from '../relays/index.js';
import type { Relay, RelayState } from '../relays/relay.js';
import type { DeviceState, Scanner } from '../scanners/scanner.js';
import { StdinScanner } from '../scanners/stdin-scanner.js';
import { createLogger } from '../util/logger.js';
import {
  buildScanner,
  defaultScannerChoice,
  parseScannerChoice,
  type ScannerChoice,
} from './build-scanner.js';
import {
  boardUnanswered,
  deviceTrouble,
  PORT_BUSY,
  PORT_DENIED,
  profileRefusal,
  relayBuildFailure,
  relayChoiceMismatch,
  type Said,
} from './cli-messages.js';

export const CHECK_DEVICES_USAGE = `checkpoint-lane check-devices: kiểm tra thiết bị tại làn / field check of a lane's devices

Usage: checkpoint-lane check-devices [--profile FILE …] [--scanner serial:PATH|hid|stdin]
                                     [--relay serial:PATH|hid|simulated] [--relay-profile FILE]
                                     [--camera /dev/videoN|FILE] [--timeout SEC] [--json]

  --profile FILE   cấu hình phần cứng (lặp lại được: máy quét, rơ-le, camera) / a hardware
                   profile (repeatable: one scanner, one relay, one camera profile)
  --relay-profile FILE  như --profile, cho cấu hình rơ-le (chép được từ lệnh của làn) / as
                   --profile, for the relay profile (the lane's command line copies over)
  --scanner ...    máy quét cần kiểm tra: quét một mã bất kỳ / the scanner to check: scan any
                   code (default: the scanner profile's device)
  --relay ...      bảng rơ-le cần kiểm tra, cần cấu hình rơ-le: đóng → MỞ 1 giây → đóng / the
                   relay board to check, with its relay profile: shut → OPEN for 1 s → shut
                   (default: the profile's serial path, or hid for a HID board).
                   Bảng Modbus trả lời từng khung: ĐẠT là bảng đã nhận. Bảng không trả lời
                   (LCUS, HID): ĐẠT là đã gửi; hãy nhìn barie mở rồi đóng / a Modbus board
                   answers each frame: PASS means it took them. A board with no reply (LCUS,
                   HID): PASS means sent; watch the barrier open then shut
  --camera ...     camera (/dev/videoN) hoặc tệp video: đọc 2 giây, cần ≥ 5 khung hình / the
                   camera (/dev/videoN) or a video file: read for 2 s, needs ≥ 5 frames
                   (default: /dev/video0 when a camera profile is given)
  --timeout SEC    thời gian chờ máy quét và kết nối / how long to wait for a code and for each
                   device to connect (default: 20)
  --json           một đối tượng JSON trên stdout thay cho bảng / one JSON object on stdout
                   instead of the table

  Dừng làn trước khi kiểm tra: làn giữ các cổng nối tiếp / stop the lane first: it holds the
  serial ports. Mã quét không bao giờ được in ra: chỉ độ dài và dạng mã / a scanned code is
  never printed: only its length and format. Exit 0: tất cả đạt / all pass; 1: có thiết bị
  không đạt / any fail; 2: sai cách dùng / bad usage.
`;

/** How long the camera is read, and the frames it must give in that time. */
export const CAMERA_SECONDS = 2;
export const CAMERA_MIN_FRAMES = 5;
/** How long the relay's green is held before idle again. */
export const RELAY_OPEN_MS = 1000;

/** The three checks, in the order they run and are printed. */
export type CheckKind = 'relay' | 'camera' | 'scanner';

/** One row of the table: what was checked, whether it passed, and why (Vietnamese, English). */
export interface CheckResult {
  readonly device: string;
  readonly check: CheckKind;
  readonly pass: boolean;
  readonly vi: string;
  readonly en: string;
  /** Figures for `--json`: code length and format; writes; frames, fps, resolution. */
  readonly data?: Readonly<Record<string, string | number | null>>;
}

/** What to check, from the command line. */
export interface CheckPlan {
  readonly scanner: { readonly choice: ScannerChoice; readonly profile: HardwareProfile | null } | null;
  readonly relay: { readonly choice: string; readonly profile: RelayProfile } | null;
  readonly camera: { readonly source: string; readonly profile: CameraProfile | null } | null;
  readonly timeoutMs: number;
  readonly json: boolean;
}

/** A plan, help, or why the command line is wrong (exit 2). */
export type ParsedCheckArgs =
  { ok: true; plan: CheckPlan } | { ok: true; help: true } | { ok: false; message: string };

/** A usage error, Vietnamese / English. */
const usage = (vi: string, en: string): { ok: false; message: string } => ({
  ok: false,
  message: `${vi} / ${en}`,
});

/** Reads the `check-devices` arguments (after the subcommand) and the profiles they name. */
export function parseCheckArgs(argv: readonly string[]): ParsedCheckArgs {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        profile: { type: 'string', multiple: true },
        // The lane's flag, so a technician can copy the lane's command line.
        'relay-profile': { type: 'string', multiple: true },
        scanner: { type: 'string' },
        relay: { type: 'string' },
        camera: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usage(
      'sai tham số dòng lệnh',
      `bad command line: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (values.help) return { ok: true, help: true };

  let timeoutMs = 20_000;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(seconds >= 1 && seconds <= 600))
      return usage(
        '--timeout phải là số giây từ 1 đến 600',
        '--timeout must be a number of seconds from 1 to 600',
      );
    timeoutMs = Math.round(seconds * 1000);
  }

  let scannerProfile: HardwareProfile | null = null;
  let relayProfile: RelayProfile | null = null;
  let cameraProfile: CameraProfile | null = null;
  const files = [
    ...(values.profile ?? []).map((file) => ({ file, relayFlag: false })),
    ...(values['relay-profile'] ?? []).map((file) => ({ file, relayFlag: true })),
  ];
  for (const { file, relayFlag } of files) {
    const loaded = loadHardwareProfile(file);
    if (!loaded.ok) {
      const refused = profileRefusal(file, loaded);
      return usage(refused.vi, refused.en);
    }
    const profile = loaded.profile;
    if (relayFlag && profile.kind !== 'relay')
      return usage(
        `${file} không phải cấu hình rơ-le: trường /kind phải là "relay" (đang là "${profile.kind}"); cấu hình máy quét hoặc camera dùng --profile`,
        `bad relay profile ${file}: /kind must be "relay" (it is "${profile.kind}"); a scanner or camera profile goes with --profile`,
      );
    const slot = profile.kind === 'relay' ? 'relay' : profile.kind === 'camera' ? 'camera' : 'scanner';
    const taken = { scanner: scannerProfile, relay: relayProfile, camera: cameraProfile }[slot];
    const slotVi = { scanner: 'máy quét', relay: 'rơ-le', camera: 'camera' }[slot];
    if (taken !== null)
      return usage(
        `hai cấu hình ${slotVi} (${taken.id}, ${profile.id}): mỗi loại chỉ một`,
        `two ${slot} profiles (${taken.id}, ${profile.id}): give one of each kind`,
      );
    if (profile.kind === 'relay') relayProfile = profile;
    else if (profile.kind === 'camera') cameraProfile = profile;
    else scannerProfile = profile;
  }

  let scanner: CheckPlan['scanner'] = null;
  if (values.scanner !== undefined || scannerProfile !== null) {
    const choice =
      values.scanner === undefined
        ? defaultScannerChoice(scannerProfile)
        : parseScannerChoice(values.scanner);
    if (choice === null || choice.kind === 'simulated' || choice.kind === 'none')
      return usage(
        '--scanner phải là serial:PATH, hid hoặc stdin',
        '--scanner must be serial:PATH, hid or stdin',
      );
    if (choice.kind === 'serial') {
      if (scannerProfile !== null && scannerProfile.kind !== 'serial')
        return usage(
          `--scanner serial:PATH cần cấu hình máy quét nối tiếp, không phải ${scannerProfile.id}`,
          `--scanner serial:PATH goes with a serial profile, not ${scannerProfile.id}`,
        );
      if (choice.path === null && (scannerProfile?.kind !== 'serial' || scannerProfile.path === undefined))
        return usage(
          'máy quét nối tiếp cần đường dẫn: --scanner serial:/dev/ttyUSB0',
          'a serial scanner needs a path: --scanner serial:/dev/ttyUSB0',
        );
    }
    if (choice.kind === 'hid' && scannerProfile?.kind !== 'hid-pos')
      return usage(
        'máy quét HID POS cần cấu hình của nó: --profile hardware-profiles/honeywell-hid-pos.json',
        'a HID POS scanner needs its profile: --profile hardware-profiles/honeywell-hid-pos.json',
      );
    scanner = { choice, profile: scannerProfile };
  }

  let relay: CheckPlan['relay'] = null;
  if (values.relay !== undefined || relayProfile !== null) {
    if (relayProfile === null)
      return usage(
        '--relay cần cấu hình rơ-le: --relay-profile hardware-profiles/lcus-1-relay.json',
        '--relay needs a relay profile: --relay-profile hardware-profiles/lcus-1-relay.json',
      );
    const choice =
      values.relay === undefined
        ? relayProfile.relay.transport === 'hid'
          ? ({ kind: 'hid' } as const)
          : ({ kind: 'serial', path: null } as const)
        : parseRelayChoice(values.relay);
    if (choice === null)
      return usage(
        '--relay phải là serial:PATH, hid hoặc simulated',
        '--relay must be serial:PATH, hid or simulated',
      );
    const path = choice.kind === 'serial' ? (choice.path ?? relayProfile.relay.serial?.path ?? null) : null;
    const mismatch = relayChoiceMismatch(relayProfile, choice, path);
    if (mismatch !== null) return usage(mismatch.vi, mismatch.en);
    const device = path === null ? choice.kind : `serial:${path}`;
    relay = { choice: device, profile: relayProfile };
  }

  let camera: CheckPlan['camera'] = null;
  if (values.camera !== undefined || cameraProfile !== null) {
    const source = values.camera ?? '/dev/video0';
    if (source === '')
      return usage(
        '--camera phải là /dev/videoN hoặc một tệp video',
        '--camera must be /dev/videoN or a video file',
      );
    camera = { source, profile: cameraProfile };
  }

  if (scanner === null && relay === null && camera === null)
    return usage(
      'không có gì để kiểm tra: cho --scanner, --relay (cùng --relay-profile) hoặc --camera',
      'nothing to check: give --scanner, --relay (with --relay-profile) or --camera',
    );
  return { ok: true, plan: { scanner, relay, camera, timeoutMs, json: values.json } };
}

/** What the checks need from the process; tests give their own. */
export interface CheckDeps {
  readonly logger: Logger;
  /** Where a `stdin` scanner reads (default: process.stdin). */
  readonly stdin?: Readable;
  /** A line for the technician (stderr). */
  readonly say: (vi: string, en: string) => void;
  /** The ffmpeg binary (default: `ffmpeg` on PATH). */
  readonly ffmpeg?: string;
  /** Cleanups a signal handler runs (the relay's idle) while a check is in flight. */
  readonly onAbort?: (cleanup: (() => Promise<void>) | null) => void;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Runs every planned check, one after the other: relay, camera, then the scanner (it waits). */
export async function runChecks(plan: CheckPlan, deps: CheckDeps): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const guarded = async (check: CheckKind, device: string, run: () => Promise<CheckResult>) => {
    try {
      results.push(await run());
    } catch (error) {
      // The adapters do not throw; this keeps one broken check from hiding the others.
      const message = error instanceof Error ? error.message : String(error);
      results.push({
        device,
        check,
        pass: false,
        vi: `lỗi không lường trước: ${message}`,
        en: `unexpected error: ${message}`,
      });
    }
  };
  if (plan.relay !== null) {
    const relay = plan.relay;
    await guarded('relay', relay.choice, () => checkRelay(relay.choice, relay.profile, plan.timeoutMs, deps));
  }
  if (plan.camera !== null) {
    const camera = plan.camera;
    await guarded('camera', camera.source, () =>
      checkCamera(camera.source, camera.profile, plan.timeoutMs, deps),
    );
  }
  if (plan.scanner !== null) {
    const scanner = plan.scanner;
    await guarded('scanner', scannerDevice(scanner.choice, scanner.profile), () =>
      checkScanner(scanner.choice, scanner.profile, plan.timeoutMs, deps),
    );
  }
  return results;
}

function scannerDevice(choice: ScannerChoice, profile: HardwareProfile | null): string {
  if (choice.kind === 'serial')
    return `serial:${choice.path ?? (profile?.kind === 'serial' ? (profile.path ?? '?') : '?')}`;
  return choice.kind;
}

/** The format a code reads as, by the lane's own parser (never its content). */
export function describeCode(text: string, now: number = Date.now()): string {
  if (looksLikeStaffCard(text)) return 'staff_card';
  const parsed = parsePayload(text, { now });
  if (parsed.ok) return parsed.value.format;
  return parsed.error.format === undefined
    ? parsed.error.code
    : `${parsed.error.format} (${parsed.error.code})`;
}

/** A state that retrying will not mend: the port held by another process, or not ours to open. */
const hopeless = (state: { status: string; detail?: string }): boolean =>
  state.status !== 'connected' &&
  state.detail !== undefined &&
  (PORT_BUSY.test(state.detail) || PORT_DENIED.test(state.detail));

/**
 * Waits until a device reports `connected`, or the deadline, or a state retrying will not mend
 * (a port in use: the lane is running); resolves the last state seen.
 */
function waitForConnected<S extends { status: string; detail?: string }>(
  current: () => S,
  subscribe: (listener: (state: S) => void) => void,
  timeoutMs: number,
): Promise<S> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (state: S): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(state);
    };
    const timer = setTimeout(() => {
      finish(current());
    }, timeoutMs);
    subscribe((state) => {
      if (state.status === 'connected' || hopeless(state)) finish(state);
    });
    if (current().status === 'connected' || hopeless(current())) finish(current());
  });
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}`;

/** Scanner: connect, ask for any code, PASS when one arrives within the timeout. */
export async function checkScanner(
  choice: ScannerChoice,
  profile: HardwareProfile | null,
  timeoutMs: number,
  deps: CheckDeps,
): Promise<CheckResult> {
  const device = scannerDevice(choice, profile);
  const fail = (vi: string, en: string): CheckResult => ({ device, check: 'scanner', pass: false, vi, en });
  if (choice.kind === 'serial') {
    const path = device.slice('serial:'.length);
    if (!existsSync(path))
      return fail(`không tìm thấy cổng nối tiếp ${path}`, `serial port ${path} not found`);
  }
  let scanner: Scanner;
  if (choice.kind === 'stdin') {
    scanner = new StdinScanner(deps.stdin ?? process.stdin);
  } else {
    const built = await buildScanner(choice, profile, deps.logger);
    if (!built.ok) return fail(`không mở được máy quét: ${built.vi}`, `cannot open the scanner: ${built.en}`);
    if (built.scanner === null) return fail('không có máy quét', 'no scanner');
    scanner = built.scanner;
  }

  let statusListener: ((state: DeviceState) => void) | null = null;
  let codeListener: ((text: string) => void) | null = null;
  let early: string | null = null;
  scanner.start({
    scan: (input) => {
      // An empty line (Enter pressed at a terminal) is not a code: keep waiting.
      if (input.text.trim() === '') return;
      // A code read before the prompt (the technician was quick) counts too.
      if (codeListener === null) early ??= input.text;
      else codeListener(input.text);
    },
    status: (state) => {
      statusListener?.(state);
    },
  });
  try {
    const started = Date.now();
    const connected = await waitForConnected(
      () => scanner.state(),
      (listener) => {
        statusListener = listener;
      },
      timeoutMs,
    );
    if (connected.status !== 'connected') {
      const why = deviceTrouble(connected.detail, connected.status);
      return fail(`máy quét không kết nối được: ${why.vi}`, `scanner not connected: ${why.en}`);
    }
    const left = Math.max(1000, timeoutMs - (Date.now() - started));
    deps.say(
      `hãy quét một mã bất kỳ trong ${seconds(left)} giây (${device})`,
      `scan any code within ${seconds(left)} s (${device})`,
    );
    const outcome = await new Promise<{ text: string } | { lost: DeviceState } | null>((resolve) => {
      if (early !== null) {
        resolve({ text: early });
        return;
      }
      const timer = setTimeout(() => {
        resolve(null);
      }, left);
      codeListener = (text) => {
        clearTimeout(timer);
        resolve({ text });
      };
      statusListener = (state) => {
        // Standard input that ends will never give a code.
        if (choice.kind === 'stdin' && state.status !== 'connected') {
          clearTimeout(timer);
          resolve({ lost: state });
        }
      };
    });
    if (outcome === null) {
      const state = scanner.state();
      if (state.status !== 'connected') {
        const why = deviceTrouble(state.detail, state.status);
        return fail(`máy quét mất kết nối: ${why.vi}`, `scanner lost: ${why.en}`);
      }
      return fail(`không nhận được mã nào trong ${seconds(left)} giây`, `no code within ${seconds(left)} s`);
    }
    if ('lost' in outcome) {
      const { detail, status } = outcome.lost;
      const why =
        detail === 'end of input' ? { vi: 'hết dữ liệu vào', en: detail } : deviceTrouble(detail, status);
      return fail(`không nhận được mã nào (${why.vi})`, `no code read (${why.en})`);
    }
    const length = Array.from(outcome.text).length;
    const format = describeCode(outcome.text);
    return {
      device,
      check: 'scanner',
      pass: true,
      vi: `đã đọc một mã ${length} ký tự, dạng ${format}`,
      en: `read a ${length}-character code, format ${format}`,
      data: { length, format },
    };
  } finally {
    codeListener = null;
    statusListener = null;
    await scanner.stop();
  }
}

/**
 * Relay: idle → green → (1 s) → idle. PASS when every write drained and, for a board that
 * answers (Modbus echo), was answered; a board with no reply (LCUS, HID) cannot be heard
 * clicking: its PASS asks the technician to confirm by eye and ear.
 */
export async function checkRelay(
  choiceText: string,
  profile: RelayProfile,
  timeoutMs: number,
  deps: CheckDeps,
): Promise<CheckResult> {
  const device = choiceText;
  const fail = (vi: string, en: string, data?: CheckResult['data']): CheckResult => ({
    device,
    check: 'relay',
    pass: false,
    vi,
    en,
    ...(data !== undefined && { data }),
  });
  const choice = parseRelayChoice(choiceText);
  if (choice === null) return fail('lựa chọn rơ-le không hợp lệ', 'not a relay choice');
  if (choiceText.startsWith('serial:')) {
    const path = choiceText.slice('serial:'.length);
    if (!existsSync(path))
      return fail(`không tìm thấy cổng nối tiếp ${path}`, `serial port ${path} not found`);
  }
  const built = await buildRelay(choice, profile, deps.logger);
  if (!built.ok) {
    const why = relayBuildFailure(built.message);
    return fail(`không mở được rơ-le: ${why.vi}`, `cannot open the relay: ${why.en}`);
  }
  const answers = choice.kind !== 'simulated' && profile.relay.reply === 'echo';
  const relay: Relay = built.relay;
  const frames = relayFrames(profile);
  let listener: ((state: RelayState) => void) | null = null;
  relay.start((state) => {
    listener?.(state);
  });
  let opened = false;
  let shut = false;
  const shutAgain = async (): Promise<void> => {
    if (opened && !shut) {
      await Promise.race([relay.write(frames.idle), sleep(1000)]);
      shut = true;
    }
  };
  deps.onAbort?.(shutAgain);
  try {
    const connected = await waitForConnected(
      () => relay.state(),
      (l) => {
        listener = l;
      },
      timeoutMs,
    );
    if (connected.status !== 'connected') {
      const why = deviceTrouble(connected.detail, connected.status);
      return fail(`rơ-le không kết nối được: ${why.vi}`, `relay not connected: ${why.en}`);
    }
    deps.say(
      `rơ-le ${device}: đóng → MỞ ${RELAY_OPEN_MS / 1000} giây → đóng (cổng sẽ mở: hãy nhìn barie)`,
      `relay ${device}: shut → OPEN for ${RELAY_OPEN_MS / 1000} s → shut (the gate will open: watch the barrier)`,
    );
    /** Why a write failed: the board's silence (what to check), the port lost, or the drain. */
    const writeFailure = (vi: string, en: string): Said => {
      const state = relay.state();
      const trouble =
        (answers ? boardUnanswered(state.detail) : null) ??
        (state.status === 'connected' ? null : deviceTrouble(state.detail, state.status));
      return trouble === null
        ? { vi: `${vi}: chưa gửi hết`, en: `${en} did not drain` }
        : { vi: `${vi}: ${trouble.vi}`, en: `${en}: ${trouble.en}` };
    };
    const steps: { name: 'idle' | 'green'; ok: boolean }[] = [];
    const write = async (name: 'idle' | 'green'): Promise<boolean> => {
      if (name === 'green') opened = true;
      const ok = await relay.write(frames[name]);
      if (name === 'idle' && ok && opened) shut = true;
      steps.push({ name, ok });
      return ok;
    };
    const sent = frames.idle.length * 2 + frames.green.length;
    if (!(await write('idle'))) {
      const why = writeFailure('lệnh đóng (idle) không thành', 'the idle (shut) write');
      return fail(why.vi, why.en, { writes: 0 });
    }
    if (!(await write('green'))) {
      const why = writeFailure('lệnh mở (green) không thành', 'the green (open) write');
      await shutAgain();
      return fail(why.vi, why.en, { writes: 1 });
    }
    await sleep(RELAY_OPEN_MS);
    if (!(await write('idle'))) {
      const why = writeFailure('lệnh đóng sau khi mở không thành', 'the idle (shut) write after green');
      await shutAgain();
      return fail(`${why.vi} — kiểm tra cổng ngay`, `${why.en} — check the gate now`, { writes: 2 });
    }
    const stepsVi = `đóng → mở → (${RELAY_OPEN_MS / 1000} giây) → đóng: ${steps.length} lần ghi, ${sent} khung`;
    const stepsEn = `idle → green → (${RELAY_OPEN_MS / 1000} s) → idle: ${steps.length} writes, ${sent} frames`;
    return {
      device,
      check: 'relay',
      pass: true,
      ...(answers
        ? {
            vi: `bảng rơ-le đã trả lời từng khung — hãy xác nhận barie mở rồi đóng (${stepsVi})`,
            en: `the board answered each frame — confirm the barrier opened then shut (${stepsEn})`,
          }
        : {
            vi: `đã gửi — hãy xác nhận rơ-le kêu và barie mở rồi đóng (${stepsVi})`,
            en: `sent — confirm the relay clicked and the barrier opened then shut (${stepsEn})`,
          }),
      data: { writes: steps.length, frames: sent, profile: profile.id, reply: answers ? 'echo' : 'none' },
    };
  } finally {
    listener = null;
    deps.onAbort?.(null);
    await relay.stop();
  }
}

/** What ffmpeg said of a camera or file. */
export interface CameraReading {
  readonly frames: number;
  readonly seconds: number;
  readonly width: number | null;
  readonly height: number | null;
}

/** Reads ffmpeg's `-progress` lines (key=value): the last frame count and output time. */
export function parseProgress(text: string): { frames: number; seconds: number } {
  let frames = 0;
  let micros = 0;
  for (const line of text.split(/\r?\n/)) {
    const [key, value] = line.split('=', 2);
    if (value === undefined) continue;
    if (key === 'frame' && /^\d+$/.test(value.trim())) frames = Number(value.trim());
    if ((key === 'out_time_us' || key === 'out_time_ms') && /^\d+$/.test(value.trim()))
      micros = Number(value.trim()); // ffmpeg's out_time_ms is in microseconds too
  }
  return { frames, seconds: micros / 1e6 };
}

/** The first video stream's size from ffmpeg's stderr (`Stream #0:0: Video: mjpeg …, 640x480`). */
export function parseResolution(stderr: string): { width: number; height: number } | null {
  for (const line of stderr.split(/\r?\n/)) {
    if (!/Stream #\d+:\d+.*: Video:/.test(line)) continue;
    const size = /[ ,](\d{2,5})x(\d{2,5})[ ,[]/.exec(`${line} `);
    if (size) return { width: Number(size[1]), height: Number(size[2]) };
  }
  return null;
}

/** The last meaningful line of ffmpeg's stderr, short: the reason it gave up. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    // Not the closing statistics ffmpeg prints even with -nostats.
    .filter((l) => l !== '' && !/^(Press \[q\]|frame=|video:)/.test(l));
  const line = lines.at(-1) ?? 'no output';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Camera: ffmpeg reads the device (v4l2) or a file (at its own pace) for 2 s; ≥ 5 frames pass. */
export async function checkCamera(
  source: string,
  profile: CameraProfile | null,
  timeoutMs: number,
  deps: CheckDeps,
): Promise<CheckResult> {
  const device = source;
  const fail = (vi: string, en: string): CheckResult => ({ device, check: 'camera', pass: false, vi, en });
  const isDevice = source.startsWith('/dev/');
  if (!existsSync(source))
    return isDevice
      ? fail(`không tìm thấy camera ${source}`, `camera ${source} not found`)
      : fail(`không tìm thấy tệp ${source}`, `file ${source} not found`);
  const input = isDevice
    ? [
        '-f',
        'v4l2',
        ...(profile === null
          ? []
          : [
              '-video_size',
              `${profile.camera.width}x${profile.camera.height}`,
              '-framerate',
              String(profile.camera.fps),
            ]),
        '-i',
        source,
      ]
    : ['-re', '-i', source];
  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    ...input,
    '-t',
    String(CAMERA_SECONDS),
    '-an',
    '-f',
    'null',
    '-progress',
    'pipe:1',
    '-',
  ];
  const run = await new Promise<
    { ok: true; stdout: string; stderr: string; code: number | null } | { ok: false; reason: string }
  >((resolve) => {
    const child = spawn(deps.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    // A camera that never gives a frame must not hang the check.
    const killer = setTimeout(
      () => {
        child.kill('SIGKILL');
      },
      CAMERA_SECONDS * 1000 + Math.max(timeoutMs, 5000),
    );
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(killer);
      resolve({
        ok: false,
        reason: error.code === 'ENOENT' ? 'ffmpeg not installed (apt install ffmpeg)' : error.message,
      });
    });
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ ok: true, stdout, stderr, code });
    });
  });
  if (!run.ok) return fail(`không chạy được ffmpeg: ${run.reason}`, `cannot run ffmpeg: ${run.reason}`);
  const progress = parseProgress(run.stdout);
  const size = parseResolution(run.stderr);
  const fps = progress.seconds > 0 ? Math.round((progress.frames / progress.seconds) * 10) / 10 : null;
  const resolution = size === null ? '?' : `${size.width}×${size.height}`;
  const data = {
    frames: progress.frames,
    fps,
    width: size?.width ?? null,
    height: size?.height ?? null,
  };
  if (progress.frames >= CAMERA_MIN_FRAMES) {
    return {
      device,
      check: 'camera',
      pass: true,
      vi: `${progress.frames} khung hình trong ${CAMERA_SECONDS} giây, ${fps ?? '?'} khung/giây, ${resolution}`,
      en: `${progress.frames} frames in ${CAMERA_SECONDS} s, ${fps ?? '?'} fps, ${resolution}`,
      data,
    };
  }
  const why = run.code === 0 ? `${progress.frames} frames` : lastLine(run.stderr);
  return {
    ...fail(
      `chỉ có ${progress.frames} khung hình trong ${CAMERA_SECONDS} giây (cần ≥ ${CAMERA_MIN_FRAMES}): ${why}`,
      `only ${progress.frames} frames in ${CAMERA_SECONDS} s (needs ≥ ${CAMERA_MIN_FRAMES}): ${why}`,
    ),
    data,
  };
}

const CHECK_NAMES: Record<CheckKind, string> = {
  scanner: 'máy quét / scanner',
  relay: 'rơ-le / relay',
  camera: 'camera / camera',
};

const width = (text: string): number => Array.from(text).length;
const pad = (text: string, to: number): string => text + ' '.repeat(Math.max(0, to - width(text)));

/** The table the technician reads: device, check, ĐẠT/PASS or KHÔNG ĐẠT/FAIL, detail (vi, en). */
export function renderTable(results: readonly CheckResult[]): string {
  const header = ['Thiết bị / Device', 'Kiểm tra / Check', 'Kết quả / Result', 'Chi tiết / Detail'];
  const rows = results.map((r) => [
    r.device,
    CHECK_NAMES[r.check],
    r.pass ? 'ĐẠT / PASS' : 'KHÔNG ĐẠT / FAIL',
    r.vi,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(width(header[i]!), ...rows.map((row) => width(row[i]!))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i < 3 ? pad(cell, widths[i]!) : cell))
      .join('  ')
      .trimEnd();
  const indent = ' '.repeat(widths[0]! + widths[1]! + widths[2]! + 6);
  const out = [line(header)];
  results.forEach((r, i) => {
    out.push(line(rows[i]!));
    out.push(`${indent}${r.en}`);
  });
  const failed = results.filter((r) => !r.pass).length;
  out.push(
    failed === 0
      ? 'Tất cả thiết bị đạt / All devices passed'
      : `${failed} thiết bị không đạt / ${failed} device${failed === 1 ? '' : 's'} failed`,
  );
  return `${out.join('\n')}\n`;
}

/** The `--json` form: one object. */
export function resultsJson(results: readonly CheckResult[]): string {
  return JSON.stringify({
    ok: results.every((r) => r.pass),
    checks: results.map((r) => ({
      device: r.device,
      check: r.check,
      result: r.pass ? 'pass' : 'fail',
      detail: { vi: r.vi, en: r.en },
      ...r.data,
    })),
  });
}

/** The subcommand: parses, checks, prints; resolves the exit code (0 pass, 1 fail, 2 usage). */
export async function checkDevicesMain(
  argv: readonly string[],
  io: { stdout?: (text: string) => void; stderr?: (text: string) => void; stdin?: Readable } = {},
): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const parsed = parseCheckArgs(argv);
  if (!parsed.ok) {
    stderr(
      `checkpoint-lane check-devices: ${parsed.message}\n` +
        'checkpoint-lane check-devices --help: cách dùng / usage\n',
    );
    return 2;
  }
  if ('help' in parsed) {
    stdout(CHECK_DEVICES_USAGE);
    return 0;
  }
  const plan = parsed.plan;
  // Adapters log device trouble; the table already says it, so only errors by default.
  const logger = createLogger(process.env['CHECKPOINT_LOG_LEVEL'] ?? 'error');
  let cleanup: (() => Promise<void>) | null = null;
  const onSignal = (): void => {
    // Ctrl-C while the gate is open: shut it first (bounded), then leave.
    const pending = cleanup ?? (() => Promise.resolve());
    void pending().finally(() => {
      stderr('checkpoint-lane check-devices: đã dừng giữa chừng / stopped before the end\n');
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const results = await runChecks(plan, {
      logger,
      ...(io.stdin !== undefined && { stdin: io.stdin }),
      say: (vi, en) => {
        stderr(`checkpoint-lane check-devices: ${vi} / ${en}\n`);
      },
      onAbort: (c) => {
        cleanup = c;
      },
    });
    stdout(plan.json ? `${resultsJson(results)}\n` : renderTable(results));
    return results.every((r) => r.pass) ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
