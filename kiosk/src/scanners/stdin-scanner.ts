import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { DeviceState, Scanner, ScannerSink } from './scanner.js';

/** Longest line taken as one scan; longer lines are still passed on and rejected by the parser. */
const MAX_LINE = 16 * 1024;

/**
 * Reads one scan per line from a stream (standard input by default): for scripts, tests and
 * keyboard-wedge scanners attached to a terminal. End of input marks it disconnected.
 */
export class StdinScanner implements Scanner {
  readonly kind = 'stdin' as const;
  readonly device = 'stdin';
  readonly #input: Readable;
  #lines: Interface | null = null;
  #state: DeviceState = { device: 'stdin', kind: 'stdin', status: 'disconnected' };
  #sink: ScannerSink | null = null;
  #ended: Promise<void> = Promise.resolve();

  constructor(input: Readable = process.stdin) {
    this.#input = input;
  }

  state(): DeviceState {
    return this.#state;
  }

  /** Resolves when the input has ended and every line has been delivered. */
  ended(): Promise<void> {
    return this.#ended;
  }

  start(sink: ScannerSink): void {
    this.#sink = sink;
    const lines = createInterface({ input: this.#input, crlfDelay: Infinity });
    this.#lines = lines;
    lines.on('line', (line) => {
      sink.scan({
        text: line.length > MAX_LINE ? line.slice(0, MAX_LINE + 1) : line,
        source: 'stdin',
        device: this.device,
      });
    });
    this.#ended = new Promise((resolve) => {
      lines.once('close', () => {
        this.#setState('disconnected', 'end of input');
        resolve();
      });
    });
    this.#setState('connected');
  }

  stop(): Promise<void> {
    this.#lines?.close();
    this.#lines = null;
    this.#setState('disconnected', 'stopped');
    return Promise.resolve();
  }

  #setState(status: DeviceState['status'], detail?: string): void {
    if (this.#state.status === status) return;
    this.#state = { device: this.device, kind: 'stdin', status, ...(detail === undefined ? {} : { detail }) };
    this.#sink?.status(this.#state);
  }
}
