// A relay board that is not there: records every frame written (with the time), and can be told
// to fail writes or to go disconnected. For tests and `--relay simulated` (a demo or a lane
// without a board that still wants the gate's behaviour logged).
import type { Logger } from 'pino';
import type { Relay, RelayState } from './relay.js';

/** One frame the simulated board received. */
export interface RecordedFrame {
  /** `clock()` when it was written (ms). */
  readonly at: number;
  readonly bytes: Uint8Array;
}

/** Options of the simulated relay. */
export interface SimulatedRelayOptions {
  readonly logger?: Logger;
  /** Time source for `RecordedFrame.at` (default `Date.now`). */
  readonly clock?: () => number;
  /** Called with each frame as it is recorded. */
  readonly onFrame?: (frame: RecordedFrame) => void;
}

/** A simulated relay board (see the module comment). */
export class SimulatedRelay implements Relay {
  readonly device = 'simulated';
  /** Every frame written, in order. */
  readonly frames: RecordedFrame[] = [];
  readonly #clock: () => number;
  readonly #log: Logger | null;
  readonly #onFrame: ((frame: RecordedFrame) => void) | null;
  #state: RelayState = { device: 'simulated', kind: 'relay', status: 'disconnected' };
  #onStatus: ((state: RelayState) => void) | null = null;
  #failWrites = false;
  #unplugged = false;
  #started = false;

  constructor(options: SimulatedRelayOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger?.child({ module: 'simulated-relay' }) ?? null;
    this.#onFrame = options.onFrame ?? null;
  }

  state(): RelayState {
    return this.#state;
  }

  start(onStatus: (state: RelayState) => void): void {
    this.#onStatus = onStatus;
    this.#started = true;
    this.#setState(this.#unplugged ? 'disconnected' : 'connected', this.#unplugged ? 'unplugged' : undefined);
  }

  write(frames: readonly Uint8Array[]): Promise<boolean> {
    if (!this.#started || this.#unplugged || this.#failWrites) {
      this.#log?.debug({ frames: frames.length }, 'relay write refused (simulated)');
      return Promise.resolve(false);
    }
    for (const bytes of frames) {
      const frame = { at: this.#clock(), bytes: Uint8Array.from(bytes) };
      this.frames.push(frame);
      this.#onFrame?.(frame);
    }
    this.#log?.debug({ frames: frames.length }, 'relay frames (simulated)');
    return Promise.resolve(true);
  }

  stop(): Promise<void> {
    this.#started = false;
    this.#setState('disconnected', 'stopped');
    return Promise.resolve();
  }

  /** From now on, writes resolve false (true: fail) while the board stays "connected". */
  failWrites(fail = true): void {
    this.#failWrites = fail;
  }

  /** The board goes away: status disconnected, writes resolve false. */
  disconnect(detail = 'unplugged'): void {
    this.#unplugged = true;
    if (this.#started) this.#setState('disconnected', detail);
  }

  /** The board comes back. */
  reconnect(): void {
    this.#unplugged = false;
    if (this.#started) this.#setState('connected');
  }

  /** The recorded frames as hex strings ("A0 01 01 A2"), for assertions. */
  hexFrames(): string[] {
    return this.frames.map((f) =>
      Array.from(f.bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' '),
    );
  }

  #setState(status: RelayState['status'], detail?: string): void {
    if (this.#state.status === status && this.#state.detail === detail) return;
    this.#state = { device: this.device, kind: 'relay', status, ...(detail === undefined ? {} : { detail }) };
    this.#log?.info({ status, detail }, 'device state');
    this.#onStatus?.(this.#state);
  }
}
