// The field check's own logic: arguments and profiles (bad usage is exit 2, naming the field),
// the scanner check on a real stream (standard input's adapter), the camera check through the
// real ffmpeg on a generated file, the relay check on the simulated board (the pty board is
// tested end to end in tests/integration/check-devices.test.ts), and the table/JSON outputs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProfile } from '../relays/index.js';
import {
  checkCamera,
  checkDevicesMain,
  checkRelay,
  checkScanner,
  describeCode,
  parseCheckArgs,
  parseProgress,
  parseResolution,
  renderTable,
  resultsJson,
  type CheckDeps,
  type CheckResult,
} from './check-devices.js';

const PROFILES = fileURLToPath(new URL('../../../hardware-profiles/', import.meta.url));
const ID = '079201004568';

let dir: string;
let video: string;
const said: string[] = [];
const deps = (more: Partial<CheckDeps> = {}): CheckDeps => ({
  logger: pino({ level: 'silent' }),
  say: (vi, en) => {
    said.push(`${vi} / ${en}`);
  },
  ...more,
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-devices-unit-'));
  video = join(dir, 'camera.mkv');
  // 3 s of a test pattern at 10 fps, 320×240: read at its own pace (-re), 2 s give ~20 frames.
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '3'],
    ...['-c:v', 'mjpeg', '-q:v', '5', video],
  ]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const LCUS: RelayProfile = {
  id: 'test-lcus-1',
  name: 'test LCUS board',
  kind: 'relay',
  relay: {
    transport: 'serial',
    serial: { baudRate: 9600 },
    frameCheck: 'lcus',
    commands: { idle: ['A0 01 00 A1'], green: ['A0 01 01 A2'], red: ['A0 01 00 A1'], amber: ['A0 01 00 A1'] },
    openMs: 5000,
  },
};

