/** Tuning of keyboard-wedge detection (onScan.js defaults). */
export interface WedgeOptions {
  /** Longest average time between keys of a scan, ms. */
  readonly avgKeyMs: number;
  /** Longest single gap inside a scan, ms. */
  readonly maxGapMs: number;
  readonly minLength: number;
  readonly suffixKeys: readonly string[];
}

export const WEDGE_DEFAULTS: WedgeOptions = {
  avgKeyMs: 30,
  maxGapMs: 80,
  minLength: 6,
  suffixKeys: ['Enter', 'Tab'],
};

/**
 * Tells a keyboard-wedge scanner from a person typing: a scanner types a whole code fast and
 * ends it with Enter/Tab. Works on `KeyboardEvent.key`, so `|`, `,`, spaces and Vietnamese
 * letters come through as typed (not as key codes).
 */
export class WedgeDetector {
  readonly #o: WedgeOptions;
  #chars: string[] = [];
  #times: number[] = [];

  constructor(options: Partial<WedgeOptions> = {}) {
    this.#o = { ...WEDGE_DEFAULTS, ...options };
  }

  /** Feeds one key press; answers the scanned code when this key ended one, else null. */
  key(key: string, timeMs: number): string | null {
    const last = this.#times.at(-1);
    if (last !== undefined && timeMs - last > this.#o.maxGapMs) this.reset();
    if (this.#o.suffixKeys.includes(key)) {
      const code = this.#chars.join('');
      const times = this.#times;
      this.reset();
      if (code.length < this.#o.minLength || times.length < 2) return null;
      const first = times[0] ?? 0;
      const lastKey = times.at(-1) ?? 0;
      const avg = (lastKey - first) / (times.length - 1);
      return avg <= this.#o.avgKeyMs ? code : null;
    }
    // Only printable characters count; Shift, arrows and the like are not part of a code.
    if (Array.from(key).length !== 1) return null;
    this.#chars.push(key);
    this.#times.push(timeMs);
    return null;
  }

  reset(): void {
    this.#chars = [];
    this.#times = [];
  }
}
