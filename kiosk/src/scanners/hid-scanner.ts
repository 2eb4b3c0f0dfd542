import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';
import { HidPosDecoder, type HidReportLayout } from './hid-pos-decoder.js';
import type { DeviceState, Scanner, ScannerSink } from './scanner.js';

/** Which HID device to use: a HID POS scanner (usage page 0x8C, usage 2) of a given vendor. */
export interface HidMatch {
  readonly vendorId: number;
  readonly productIds?: readonly number[];
  readonly usagePage: number;
  readonly usage: number;
}

/** A HID device as `node-hid` lists it. */
export interface HidDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly path?: string | undefined;
  readonly usagePage?: number | undefined;
  readonly usage?: number | undefined;
}

/** An open HID device: `node-hid`'s HID class fits. */
export interface HidDeviceLike {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeAllListeners(): unknown;
  close(): void;
}

/** Lists and opens HID devices. The real one is `node-hid`; tests inject a fake (no virtual HID here). */
export interface HidBackend {
  list(): Promise<HidDeviceInfo[]>;
  open(path: string): HidDeviceLike;
}

/** `node-hid`, loaded only when a HID scanner is configured (it needs libusb/hidraw). */
export async function loadNodeHidBackend(): Promise<HidBackend> {
  const hid = await import('node-hid');
  return {
    list: () => hid.devicesAsync(),
    open: (path) => new hid.HID(path),
  };
}

/** Options of a HID POS scanner adapter. */
export interface HidScannerOptions {
  readonly match: HidMatch;
  readonly layout: HidReportLayout;
  readonly backend: HidBackend;
  readonly logger: Logger;
  readonly retry?: { readonly baseMs: number; readonly capMs: number };
  /** A continued code whose next report does not come within this is dropped. */
  readonly continuationTimeoutMs?: number;
}

/**
 * A HID POS barcode scanner: finds the device by vendor and usage, decodes its reports (with
 * multi-report codes), and looks for it again with back-off when it is unplugged.
 */
export class HidScanner implements Scanner {
  readonly kind = 'hid' as const;
  readonly device: string;
  readonly #options: HidScannerOptions;
  readonly #decoder: HidPosDecoder;
  readonly #log: Logger;
  #state: DeviceState;
  #open: HidDeviceLike | null = null;
  #sink: ScannerSink | null = null;
  #timer: NodeJS.Timeout | null = null;
  #partialTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #stopped = true;

  constructor(options: HidScannerOptions) {
    this.#options = options;
    this.device = `hid:${options.match.vendorId.toString(16).padStart(4, '0')}`;
    this.#decoder = new HidPosDecoder(options.layout);
    this.#log = options.logger.child({ module: 'hid-scanner', device: this.device });
    this.#state = { device: this.device, kind: 'hid', status: 'disconnected' };
  }

  state(): DeviceState {
    return this.#state;
  }

  start(sink: ScannerSink): void {
    this.#sink = sink;
    this.#stopped = false;
    void this.#connect();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#release();
    this.#setState('disconnected', 'stopped');
    return Promise.resolve();
  }

  #setState(status: DeviceState['status'], detail?: string): void {
    if (this.#state.status === status && this.#state.detail === detail) return;
    this.#state = { device: this.device, kind: 'hid', status, ...(detail === undefined ? {} : { detail }) };
    this.#log.info({ status, detail }, 'device state');
    this.#sink?.status(this.#state);
  }

  #matches(d: HidDeviceInfo): boolean {
    const m = this.#options.match;
    return (
      d.vendorId === m.vendorId &&
      (m.productIds === undefined || m.productIds.includes(d.productId)) &&
      d.usagePage === m.usagePage &&
      d.usage === m.usage &&
      d.path !== undefined
    );
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#setState('connecting');
    try {
      const found = (await this.#options.backend.list()).find((d) => this.#matches(d));
      // stop() may have been called while the bus was being listed (the linter cannot see the await).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#stopped) return;
      if (found?.path === undefined) {
        this.#retry('no matching HID POS device');
        return;
      }
      const device = this.#options.backend.open(found.path);
      this.#open = device;
      this.#decoder.reset();
      device.on('data', (data) => {
        this.#onReport(data);
      });
      device.on('error', (error) => {
        if (this.#open !== device) return;
        this.#release();
        this.#retry(error instanceof Error ? error.message : 'device error');
      });
      this.#attempt = 0;
      this.#setState('connected');
    } catch (error) {
      this.#release();
      this.#retry(error instanceof Error ? error.message : 'cannot open device');
    }
  }

  #onReport(data: Buffer): void {
    if (this.#partialTimer) clearTimeout(this.#partialTimer);
    this.#partialTimer = null;
    const result = this.#decoder.push(data);
    switch (result.kind) {
      case 'code':
        if (result.code.invalidUtf8) this.#log.warn('invalid UTF-8 from device');
        this.#sink?.scan({ text: result.code.text, source: 'hid', device: this.device });
        break;
      case 'partial':
        this.#partialTimer = setTimeout(() => {
          this.#log.warn('continued code never completed; dropped');
          this.#decoder.reset();
        }, this.#options.continuationTimeoutMs ?? 500);
        break;
      case 'malformed':
        this.#log.warn({ reason: result.reason }, 'malformed HID report');
        break;
      case 'ignored':
        break;
    }
  }

  #release(): void {
    if (this.#partialTimer) clearTimeout(this.#partialTimer);
    this.#partialTimer = null;
    const device = this.#open;
    this.#open = null;
    if (!device) return;
    device.removeAllListeners();
    try {
      device.close();
    } catch {
      // Closing an unplugged device may fail; it is gone either way.
    }
  }

  #retry(reason: string): void {
    if (this.#stopped) return;
    this.#setState('disconnected', reason);
    const delay = backoffDelay(this.#attempt++, this.#options.retry ?? { baseMs: 500, capMs: 5000 });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
  }
}