describe('parseCheckArgs', () => {
  const usage = (argv: string[]): string => {
    const parsed = parseCheckArgs(argv);
    if (parsed.ok) throw new Error(`expected a usage error for ${argv.join(' ')}`);
    return parsed.message;
  };

  it('plans each device from flags and profiles, with defaults', () => {
    const parsed = parseCheckArgs([
      ...['--profile', join(PROFILES, 'generic-serial-cr.json')],
      ...['--profile', join(PROFILES, 'generic-uvc-camera.json')],
      ...['--timeout', '5', '--json'],
    ]);
    if (!parsed.ok || !('plan' in parsed)) throw new Error('expected a plan');
    expect(parsed.plan.scanner?.choice).toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    expect(parsed.plan.camera?.source).toBe('/dev/video0');
    expect(parsed.plan.camera?.profile?.id).toBe('generic-uvc-camera');
    expect(parsed.plan.relay).toBeNull();
    expect(parsed.plan.timeoutMs).toBe(5000);
    expect(parsed.plan.json).toBe(true);
  });

  it('takes a relay profile with --relay serial:PATH, or the profile path', () => {
    const file = writeJson('lcus.json', LCUS);
    const parsed = parseCheckArgs(['--profile', file, '--relay', 'serial:/dev/ttyACM3']);
    if (!parsed.ok || !('plan' in parsed)) throw new Error('expected a plan');
    expect(parsed.plan.relay?.choice).toBe('serial:/dev/ttyACM3');
    expect(parsed.plan.timeoutMs).toBe(20_000);
    const withPath = writeJson('lcus-path.json', {
      ...LCUS,
      relay: { ...LCUS.relay, serial: { baudRate: 9600, path: '/dev/ttyUSB7' } },
    });
    const fromProfile = parseCheckArgs(['--profile', withPath]);
    if (!fromProfile.ok || !('plan' in fromProfile)) throw new Error('expected a plan');
    expect(fromProfile.plan.relay?.choice).toBe('serial:/dev/ttyUSB7');
  });

  it("takes the lane's --relay-profile FILE as --profile, for a relay profile only", () => {
    const file = writeJson('lcus-alias.json', LCUS);
    const parsed = parseCheckArgs(['--relay-profile', file, '--relay', 'serial:/dev/ttyACM3']);
    if (!parsed.ok || !('plan' in parsed)) throw new Error('expected a plan');
    expect(parsed.plan.relay).toEqual({ choice: 'serial:/dev/ttyACM3', profile: LCUS });
    // Copied from the lane: a scanner profile and a relay profile side by side.
    const both = parseCheckArgs([
      ...['--profile', join(PROFILES, 'generic-serial-cr.json')],
      ...['--relay', 'simulated', '--relay-profile', file],
    ]);
    if (!both.ok || !('plan' in both)) throw new Error('expected a plan');
    expect(both.plan.relay?.profile.id).toBe('test-lcus-1');
    expect(both.plan.scanner?.profile?.id).toBe('generic-serial-cr');
    expect(usage(['--relay-profile', join(PROFILES, 'generic-serial-cr.json')])).toMatch(
      /^\S+generic-serial-cr\.json không phải cấu hình rơ-le: trường \/kind .* \/ bad relay profile \S+: \/kind must be "relay" \(it is "serial"\)/,
    );
    expect(usage(['--relay-profile', file, '--profile', file])).toMatch(
      /hai cấu hình rơ-le .* \/ two relay profiles/,
    );
  });

  it('refuses bad usage plainly, Vietnamese / English', () => {
    expect(usage([])).toBe(
      'không có gì để kiểm tra: cho --scanner, --relay (cùng --relay-profile) hoặc --camera / ' +
        'nothing to check: give --scanner, --relay (with --relay-profile) or --camera',
    );
    expect(usage(['--bogus'])).toMatch(/^sai tham số dòng lệnh \/ bad command line: .*bogus/);
    expect(usage(['--relay', 'serial:/dev/ttyUSB0'])).toMatch(
      /^--relay cần cấu hình rơ-le: --relay-profile \S+ \/ --relay needs a relay profile/,
    );
    expect(usage(['--scanner', 'stdin', '--bogus'])).toMatch(/bogus/);
    expect(usage(['--scanner', 'simulated'])).toMatch(/--scanner must be serial:PATH, hid or stdin/);
    expect(usage(['--scanner', 'serial'])).toMatch(/needs a path/);
    expect(usage(['--scanner', 'hid'])).toMatch(/HID POS scanner needs its profile/);
    expect(usage(['--scanner', 'stdin', '--timeout', '0'])).toMatch(/--timeout/);
    expect(usage(['--scanner', 'stdin', '--timeout', 'soon'])).toMatch(/--timeout/);
    expect(usage(['--relay', 'serial:/dev/ttyUSB0'])).toMatch(/--relay needs a relay profile/);
    const lcus = writeJson('lcus2.json', LCUS);
    expect(usage(['--profile', lcus])).toMatch(/give --relay serial:/);
    expect(usage(['--profile', lcus, '--relay', 'usb'])).toMatch(
      /^--relay phải là serial:PATH, hid hoặc simulated \/ --relay must be/,
    );
    expect(usage(['--profile', lcus, '--relay', 'hid'])).toMatch(
      /^cấu hình rơ-le test-lcus-1 dành cho bảng nối tiếp, .* \/ relay profile test-lcus-1 is for a serial board, not --relay hid: use --relay serial:/,
    );
    expect(
      usage([
        ...['--profile', join(PROFILES, 'generic-serial-cr.json')],
        ...['--profile', join(PROFILES, 'generic-serial-crlf.json')],
      ]),
    ).toMatch(/two scanner profiles/);
    expect(usage(['--profile', join(dir, 'no-such.json')])).toMatch(
      /^không đọc được cấu hình \S+no-such\.json .* \/ bad profile \S+no-such\.json: cannot read/,
    );
  });

  it('names the wrong field of a malformed profile, in each language', () => {
    const shortOpen = writeJson('short.json', { ...LCUS, relay: { ...LCUS.relay, openMs: 100 } });
    // The loader's words (English) stay on the English side; the field is named on both.
    expect(usage(['--relay-profile', shortOpen, '--relay', 'simulated'])).toBe(
      `cấu hình ${shortOpen} sai ở trường /relay/openMs / bad profile ${shortOpen}: /relay/openMs must be >= 500`,
    );
    const badSum = writeJson('badsum.json', {
      ...LCUS,
      relay: { ...LCUS.relay, commands: { ...LCUS.relay.commands, green: ['A0 01 01 A3'] } },
    });
    expect(usage(['--profile', badSum, '--relay', 'simulated'])).toMatch(/\/relay\/commands\/green\/0/);
  });
});

