import type { DeviceState, Scanner, ScannerSink } from './scanner.js';

/**
 * Demo codes: IDs and plates from the demo lists (see the server's demo seed), a chip ID card
 * QR, a masked health-app QR and some garbage, so a demo lane shows every colour.
 */
export const DEMO_CODES: readonly string[] = [
  '001090123456',
  '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|20072021',
  '51F-123.45',
  '036085000123',
  '********3456|NGUYEN VAN A|1990-**-**|1|QID1|',
  'hello, not a code',
  '001185012345|012345678|NGUYEN VAN B|01011990|Nam|Hà Nội|15042021',
];

/** Options of the simulated scanner. */
export interface SimulatedScannerOptions {
  readonly codes?: readonly string[];
  /** Time between scans. */
  readonly intervalMs?: number;
  /** Stop after this many scans (default: loop forever). */
  readonly limit?: number;
}

/** A scanner that reads demo codes on a timer: for demos and unattended tests. */
export class SimulatedScanner implements Scanner {
  readonly kind = 'simulated' as const;
  readonly device = 'simulated';
  readonly #codes: readonly string[];
  readonly #intervalMs: number;
  readonly #limit: number;
  #timer: NodeJS.Timeout | null = null;
  #sent = 0;
  #state: DeviceState = { device: 'simulated', kind: 'simulated', status: 'disconnected' };
  #sink: ScannerSink | null = null;

  constructor(options: SimulatedScannerOptions = {}) {
    this.#codes = options.codes ?? DEMO_CODES;
    this.#intervalMs = options.intervalMs ?? 3000;
    this.#limit = options.limit ?? Number.POSITIVE_INFINITY;
  }

  state(): DeviceState {
    return this.#state;
  }

  start(sink: ScannerSink): void {
    this.#sink = sink;
    this.#setState('connected');
    this.#timer = setInterval(() => {
      this.emitNext();
    }, this.#intervalMs);
  }

  /** Reads the next demo code now. */
  emitNext(): void {
    if (this.#sent >= this.#limit || this.#codes.length === 0) {
      void this.stop();
      return;
    }
    const text = this.#codes[this.#sent % this.#codes.length] ?? '';
    this.#sent += 1;
    this.#sink?.scan({ text, source: 'simulated', device: this.device });
  }

  stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#setState('disconnected');
    return Promise.resolve();
  }

  #setState(status: DeviceState['status']): void {
    if (this.#state.status === status) return;
    this.#state = { device: this.device, kind: 'simulated', status };
    this.#sink?.status(this.#state);
  }
}
