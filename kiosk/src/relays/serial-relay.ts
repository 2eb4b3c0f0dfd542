// A relay board on a serial port (LCUS-type USB-serial boards, Modbus-RTU modules behind a
// USB-RS485 adapter): frames are written and drained in order; the port is reopened with
// back-off when it cannot be opened or goes away. Writes never reject.
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { backoffDelay } from '../util/backoff.js';
import { watchDeviceNode } from '../util/device-node-watch.js';
import type { Relay, RelayState } from './relay.js';

/** Serial line settings of a relay profile. */
export interface RelaySerialSettings {
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

/** The part of a serial port the relay uses; `serialport`'s SerialPort and its mock fit. */
export interface RelayPortLike {
  open(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  write(data: Buffer, callback: (error: Error | null | undefined) => void): boolean;
  drain(callback: (error: Error | null) => void): void;
  readonly isOpen: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close' | 'error', listener: (error?: Error | null) => void): this;
  removeAllListeners(): this;
}

/** Makes a port object for a path (not yet open). */
export type RelayPortFactory = (path: string, settings: RelaySerialSettings) => RelayPortLike;

const openRealPort: RelayPortFactory = (path, settings) =>
  new SerialPort({
    path,
    baudRate: settings.baudRate,
    dataBits: settings.dataBits ?? 8,
    parity: settings.parity ?? 'none',
    stopBits: settings.stopBits ?? 1,
    autoOpen: false,
  });

/** Options of a serial relay adapter. */
export interface SerialRelayOptions {
  readonly path: string;
  readonly settings: RelaySerialSettings;
  readonly logger: Logger;
  readonly openPort?: RelayPortFactory;
  readonly retry?: { readonly baseMs: number; readonly capMs: number };
  /** How often to check that the device node is still there (0: never). */
  readonly watchdogMs?: number;
  /** `echo`: the board answers every frame with the same bytes (Modbus function 05); a write checks it. */
  readonly reply?: 'none' | 'echo';
  /** How long to wait for an echo (default 500 ms). */
  readonly replyTimeoutMs?: number;
  /** How long one frame's write and drain may take before the port counts as lost (default 2000 ms). */
  readonly writeTimeoutMs?: number;
}

/** Drops a port's listeners but keeps swallowing its late errors (an unheard 'error' would throw). */
function forget(port: RelayPortLike): void {
  port.removeAllListeners();
  port.on('error', () => undefined);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A serial relay board (see the module comment). */
export class SerialRelay implements Relay {
  readonly device: string;
  readonly #options: SerialRelayOptions;
  readonly #log: Logger;
  #state: RelayState;
  #port: RelayPortLike | null = null;
  #onStatus: ((state: RelayState) => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Stops the device node watch of the open port; null: none. */
  #watchdog: (() => void) | null = null;
  #attempt = 0;
  #stopped = true;
  /** Writes run one after the other, in the order they were asked for. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Bytes the board sent back since the current frame was written (echo replies). */
  #received: Buffer = Buffer.alloc(0);
  /**
   * Echoes of frames not waited for (or waited for in vain) may still arrive, ahead of the next
   * frame's echo: until an echo is matched again, an answer is looked for anywhere in what came.
   */
  #unheard = false;
  #onReceived: (() => void) | null = null;

  constructor(options: SerialRelayOptions) {
    this.#options = options;
    this.device = `serial:${options.path}`;
    this.#log = options.logger.child({ module: 'serial-relay', device: this.device });
    this.#state = { device: this.device, kind: 'relay', status: 'disconnected' };
  }

  state(): RelayState {
    return this.#state;
  }

  start(onStatus: (state: RelayState) => void): void {
    this.#onStatus = onStatus;
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#open();
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
    // After any write in flight (writes asked for from now on find the adapter stopped).
    await this.#queue.catch(() => undefined);
    const port = this.#port;
    this.#port = null;
    if (port?.isOpen)
      await new Promise<void>((resolve) => {
        port.close(() => {
          resolve();
        });
      });
    if (port) forget(port);
    this.#setState('disconnected', 'stopped');
  }

  async #writeAll(frames: readonly Uint8Array[]): Promise<boolean> {
    let allOk = true;
    // A board that does not answer one frame (or answers it wrongly) is not waited for again in
    // the same write: the rest still go out (best effort) and the write ends in bounded time.
    let awaitEcho = this.#options.reply === 'echo';
    for (const frame of frames) {
      const port = this.#port;
      if (port === null || this.#state.status === 'connecting' || !port.isOpen) {
        this.#log.debug({ frames: frames.length }, 'relay not connected; frames not sent');
        return false;
      }
      this.#received = Buffer.alloc(0);
      try {
        await new Promise<void>((resolve, reject) => {
          // A port closed under a write may never call back: bounded.
          const timer = setTimeout(() => {
            reject(new Error('write timed out'));
          }, this.#options.writeTimeoutMs ?? 2000);
          port.write(Buffer.from(frame), (error) => {
            if (!error) return;
            clearTimeout(timer);
            reject(error);
          });
          port.drain((error) => {
            clearTimeout(timer);
            if (error) reject(error);
            else resolve();
          });
        });
      } catch (error) {
        if (this.#port === port) this.#lost(`write failed: ${message(error)}`);
        return false;
      }
      if (!awaitEcho) {
        if (this.#options.reply === 'echo') this.#unheard = true;
        continue;
      }
      const echo = await this.#echoed(frame);
      if (echo === 'same') continue;
      allOk = false;
      awaitEcho = false;
    }
    // Back from an error only when a whole write was answered right (a board that answers some
    // frames and loses others stays in error, rather than flapping at every write).
    if (allOk && this.#state.status === 'error') this.#setState('connected');
    return allOk;
  }

  /** Waits for the board to send the frame back (Modbus write-coil answers are the request). */
  async #echoed(frame: Uint8Array): Promise<'same' | 'different' | 'silent'> {
    const timeoutMs = this.#options.replyTimeoutMs ?? 500;
    const want = Buffer.from(frame);
    const arrived = await new Promise<boolean>((resolve) => {
      // The echo, or (no late echo expected) bytes that already differ: a Modbus exception
      // answer is shorter. Late echoes of earlier frames come first: the echo is looked for after them.
      const check = (): boolean => {
        if (this.#received.includes(want)) return true;
        if (this.#unheard) return false;
        const n = Math.min(this.#received.length, frame.length);
        return n === frame.length || !want.subarray(0, n).equals(this.#received.subarray(0, n));
      };
      if (check()) {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => {
        this.#onReceived = null;
        resolve(false);
      }, timeoutMs);
      this.#onReceived = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#onReceived = null;
        resolve(true);
      };
    });
    const same = arrived && this.#received.includes(want);
    this.#unheard = !same;
    if (same) return 'same';
    const detail = arrived ? 'board answered something else' : 'board did not answer';
    this.#log.warn({ bytes: this.#received.length }, detail);
    if (this.#state.status === 'connected') this.#setState('error', detail);
    return arrived ? 'different' : 'silent';
  }

  #setState(status: RelayState['status'], detail?: string): void {
    if (this.#state.status === status && this.#state.detail === detail) return;
    this.#state = { device: this.device, kind: 'relay', status, ...(detail === undefined ? {} : { detail }) };
    this.#log.info({ status, detail }, 'device state');
    this.#onStatus?.(this.#state);
  }

  #open(): void {
    if (this.#stopped) return;
    this.#setState('connecting');
    let port: RelayPortLike;
    try {
      port = (this.#options.openPort ?? openRealPort)(this.#options.path, this.#options.settings);
    } catch (error) {
      this.#lost(message(error));
      return;
    }
    this.#port = port;
    this.#unheard = false;
    port.on('data', (chunk) => {
      if (this.#port !== port) return;
      this.#received = Buffer.concat([this.#received, chunk]).subarray(-256);
      this.#onReceived?.();
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
      this.#setState('connected');
      this.#startWatchdog(port);
    });
  }

  /**
   * An unplugged board does not always make the port fail (a pty whose other end went away,
   * some USB-serial drivers): watch the device node too, and treat its loss as an unplug.
   */
  #startWatchdog(port: RelayPortLike): void {
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
    if (port) forget(port);
    if (port?.isOpen)
      port.close(() => {
        // Closing a port whose device is gone may fail; it is gone either way.
      });
    if (this.#stopped) return;
    this.#setState('disconnected', reason);
    const delay = backoffDelay(this.#attempt++, this.#options.retry ?? { baseMs: 250, capMs: 5000 });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#open();
    }, delay);
  }
}
