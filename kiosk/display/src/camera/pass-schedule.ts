// The camera's multi-pass decode schedule. At 30 frames/s a code is in view for many frames,
// so each frame gets ONE decode, and successive frames get different passes (the lane's own
// reader, then inverted, half-size, another binarizer, …): a code held up for a few frames is
// read by the union of the passes, and each frame still costs one decode. Pure: no pixels and
// no decoder here, only which pass comes next and whether a read is accepted.
import type { ReaderOptions } from 'zxing-wasm/reader';
import type { ImagePrep } from './image-ops.js';

/** One way to read a frame: how the pixels are prepared, and zxing-wasm's options for it. */
export interface DecodePass {
  readonly name: string;
  readonly prep: ImagePrep;
  /** Overrides of the lane's base reader options (decoders.ts); zxing-wasm only. */
  readonly options: Readonly<
    Pick<
      ReaderOptions,
      'binarizer' | 'tryInvert' | 'tryDownscale' | 'downscaleFactor' | 'downscaleThreshold' | 'tryDenoise'
    >
  >;
  /**
   * Accepted on its first read. The lane's original pass is: it has read every code before this
   * schedule existed and never returned a wrong text. A read by any other pass is accepted only
   * when the next frame reads the same text again (two frames, two sensor-noise draws).
   */
  readonly trusted: boolean;
}

/** Every pass the lane knows, by name (the bench measures each; the schedule uses some). */
export const PASSES = {
  /** The lane's reader before the schedule: local-average binarizer, ⅓ downscale, not inverted. */
  lane: { name: 'lane', prep: 'as-is', options: {}, trusted: true },
  /** zxing-cpp's own defaults (also tries the inverted bitmap): the bench's reference. */
  zxingDefaults: { name: 'zxing-defaults', prep: 'as-is', options: { tryInvert: true }, trusted: false },
  inverted: { name: 'inverted', prep: 'inverted', options: {}, trusted: false },
  half: { name: 'half', prep: 'half', options: {}, trusted: false },
  halfInverted: { name: 'half-inverted', prep: 'half', options: { tryInvert: true }, trusted: false },
  globalHistogram: {
    name: 'global-histogram',
    prep: 'as-is',
    options: { binarizer: 'GlobalHistogram' },
    trusted: false,
  },
  globalHistogramInverted: {
    name: 'global-histogram-inverted',
    prep: 'as-is',
    options: { binarizer: 'GlobalHistogram', tryInvert: true },
    trusted: false,
  },
  denoise: { name: 'denoise', prep: 'as-is', options: { tryDenoise: true, tryInvert: true }, trusted: false },
  pyramid2: {
    name: 'pyramid-2',
    prep: 'as-is',
    options: { downscaleFactor: 2, downscaleThreshold: 160, tryInvert: true },
    trusted: false,
  },
  // Not inverted as well: these two already pay for preparing the pixels in JavaScript.
  stretched: { name: 'stretched', prep: 'stretched', options: {}, trusted: false },
  sharpened: { name: 'sharpened', prep: 'sharpened', options: {}, trusted: false },
} as const satisfies Record<string, DecodePass>;

/**
 * The lane's schedule: one pass per frame, in this order, round and round (12 frames, 400 ms at
 * 30 frames/s). The lane's own pass every other frame, so that a code it reads is decided
 * within two frames wherever in the cycle it appears; between, the passes that read what it
 * misses (docs/benchmarks.md, "Camera decoding: the multi-pass schedule").
 */
export const LANE_SCHEDULE: readonly DecodePass[] = [
  PASSES.lane,
  PASSES.inverted,
  PASSES.lane,
  PASSES.stretched,
  PASSES.lane,
  PASSES.pyramid2,
  PASSES.lane,
  PASSES.globalHistogramInverted,
  PASSES.lane,
  PASSES.sharpened,
  PASSES.lane,
  PASSES.denoise,
];

/**
 * Tells a frame whose scene changed from the previous frame's: a 16×9 grid of mean luminance
 * (every 4th pixel of every 4th row), changed when any cell moved by more than `threshold`
 * levels. Sensor noise averages out over a cell; a card coming into view does not.
 */
export class SceneWatch {
  #last: Float32Array | null = null;
  readonly #threshold: number;

  constructor(threshold = 12) {
    this.#threshold = threshold;
  }

