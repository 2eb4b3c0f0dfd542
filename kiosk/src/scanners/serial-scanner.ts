import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { backoffDelay } from '../util/backoff.js';
import { watchDeviceNode } from '../util/device-node-watch.js';
import { SuffixFramer, type FramingOptions } from './framing.js';
import type { DeviceState, Scanner, ScannerSink } from './scanner.js';

/** Serial line settings from a hardware profile. */
export interface SerialSettings {
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
  readonly framing: FramingOptions;
}

/** The part of a serial port the adapter uses; `serialport`'s SerialPort and its mock fit. */
export interface SerialPortLike {
  open(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  readonly isOpen: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close' | 'error', listener: (error?: Error | null) => void): this;
  removeAllListeners(): this;
}

/** Makes a port object for a path (not yet open). */
export type SerialPortFactory = (path: string, settings: SerialSettings) => SerialPortLike;

const openRealPort: SerialPortFactory = (path, settings) =>
  new SerialPort({
    path,
    baudRate: settings.baudRate,
    dataBits: settings.dataBits ?? 8,
    parity: settings.parity ?? 'none',
    stopBits: settings.stopBits ?? 1,
    autoOpen: false,
  });

/** Options of a serial scanner adapter. */
export interface SerialScannerOptions {
  readonly path: string;
  readonly settings: SerialSettings;
  readonly logger: Logger;
  readonly openPort?: SerialPortFactory;
  readonly retry?: { readonly baseMs: number; readonly capMs: number };
  /** How often to check that the device node is still there (0: never). */
  readonly watchdogMs?: number;
}

/**
 * A serial (or USB-CDC) barcode scanner: frames codes by the profile's suffix and reopens the
 * port with capped, jittered back-off whenever it cannot be opened or goes away (unplugged).
 */
export class SerialScanner implements Scanner {
  readonly kind = 'serial' as const;
  readonly device: string;
  readonly #options: SerialScannerOptions;
  readonly #framer: SuffixFramer;
  readonly #log: Logger;
  #state: DeviceState;
  #port: SerialPortLike | null = null;
  #sink: ScannerSink | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Stops the device node watch of the open port; null: none. */
  #watchdog: (() => void) | null = null;
  #attempt = 0;
  #stopped = true;

  constructor(options: SerialScannerOptions) {
    this.#options = options;
    this.device = `serial:${options.path}`;
    this.#framer = new SuffixFramer(options.settings.framing);
    this.#log = options.logger.child({ module: 'serial-scanner', device: this.device });
    this.#state = { device: this.device, kind: 'serial', status: 'disconnected' };
  }

  state(): DeviceState {
    return this.#state;
  }

  start(sink: ScannerSink): void {
    this.#sink = sink;
    this.#stopped = false;
    this.#open();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopWatchdog();
    const port = this.#port;
    this.#port = null;
    if (port?.isOpen)
      await new Promise<void>((resolve) => {
        port.close(() => {
          resolve();
        });
      });
    port?.removeAllListeners();
    this.#setState('disconnected', 'stopped');
  }

  #setState(status: DeviceState['status'], detail?: string): void {
    if (this.#state.status === status && this.#state.detail === detail) return;
    this.#state = {
      device: this.device,
      kind: 'serial',
      status,
      ...(detail === undefined ? {} : { detail }),
    };
    this.#log.info({ status, detail }, 'device state');
    this.#sink?.status(this.#state);
  }

  #open(): void {
    if (this.#stopped) return;
    this.#setState('connecting');
    const port = (this.#options.openPort ?? openRealPort)(this.#options.path, this.#options.settings);
    this.#port = port;
    port.on('data', (chunk) => {
      this.#log.debug({ bytes: chunk.length }, 'data');
      const out = this.#framer.push(chunk);
      if (out.droppedBytes > 0) this.#log.warn({ droppedBytes: out.droppedBytes }, 'over-long frame dropped');
      if (out.invalidUtf8 > 0) this.#log.warn({ frames: out.invalidUtf8 }, 'invalid UTF-8 from device');
      for (const text of out.frames) this.#sink?.scan({ text, source: 'serial', device: this.device });
    });
    port.on('error', (error) => {
      this.#log.warn({ err: error?.message }, 'port error');
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#lost('closed');
    });
    port.open((error) => {
      if (this.#port !== port) return;
      if (error) {
        this.#lost(error.message);
        return;
      }
      this.#attempt = 0;
      this.#framer.reset();
      this.#setState('connected');
      this.#startWatchdog(port);
    });
  }

  /**
   * An unplugged device does not always make the port fail (a pty whose other end went away,
   * some USB-serial drivers): watch the device node too, and treat its loss as an unplug.
   */
  #startWatchdog(port: SerialPortLike): void {
    const every = this.#options.watchdogMs ?? 1000;
    if (every <= 0 || this.#options.openPort) return;
    this.#stopWatchdog();
    this.#watchdog = watchDeviceNode(
      this.#options.path,
      every,
      () => this.#port === port,
      () => {
        this.#lost('device node gone');
      },
    );
  }

  #stopWatchdog(): void {
    this.#watchdog?.();
    this.#watchdog = null;
  }

  #lost(reason: string): void {
    this.#stopWatchdog();
    const port = this.#port;
    this.#port = null;
    port?.removeAllListeners();
    if (port?.isOpen) port.close();
    if (this.#stopped) return;
    this.#setState('disconnected', reason);
    const delay = backoffDelay(this.#attempt++, this.#options.retry ?? { baseMs: 250, capMs: 5000 });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#open();
    }, delay);
  }
}
