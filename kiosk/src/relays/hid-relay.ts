// A USB-HID relay board (the common 16c0:05df "USBRelay" boards: feature report
// [0x00, 0xFF, channel, 0…] switches a channel on, [0x00, 0xFD, channel, 0…] off). Frames go out
// as feature or output reports, per the profile; the board is looked for again with back-off when
// it is unplugged. Writes never reject.
import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';
import type { Relay, RelayState } from './relay.js';

/** A HID device as `node-hid` lists it. */
export interface HidRelayInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly path?: string | undefined;
}

/** An open HID relay board: `node-hid`'s HIDAsync fits. Report bytes start with the report id. */
export interface HidRelayDevice {
  sendFeatureReport(data: Buffer): Promise<number>;
  write(data: Buffer): Promise<number>;
  close(): Promise<void>;
}

/** Lists and opens HID devices. The real one is `node-hid`; tests inject a fake (no virtual HID here). */
export interface HidRelayBackend {
  list(): Promise<HidRelayInfo[]>;
  open(path: string): Promise<HidRelayDevice>;
}

/** `node-hid`, loaded only when a HID relay is configured (it needs libusb/hidraw). */
export async function loadNodeHidRelayBackend(): Promise<HidRelayBackend> {
  const hid = await import('node-hid');
  return {
    list: () => hid.devicesAsync(),
    open: async (path) => {
      const device = await hid.HIDAsync.open(path);
      return {
        sendFeatureReport: (data) => device.sendFeatureReport(data),
        write: (data) => device.write(data),
        close: () => device.close(),
      };
    },
  };
}

/** Options of a HID relay adapter. */
export interface HidRelayOptions {
  readonly vendorId: number;
  readonly productId: number;
  /** `feature`: frames are feature reports (16c0:05df boards); `output`: output reports. */
  readonly report: 'feature' | 'output';
  readonly backend: HidRelayBackend;
  readonly logger: Logger;
  readonly retry?: { readonly baseMs: number; readonly capMs: number };
  /** How often to check the board is still on the bus (0: never; a failed write notices too). */
  readonly watchdogMs?: number;
  /** How long one report may take before the board counts as lost (default 2000 ms). */
  readonly writeTimeoutMs?: number;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A USB-HID relay board (see the module comment). */
export class HidRelay implements Relay {
  readonly device: string;
  readonly #options: HidRelayOptions;
  readonly #log: Logger;
  #state: RelayState;
  #open: { device: HidRelayDevice; path: string } | null = null;
  #onStatus: ((state: RelayState) => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #attempt = 0;
  #stopped = true;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: HidRelayOptions) {
    this.#options = options;
    this.device = `hid:${hex4(options.vendorId)}:${hex4(options.productId)}`;
    this.#log = options.logger.child({ module: 'hid-relay', device: this.device });
    this.#state = { device: this.device, kind: 'relay', status: 'disconnected' };
  }

  state(): RelayState {
    return this.#state;
  }

  start(onStatus: (state: RelayState) => void): void {
    this.#onStatus = onStatus;
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  write(frames: readonly Uint8Array[]): Promise<boolean> {
    // A write asked for before stop() is sent (stop waits for it); one asked for after is not.
    if (this.#stopped) return Promise.resolve(false);
    const result = this.#queue.then(
      () => this.#writeAll(frames),
      () => this.#writeAll(frames),
    );
    this.#queue = result;
    return result.catch((error: unknown) => {
      this.#log.warn({ err: message(error) }, 'relay write failed');
      return false;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopWatchdog();
    await this.#queue.catch(() => undefined);
    await this.#release();
    this.#setState('disconnected', 'stopped');
  }

  async #writeAll(frames: readonly Uint8Array[]): Promise<boolean> {
    for (const frame of frames) {
      const open = this.#open;
      if (open === null) {
        this.#log.debug({ frames: frames.length }, 'relay not connected; frames not sent');
        return false;
      }
      try {
        const data = Buffer.from(frame);
        const sending =
          this.#options.report === 'feature' ? open.device.sendFeatureReport(data) : open.device.write(data);
        const sent = await this.#bounded(sending);
        if (sent < 0) throw new Error(`report not sent (${sent})`);
      } catch (error) {
        if (this.#open === open) await this.#lostAndRetry(`write failed: ${message(error)}`);
        return false;
      }
    }
    return true;
  }

  /** A report the USB stack never answers must not hold the queue (and a shut behind it). */
  async #bounded(sending: Promise<number>): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error('report timed out'));
      }, this.#options.writeTimeoutMs ?? 2000);
    });
    try {
      return await Promise.race([sending, timeout]);
    } finally {
      clearTimeout(timer);
      // A late failure of the abandoned report is of no interest (and must not go unhandled).
      sending.catch(() => undefined);
    }
  }

  #setState(status: RelayState['status'], detail?: string): void {
    if (this.#state.status === status && this.#state.detail === detail) return;
    this.#state = { device: this.device, kind: 'relay', status, ...(detail === undefined ? {} : { detail }) };
    this.#log.info({ status, detail }, 'device state');
    this.#onStatus?.(this.#state);
  }

  async #find(): Promise<HidRelayInfo | undefined> {
    const { vendorId, productId } = this.#options;
    return (await this.#options.backend.list()).find(
      (d) => d.vendorId === vendorId && d.productId === productId && d.path !== undefined,
    );
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#setState('connecting');
    try {
      const found = await this.#find();
      // stop() may have been called while the bus was being listed (the linter cannot see the await).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#stopped) return;
      if (found?.path === undefined) {
        this.#retry('no matching HID relay board');
        return;
      }
      const device = await this.#options.backend.open(found.path);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.#stopped) {
        await device.close().catch(() => undefined);
        return;
      }
      this.#open = { device, path: found.path };
      this.#attempt = 0;
      this.#setState('connected');
      this.#startWatchdog(found.path);
    } catch (error) {
      await this.#release();
      this.#retry(message(error));
    }
  }

  /** node-hid says nothing of an unplugged board until the next write: look for it on the bus. */
  #startWatchdog(path: string): void {
    const every = this.#options.watchdogMs ?? 2000;
    if (every <= 0) return;
    this.#stopWatchdog();
    this.#watchdog = setInterval(() => {
      void this.#options.backend
        .list()
        .then(async (devices) => {
          if (this.#open?.path !== path || devices.some((d) => d.path === path)) return;
          await this.#lostAndRetry('board gone from the bus');
        })
        .catch((error: unknown) => {
          this.#log.debug({ err: message(error) }, 'cannot list HID devices');
        });
    }, every);
  }

  #stopWatchdog(): void {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  async #release(): Promise<void> {
    this.#stopWatchdog();
    const open = this.#open;
    this.#open = null;
    if (!open) return;
    try {
      await open.device.close();
    } catch {
      // Closing an unplugged board may fail; it is gone either way.
    }
  }

  async #lostAndRetry(reason: string): Promise<void> {
    await this.#release();
    this.#retry(reason);
  }

  #retry(reason: string): void {
    if (this.#stopped) return;
    this.#setState('disconnected', reason);
    if (this.#timer) clearTimeout(this.#timer);
    const delay = backoffDelay(this.#attempt++, this.#options.retry ?? { baseMs: 500, capMs: 5000 });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
  }
}
