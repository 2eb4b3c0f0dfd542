import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { HardwareProfile } from '../profiles/hardware-profile.js';
import { HidScanner, loadNodeHidBackend } from '../scanners/hid-scanner.js';
import type { Scanner } from '../scanners/scanner.js';
import { SerialScanner } from '../scanners/serial-scanner.js';
import { SimulatedScanner } from '../scanners/simulated-scanner.js';
import { StdinScanner } from '../scanners/stdin-scanner.js';

/** The `--scanner` choice: `stdin`, `serial:PATH`, `hid` or `simulated`. */
export type ScannerChoice =
  | { kind: 'stdin' }
  | { kind: 'serial'; path: string | null }
  | { kind: 'hid' }
  | { kind: 'simulated' }
  | { kind: 'none' };

/** Reads a `--scanner` value; null if it is none of the forms. */
export function parseScannerChoice(text: string): ScannerChoice | null {
  if (text === 'stdin' || text === 'hid' || text === 'simulated' || text === 'none') return { kind: text };
  if (text === 'serial') return { kind: 'serial', path: null };
  if (text.startsWith('serial:') && text.length > 'serial:'.length)
    return { kind: 'serial', path: text.slice(7) };
  return null;
}

/** The scanner a profile implies when `--scanner` is not given. */
export function defaultScannerChoice(profile: HardwareProfile | null): ScannerChoice {
  if (profile?.kind === 'serial') return { kind: 'serial', path: profile.path ?? null };
  if (profile?.kind === 'hid-pos') return { kind: 'hid' };
  if (profile?.kind === 'camera') return { kind: 'none' };
  return { kind: 'stdin' };
}

/** Why a scanner cannot be made: Vietnamese, English, and both as one line (`vi / en`). */
export interface ScannerRefusal {
  readonly ok: false;
  readonly vi: string;
  readonly en: string;
  readonly message: string;
}

const refuse = (vi: string, en: string): ScannerRefusal => ({ ok: false, vi, en, message: `${vi} / ${en}` });

/** Builds the scanner adapter, or says plainly why it cannot. */
export async function buildScanner(
  choice: ScannerChoice,
  profile: HardwareProfile | null,
  logger: Logger,
): Promise<{ ok: true; scanner: Scanner | null } | ScannerRefusal> {
  switch (choice.kind) {
    case 'stdin':
      return { ok: true, scanner: new StdinScanner() };
    case 'simulated':
      return { ok: true, scanner: new SimulatedScanner() };
    case 'none':
      return { ok: true, scanner: null };
    case 'serial': {
      const path = choice.path ?? (profile?.kind === 'serial' ? (profile.path ?? null) : null);
      if (path === null)
        return refuse(
          'máy quét nối tiếp cần đường dẫn: --scanner serial:/dev/ttyUSB0',
          'a serial scanner needs a path: --scanner serial:/dev/ttyUSB0',
        );
      if (profile?.kind === 'relay')
        return refuse(
          `cấu hình ${profile.id}: đây là cấu hình rơ-le: dùng --relay-profile`,
          `profile ${profile.id}: this is a relay profile: use --relay-profile`,
        );
      if (profile !== null && profile.kind !== 'serial') {
        return refuse(
          `cấu hình ${profile.id} là cấu hình ${profile.kind}, không phải máy quét nối tiếp`,
          `profile ${profile.id} is a ${profile.kind} profile, not a serial one`,
        );
      }
      const settings = profile?.serial ?? { baudRate: 9600, framing: { suffix: 'CR' as const } };
      if (!existsSync(path)) {
        // Not fatal: a lane must come up with its scanner unplugged and take it when it appears.
        process.stderr.write(
          `checkpoint-lane: cổng nối tiếp của máy quét ${path} chưa có; đang chờ máy quét / ` +
            `serial port ${path} does not exist (yet); waiting for it\n`,
        );
      }
      return { ok: true, scanner: new SerialScanner({ path, settings, logger }) };
    }
    case 'hid': {
      if (profile?.kind !== 'hid-pos') {
        return refuse(
          'máy quét HID POS cần cấu hình của nó: --profile hardware-profiles/honeywell-hid-pos.json',
          'a HID POS scanner needs its profile: --profile hardware-profiles/honeywell-hid-pos.json',
        );
      }
      try {
        const backend = await loadNodeHidBackend();
        const { report, ...match } = profile.hid;
        return { ok: true, scanner: new HidScanner({ match, layout: report, backend, logger }) };
      } catch (error) {
        return refuse(
          'không tải được thư viện HID (node-hid): đã cài libusb-1.0-0 chưa?',
          `cannot load node-hid (is libusb-1.0-0 installed?): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