  /** True when `image` differs from the one before (and for the first). */
  changed(image: {
    readonly data: Uint8ClampedArray;
    readonly width: number;
    readonly height: number;
  }): boolean {
    const { data, width, height } = image;
    const grid = new Float32Array(16 * 9);
    const count = new Uint32Array(16 * 9);
    for (let y = 0; y < height; y += 4)
      for (let x = 0; x < width; x += 4) {
        const p = (y * width + x) * 4;
        const cell = Math.floor((y * 9) / height) * 16 + Math.floor((x * 16) / width);
        grid[cell] =
          (grid[cell] ?? 0) +
          0.299 * (data[p] ?? 0) +
          0.587 * (data[p + 1] ?? 0) +
          0.114 * (data[p + 2] ?? 0);
        count[cell] = (count[cell] ?? 0) + 1;
      }
    for (let c = 0; c < grid.length; c++) grid[c] = (grid[c] ?? 0) / Math.max(1, count[c] ?? 0);
    const last = this.#last;
    this.#last = grid;
    if (last === null) return true;
    for (let c = 0; c < grid.length; c++)
      if (Math.abs((grid[c] ?? 0) - (last[c] ?? 0)) > this.#threshold) return true;
    return false;
  }
}

/** The fallback decoder's schedule (@zxing/library takes no reader options, only prepared pixels). */
export const FALLBACK_SCHEDULE: readonly DecodePass[] = [PASSES.lane, PASSES.inverted];

/** A text the schedule accepts, and the pass whose read decided it. */
export interface Accepted {
  readonly text: string;
  readonly pass: string;
}

/**
 * Which pass decodes the next frame, and which reads are accepted. Call `next()` once per
 * frame, decode with that pass, then `observe()` the text it read (null: nothing). A frame
 * whose scene just changed (a card coming into view) goes to the first pass, the lane's own,
 * so that a code it reads is decided on its first frame as before the schedule — but never
 * more than two such frames in a row, so that a scene always moving still gets every pass.
 */
export class PassSchedule {
  readonly #passes: readonly DecodePass[];
  /** Where the cycle goes on after this frame. */
  #index = 0;
  /** This frame's place in the cycle (null: no frame between next() and observe()). */
  #current: number | null = null;
  /** A read by an untrusted pass, waiting for the next frame to read the same text. */
  #pending: { text: string; at: number } | null = null;
  /** Frames in a row read by the first pass. */
  #firstInRow = 0;

  constructor(passes: readonly DecodePass[] = LANE_SCHEDULE) {
    if (passes.length === 0) throw new Error('a decode schedule needs at least one pass');
    this.#passes = passes;
  }

  /**
   * The pass for this frame (`sceneChanged`: it differs from the last one, SceneWatch). A
   * pending read is checked by the pass that made it.
   */
  next(sceneChanged = false): DecodePass {
    if (this.#current !== null) throw new Error('next() twice without observe(): one decode per frame');
    if (this.#pending !== null) {
      this.#current = this.#pending.at;
    } else if (sceneChanged && this.#firstInRow < 2) {
      this.#current = 0;
      // The cycle's slot is used up if it was this pass anyway; else that pass runs next frame.
      if (this.#passes[this.#index] === this.#passes[0])
        this.#index = (this.#index + 1) % this.#passes.length;
    } else {
      this.#current = this.#index;
      this.#index = (this.#index + 1) % this.#passes.length;
    }
    const pass = this.#passes[this.#current];
    if (pass === undefined) throw new Error('no pass'); // unreachable: indices stay in range
    this.#firstInRow = pass === this.#passes[0] ? this.#firstInRow + 1 : 0;
    return pass;
  }

  /** Reports this frame's read; returns the accepted text, if any. */
  observe(text: string | null): Accepted | null {
    const at = this.#current;
    const pass = at === null ? undefined : this.#passes[at];
    if (at === null || pass === undefined) throw new Error('observe() before next()');
    this.#current = null;
    const pending = this.#pending;
    this.#pending = null;
    if (text === null || text === '') return null; // a miss ends a pending read unconfirmed
    if (pass.trusted || pending?.text === text) {
      this.#index = 0; // a read ends the cycle: the next code starts again from the first pass
      return { text, pass: pass.name };
    }
    this.#pending = { text, at };
    return null;
  }
}
