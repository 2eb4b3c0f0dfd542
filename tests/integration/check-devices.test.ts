// `checkpoint-lane check-devices` (issue 17) through the built CLI and its launcher
// (kiosk/bin/checkpoint-lane.js), with real devices where they can exist here: a scanner and
// relay boards on real `socat` pty pairs (this test holds the device's end: it types a code into
// the scanner, reads the relay's frames and, as a Modbus module does, echoes them back), and a
// camera played from a video file by the real ffmpeg. Needs `npm run build` first.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../kiosk/bin/checkpoint-lane.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../kiosk/dist/cli/check-devices.js', import.meta.url));
const PROFILES = fileURLToPath(new URL('../../hardware-profiles/', import.meta.url));
const CODE = '079201004568';

let dir: string;
let video: string;
const cleanups: (() => void)[] = [];

beforeAll(() => {
  if (!existsSync(BUILT))
    throw new Error('kiosk/dist/cli/check-devices.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'check-devices-'));
  // A camera stand-in: 3 s of a test pattern, 10 fps, 640×360, MJPEG as UVC cameras send it.
  video = join(dir, 'camera.mkv');
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=10', '-t', '3'],
    ...['-c:v', 'mjpeg', '-q:v', '5', video],
  ]);
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A socat pty pair: `lane` is the device path the CLI opens, `device` the end this test holds. */
async function ptyPair(name: string): Promise<{ lane: string; device: string }> {
  const lane = join(dir, `${name}-lane`);
  const device = join(dir, `${name}-device`);
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${lane}`, `pty,raw,echo=0,link=${device}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => socat.kill('SIGTERM'));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    socat.stderr.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('starting data transfer loop')) resolve();
    });
    socat.once('exit', (code) => {
      reject(new Error(`socat exited ${code}`));
    });
  });
  return { lane, device };
}

/** The device's end of a pty, read without blocking a thread (a tty stream). */
function openDevice(path: string): { fd: number; stream: ReadStream; received: () => Buffer } {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const stream = new ReadStream(fd);
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', () => {
    // The pty goes away with socat at the end of a test.
  });
  cleanups.unshift(() => {
    stream.destroy();
  });
  return { fd, stream, received: () => Buffer.concat(chunks) };
}