describe('checkScanner', () => {
  it('passes on the first code, telling its length and format, never its text', async () => {
    const input = new PassThrough();
    said.length = 0;
    const running = checkScanner({ kind: 'stdin' }, null, 10_000, deps({ stdin: input }));
    await expect.poll(() => said.length).toBeGreaterThan(0);
    expect(said[0]).toMatch(/^hãy quét một mã bất kỳ .* \/ scan any code/);
    input.write('\n'); // an Enter alone is not a code
    input.write(`${ID}\n`);
    const result = await running;
    expect(result).toMatchObject({ check: 'scanner', device: 'stdin', pass: true });
    expect(result.data).toEqual({ length: 12, format: 'personal_id' });
    expect(result.en).toBe('read a 12-character code, format personal_id');
    expect(JSON.stringify(result)).not.toContain(ID);
  });

  it('fails when no code comes within the timeout', async () => {
    const input = new PassThrough();
    const result = await checkScanner({ kind: 'stdin' }, null, 1000, deps({ stdin: input }));
    expect(result.pass).toBe(false);
    expect(result.en).toMatch(/no code within 1 s/);
    input.end();
  });

  it('fails at once when its input ends without a code', async () => {
    const input = new PassThrough();
    const running = checkScanner({ kind: 'stdin' }, null, 30_000, deps({ stdin: input }));
    input.end();
    const result = await running;
    expect(result.pass).toBe(false);
    expect(result.en).toMatch(/no code read \(end of input\)/);
  });

  it('fails plainly for a serial port that does not exist', async () => {
    const path = join(dir, 'no-such-tty');
    const result = await checkScanner({ kind: 'serial', path }, null, 30_000, deps());
    expect(result).toMatchObject({ pass: false, device: `serial:${path}` });
    expect(result.en).toBe(`serial port ${path} not found`);
  });
});

describe('describeCode', () => {
  it('names the format the lane would read, or why it cannot', () => {
    expect(describeCode(ID)).toBe('personal_id');
    expect(describeCode('51F-123.45')).toBe('vehicle_plate');
    expect(describeCode('hello, not a code')).toBe('payload_unknown_format');
    expect(describeCode('CLSC1:abc')).toBe('staff_card');
  });
});

describe('checkCamera (real ffmpeg)', () => {
  it('passes a video file with its frames, fps and size', async () => {
    const result = await checkCamera(video, null, 20_000, deps());
    expect(result.pass).toBe(true);
    expect(result.data?.['width']).toBe(320);
    expect(result.data?.['height']).toBe(240);
    expect(result.data?.['frames']).toBeGreaterThanOrEqual(15);
    expect(result.data?.['fps']).toBeGreaterThan(8);
    expect(result.en).toMatch(/^\d+ frames in 2 s, [\d.]+ fps, 320×240$/);
  }, 30_000);

  it('fails a missing device or file, and a file that is not video', async () => {
    const device = await checkCamera('/dev/video-none-97', null, 20_000, deps());
    expect(device).toMatchObject({ pass: false, en: 'camera /dev/video-none-97 not found' });
    const junk = join(dir, 'junk.mkv');
    writeFileSync(junk, 'not a video at all');
    const bad = await checkCamera(junk, null, 20_000, deps());
    expect(bad.pass).toBe(false);
    expect(bad.en).toMatch(/^only 0 frames in 2 s \(needs ≥ 5\): .+/);
  }, 30_000);

  it('fails plainly without ffmpeg', async () => {
    const result = await checkCamera(video, null, 20_000, deps({ ffmpeg: join(dir, 'no-ffmpeg') }));
    expect(result).toMatchObject({
      pass: false,
      en: 'cannot run ffmpeg: ffmpeg not installed (apt install ffmpeg)',
    });
  });

  it('reads ffmpeg progress and stream lines', () => {
    expect(
      parseProgress('frame=3\nout_time_us=100000\nframe=20\nout_time_us=2000000\nprogress=end\n'),
    ).toEqual({
      frames: 20,
      seconds: 2,
    });
    expect(
      parseResolution(
        '  Stream #0:0: Video: mjpeg (Baseline) (MJPG / 0x47504A4D), yuvj422p(pc), 1280x720, 30 fps, 30 tbr',
      ),
    ).toEqual({ width: 1280, height: 720 });
    expect(parseResolution('nothing here')).toBeNull();
  });
});