interface Run {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `checkpoint-lane check-devices ARGS` through the committed launcher. */
function checkDevices(args: string[]): Run {
  const child = spawn(process.execPath, [LAUNCHER, 'check-devices', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'error' },
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stderr: () => stderr, done };
}

interface JsonReport {
  ok: boolean;
  checks: ({ device: string; check: string; result: string; detail: { vi: string; en: string } } & Record<
    string,
    unknown
  >)[];
}

/** A profile's frames for one command, as bytes, read from the JSON independently of the code. */
function frames(profile: string, command: string): Buffer {
  const json = JSON.parse(readFileSync(join(PROFILES, profile), 'utf8')) as {
    relay: { commands: Record<string, string[]> };
  };
  return Buffer.concat(
    json.relay.commands[command]!.map((hex) => Buffer.from(hex.replace(/\s+/g, ''), 'hex')),
  );
}

describe('checkpoint-lane check-devices (built CLI)', () => {
  it('scanner on a pty: asks for any code, PASS with its length and format, never its text', async () => {
    const pty = await ptyPair('scanner');
    const device = openDevice(pty.device);
    const run = checkDevices([
      ...['--profile', join(PROFILES, 'generic-serial-cr.json')],
      ...['--scanner', `serial:${pty.lane}`, '--timeout', '30'],
    ]);
    await expect.poll(run.stderr, { timeout: 20_000 }).toMatch(/scan any code within/);
    writeFileSync(device.fd, `${CODE}\r`);
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toMatch(/^checkpoint-lane check-devices: hãy quét một mã bất kỳ/m);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^Thiết bị \/ Device +Kiểm tra \/ Check +Kết quả \/ Result +Chi tiết \/ Detail$/,
    );
    expect(lines[1]).toMatch(
      /^serial:\S+scanner-lane +máy quét \/ scanner +ĐẠT \/ PASS +đã đọc một mã 12 ký tự, dạng personal_id$/,
    );
    expect(lines[2]).toMatch(/^ +read a 12-character code, format personal_id$/);
    expect(lines.at(-1)).toBe('Tất cả thiết bị đạt / All devices passed');
    expect(stdout + stderr).not.toContain(CODE);
  });

  it('relay on a pty (LCUS-4 tower light): idle, green, then idle, byte-exact, PASS', async () => {
    const pty = await ptyPair('relay');
    const device = openDevice(pty.device);
    const started = Date.now();
    const run = checkDevices([
      ...['--profile', join(PROFILES, 'lcus-4-tower-light.json')],
      ...['--relay', `serial:${pty.lane}`, '--json'],
    ]);
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // green was held for a second
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.checks).toEqual([
      expect.objectContaining({
        device: `serial:${pty.lane}`,
        check: 'relay',
        result: 'pass',
        writes: 3,
        frames: 12,
        profile: 'lcus-4-tower-light',
        reply: 'none',
      }),
    ]);
    // An LCUS board never answers: the check cannot hear the click, the technician confirms it.
    expect(report.checks[0]!.detail.vi).toMatch(/^đã gửi — hãy xác nhận rơ-le kêu và barie mở rồi đóng \(/);
    expect(report.checks[0]!.detail.en).toMatch(
      /^sent — confirm the relay clicked and the barrier opened then shut \(idle → green → \(1 s\) → idle: 3 writes, 12 frames\)$/,
    );
    expect(stderr).toMatch(/the gate will open: watch the barrier/);
    const expected = Buffer.concat([
      frames('lcus-4-tower-light.json', 'idle'),
      frames('lcus-4-tower-light.json', 'green'),
      frames('lcus-4-tower-light.json', 'idle'),
    ]);
    await expect
      .poll(() => device.received().length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(expected.length);
    // Nothing more follows (no keep-alive, nothing after the last idle).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(device.received().toString('hex')).toBe(expected.toString('hex'));
  });

  it('relay on a pty (Modbus RTU module): PASS when each frame is echoed, FAIL when the module stays silent', async () => {
    const pty = await ptyPair('modbus');
    const device = openDevice(pty.device);
    // The module's side: echo every 8-byte function-05 frame back, as the module does.
    let pending = Buffer.alloc(0);
    device.stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        writeFileSync(device.fd, pending.subarray(0, 8));
        pending = pending.subarray(8);
      }
    });
    const echoed = await checkDevices([
      ...['--profile', join(PROFILES, 'modbus-rtu-4ch-relay.json')],
      ...['--relay', `serial:${pty.lane}`, '--json'],
    ]).done;
    expect(echoed.code, echoed.stderr).toBe(0);
    const passed = (JSON.parse(echoed.stdout) as JsonReport).checks[0]!;
    expect(passed).toMatchObject({ result: 'pass', reply: 'echo' });
    expect(passed.detail.en).toMatch(/^the board answered each frame — confirm the barrier opened then shut/);
    expect(passed.detail.vi).toMatch(/^bảng rơ-le đã trả lời từng khung/);
    expect(device.received().toString('hex')).toBe(
      Buffer.concat([
        frames('modbus-rtu-4ch-relay.json', 'idle'),
        frames('modbus-rtu-4ch-relay.json', 'green'),
        frames('modbus-rtu-4ch-relay.json', 'idle'),
      ]).toString('hex'),
    );

    const silent = await ptyPair('modbus-silent');
    const silentDevice = openDevice(silent.device);
    const unanswered = await checkDevices([
      ...['--relay-profile', join(PROFILES, 'modbus-rtu-4ch-relay.json')],
      ...['--relay', `serial:${silent.lane}`, '--json'],
    ]).done;
    expect(unanswered.code).toBe(1);
    const report = JSON.parse(unanswered.stdout) as JsonReport;
    expect(report.checks[0]).toMatchObject({ check: 'relay', result: 'fail', writes: 0 });
    // What a technician checks on an RS-485 line, in each language.
    expect(report.checks[0]!.detail).toEqual({
      vi: 'lệnh đóng (idle) không thành: bảng rơ-le không trả lời — kiểm tra dây RS-485 A/B, địa chỉ slave, tốc độ baud',
      en: 'the idle (shut) write: the board did not answer — check RS-485 A/B wiring, slave address and baud',
    });
    // Unanswered, the gate was never told to open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(silentDevice.received().toString('hex')).not.toContain(
      frames('modbus-rtu-4ch-relay.json', 'green').toString('hex'),
    );
  });

  it('Ctrl-C while the gate is open: the relay is driven shut before the check exits', async () => {
    const pty = await ptyPair('relay-int');
    const device = openDevice(pty.device);
    const run = checkDevices([
      ...['--profile', join(PROFILES, 'lcus-1-relay.json')],
      ...['--relay', `serial:${pty.lane}`],
    ]);
    const idle = frames('lcus-1-relay.json', 'idle');
    const green = frames('lcus-1-relay.json', 'green');
    const openedHex = Buffer.concat([idle, green]).toString('hex');
    // Interrupt within the open second, as soon as the green frame has arrived.
    await expect
      .poll(() => device.received().toString('hex'), { timeout: 20_000, interval: 20 })
      .toBe(openedHex);
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/stopped before the end/);
    expect(device.received().toString('hex')).toBe(Buffer.concat([idle, green, idle]).toString('hex'));
  });

  it('a serial path that does not exist: FAIL with a plain reason, exit 1', async () => {
    const missing = join(dir, 'no-such-tty');
    const { code, stdout, stderr } = await checkDevices([
      ...['--profile', join(PROFILES, 'lcus-1-relay.json'), '--relay', `serial:${missing}`],
      ...['--scanner', `serial:${join(dir, 'no-such-scanner')}`],
    ]).done;
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /KHÔNG ĐẠT \/ FAIL +không tìm thấy cổng nối tiếp \S+no-such-tty\n +serial port \S+no-such-tty not found/,
    );
    expect(stdout).toMatch(/máy quét \/ scanner +KHÔNG ĐẠT \/ FAIL +không tìm thấy cổng nối tiếp/);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('2 thiết bị không đạt / 2 devices failed');
    expect(stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
  });

  it('a relay port held by another process: FAIL at once, port in use, stop the lane first', async () => {
    const pty = await ptyPair('relay-busy');
    openDevice(pty.device);
    // serialport locks a port it opens with flock(LOCK_EX|LOCK_NB), as a running lane does:
    // flock(1) takes the same lock on the same device node (no fork: one process to end).
    const holder = spawn('flock', ['--no-fork', '-x', '-n', pty.lane, 'sleep', '120'], { stdio: 'ignore' });
    cleanups.unshift(() => holder.kill('SIGTERM'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(holder.exitCode).toBeNull();
    const started = Date.now();
    const { code, stdout } = await checkDevices([
      ...['--relay-profile', join(PROFILES, 'lcus-1-relay.json')],
      ...['--relay', `serial:${pty.lane}`, '--json', '--timeout', '60'],
    ]).done;
    expect(code).toBe(1);
    // Not after the 60 s connection timeout: retrying would not free the port.
    expect(Date.now() - started).toBeLessThan(30_000);
    const check = (JSON.parse(stdout) as JsonReport).checks[0]!;
    expect(check).toMatchObject({ check: 'relay', result: 'fail' });
    expect(check.detail.vi).toBe('rơ-le không kết nối được: cổng đang được dùng: dừng làn trước');
    expect(check.detail.en).toMatch(
      /^relay not connected: port in use: stop the lane first \(.*Cannot lock port\)$/,
    );
  });

  it('a HID relay board that is not on the bus: FAIL, Vietnamese and English apart', async () => {
    // The real node-hid, listing this machine's bus (no relay board is plugged in here).
    const { code, stdout } = await checkDevices([
      ...['--relay-profile', join(PROFILES, 'usb-hid-relay-2ch.json')],
      ...['--timeout', '2', '--json'],
    ]).done;
    expect(code).toBe(1);
    const check = (JSON.parse(stdout) as JsonReport).checks[0]!;
    expect(check).toMatchObject({ device: 'hid', check: 'relay', result: 'fail' });
    expect(check.detail.vi).toMatch(
      /^(rơ-le không kết nối được: không thấy bảng rơ-le HID|không mở được rơ-le: không tải được thư viện HID)/,
    );
    expect(check.detail.vi).not.toMatch(/no matching|cannot load|board/);
    expect(check.detail.en).toMatch(
      /^(relay not connected: no HID relay board|cannot open the relay: cannot load node-hid)/,
    );
  });

  it('camera from a video file through ffmpeg: PASS with frames, fps and resolution', async () => {
    const { code, stdout, stderr } = await checkDevices([
      ...['--profile', join(PROFILES, 'generic-uvc-camera.json')],
      ...['--camera', video, '--json'],
    ]).done;
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as JsonReport;
    const camera = report.checks[0]!;
    expect(camera).toMatchObject({ device: video, check: 'camera', result: 'pass', width: 640, height: 360 });
    expect(camera['frames']).toBeGreaterThanOrEqual(15);
    expect(camera['fps']).toBeGreaterThan(8);
    expect(camera.detail.vi).toMatch(/^\d+ khung hình trong 2 giây, [\d.]+ khung\/giây, 640×360$/);
    // A camera device that is not there: a FAIL, not a crash.
    const none = await checkDevices(['--camera', '/dev/video-none-97']).done;
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/KHÔNG ĐẠT \/ FAIL +không tìm thấy camera \/dev\/video-none-97/);
  });

  it('a malformed relay profile: exit 2, naming the field', async () => {
    const shipped = JSON.parse(readFileSync(join(PROFILES, 'lcus-1-relay.json'), 'utf8')) as {
      relay: { commands: Record<string, string[]>; openMs: number };
    };
    const badSum = join(dir, 'bad-checksum.json');
    writeFileSync(
      badSum,
      JSON.stringify({
        ...shipped,
        relay: { ...shipped.relay, commands: { ...shipped.relay.commands, green: ['A0 01 01 A3'] } },
      }),
    );
    const first = await checkDevices(['--profile', badSum, '--relay', 'simulated']).done;
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/bad profile \S+bad-checksum\.json: \/relay\/commands\/green\/0 .*A2/);
    expect(first.stdout).toBe('');
    const shortOpen = join(dir, 'short-open.json');
    writeFileSync(shortOpen, JSON.stringify({ ...shipped, relay: { ...shipped.relay, openMs: 100 } }));
    // As the lane takes it (--relay-profile): the field named on each side of the line.
    const second = await checkDevices(['--relay-profile', shortOpen, '--relay', 'simulated']).done;
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /^checkpoint-lane check-devices: cấu hình \S+short-open\.json sai ở trường \/relay\/openMs \/ bad profile \S+short-open\.json: \/relay\/openMs must be >= 500$/m,
    );
    const usage = await checkDevices(['--relay', 'serial:/dev/ttyUSB0']).done;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /^checkpoint-lane check-devices: --relay cần cấu hình rơ-le: .* \/ --relay needs a relay profile: --relay-profile /m,
    );
  });
});