describe('checkRelay (simulated board)', () => {
  it('drives idle, green, then idle after a second, and passes', async () => {
    said.length = 0;
    const started = Date.now();
    const result = await checkRelay('simulated', LCUS, 5000, deps());
    expect(result).toMatchObject({ check: 'relay', device: 'simulated', pass: true });
    expect(result.data).toEqual({ writes: 3, frames: 3, profile: 'test-lcus-1', reply: 'none' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(said.join('\n')).toMatch(/the gate will open: watch the barrier/);
    // The board cannot answer: the check cannot hear the click, the technician confirms it.
    expect(result.vi).toMatch(/^đã gửi — hãy xác nhận rơ-le kêu và barie mở rồi đóng \(/);
    expect(result.en).toMatch(/^sent — confirm the relay clicked and the barrier opened then shut \(/);
  }, 30_000);

  it('fails plainly for a serial board that is not there', async () => {
    const path = join(dir, 'no-relay-tty');
    const result = await checkRelay(`serial:${path}`, LCUS, 5000, deps());
    expect(result).toMatchObject({ pass: false, en: `serial port ${path} not found` });
  });
});

describe('outputs', () => {
  const results: CheckResult[] = [
    {
      device: 'serial:/dev/ttyUSB1',
      check: 'relay',
      pass: true,
      vi: 'đã đóng',
      en: 'shut',
      data: { writes: 3 },
    },
    { device: 'stdin', check: 'scanner', pass: false, vi: 'không có mã', en: 'no code' },
  ];

  it('prints a table, Vietnamese first, English under each row, and a verdict', () => {
    const table = renderTable(results);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^Thiết bị \/ Device +Kiểm tra \/ Check +Kết quả \/ Result +Chi tiết \/ Detail$/,
    );
    expect(lines[1]).toMatch(/^serial:\/dev\/ttyUSB1 +rơ-le \/ relay +ĐẠT \/ PASS +đã đóng$/);
    expect(lines[2]).toMatch(/^ +shut$/);
    expect(lines[3]).toMatch(/^stdin +máy quét \/ scanner +KHÔNG ĐẠT \/ FAIL +không có mã$/);
    // The detail column starts at the same place in every row.
    expect(lines[1]!.indexOf('đã đóng')).toBe(lines[0]!.indexOf('Chi tiết'));
    expect(lines[2]!.indexOf('shut')).toBe(lines[0]!.indexOf('Chi tiết'));
    expect(lines.at(-1)).toBe('1 thiết bị không đạt / 1 device failed');
    expect(renderTable(results.slice(0, 1))).toMatch(/Tất cả thiết bị đạt \/ All devices passed\n$/);
  });

  it('gives one JSON object with --json', () => {
    expect(JSON.parse(resultsJson(results))).toEqual({
      ok: false,
      checks: [
        {
          device: 'serial:/dev/ttyUSB1',
          check: 'relay',
          result: 'pass',
          detail: { vi: 'đã đóng', en: 'shut' },
          writes: 3,
        },
        { device: 'stdin', check: 'scanner', result: 'fail', detail: { vi: 'không có mã', en: 'no code' } },
      ],
    });
  });
});

describe('checkDevicesMain', () => {
  const run = async (argv: string[], stdin?: PassThrough) => {
    let out = '';
    let err = '';
    const code = await checkDevicesMain(argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      ...(stdin !== undefined && { stdin }),
    });
    return { code, out, err };
  };

  it('exits 0 when every device passes, 1 when one fails, 2 on bad usage', async () => {
    const pass = await run([
      '--camera',
      video,
      '--relay',
      'simulated',
      '--profile',
      writeJson('m.json', LCUS),
    ]);
    expect(pass.code).toBe(0);
    expect(pass.out).toMatch(/Tất cả thiết bị đạt/);
    const input = new PassThrough();
    input.end();
    const fail = await run(['--camera', video, '--scanner', 'stdin', '--json'], input);
    expect(fail.code).toBe(1);
    const json = JSON.parse(fail.out) as { ok: boolean; checks: { check: string; result: string }[] };
    expect(json.ok).toBe(false);
    expect(json.checks.map((c) => [c.check, c.result])).toEqual([
      ['camera', 'pass'],
      ['scanner', 'fail'],
    ]);
    const usage = await run(['--timeout', '5']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/nothing to check/);
    expect(usage.err).toMatch(/check-devices --help/);
    expect(usage.out).toBe('');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^ {2}--relay-profile FILE {2}như --profile, cho cấu hình rơ-le/m);
    expect(help.out).toMatch(/stop the lane first: it holds the\s+serial ports/);
  }, 30_000);
});
