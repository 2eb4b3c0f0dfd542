/** Replaces invalid sequences with U+FFFD; stateless when not streaming, so one serves all frames. */
const UTF8 = new TextDecoder('utf-8', { fatal: false });
/** How a serial scanner ends (and optionally starts) each code. */
export interface FramingOptions {
  readonly suffix: 'CR' | 'CRLF' | 'LF' | 'ETX' | 'TAB';
  /** A fixed prefix some scanners are programmed to send (e.g. `]Q1` or STX); stripped. */
  readonly prefix?: string;
  /** Longest frame kept; a longer run without a suffix is dropped (a stuck or noisy line). */
  readonly maxFrameBytes?: number;
}

const SUFFIX_BYTES: Readonly<Record<FramingOptions['suffix'], readonly number[]>> = {
  CR: [0x0d],
  CRLF: [0x0d, 0x0a],
  LF: [0x0a],
  ETX: [0x03],
  TAB: [0x09],
};

/** What the framer made of some bytes: whole codes, and how many bytes it had to drop. */
export interface FramedChunk {
  readonly frames: string[];
  readonly droppedBytes: number;
  readonly invalidUtf8: number;
}

/**
 * Splits a byte stream into codes by the profile's suffix, strips the prefix, and decodes
 * UTF-8 (so `|`, `Nữ` and other multi-byte text survive chunk boundaries). Invalid UTF-8 is
 * replaced with U+FFFD and counted, so the parser rejects that code clearly instead of a crash.
 */
export class SuffixFramer {
  readonly #suffix: readonly number[];
  readonly #prefix: string;
  readonly #max: number;
  #buffer: Buffer = Buffer.alloc(0);
  #overflowing = false;

  constructor(options: FramingOptions) {
    this.#suffix = SUFFIX_BYTES[options.suffix];
    this.#prefix = options.prefix ?? '';
    this.#max = options.maxFrameBytes ?? 4096;
  }

  /** Feeds bytes; returns the codes completed by them. */
  push(chunk: Uint8Array): FramedChunk {
    const frames: string[] = [];
    let droppedBytes = 0;
    let invalidUtf8 = 0;
    let data = Buffer.concat([this.#buffer, chunk]);
    const last = this.#suffix[this.#suffix.length - 1] ?? 0;
    for (;;) {
      let end = -1;
      for (let i = data.indexOf(last); i !== -1; i = data.indexOf(last, i + 1)) {
        if (
          i + 1 >= this.#suffix.length &&
          this.#suffix.every((b, k) => data[i + 1 - this.#suffix.length + k] === b)
        ) {
          end = i + 1 - this.#suffix.length;
          break;
        }
      }
      if (end === -1) break;
      const frame = data.subarray(0, end);
      data = data.subarray(end + this.#suffix.length);
      if (this.#overflowing) {
        // The tail of an over-long run: drop it with the rest of that run.
        droppedBytes += frame.length;
        this.#overflowing = false;
        continue;
      }
      const text = UTF8.decode(frame);
      if (text.includes('\uFFFD')) invalidUtf8 += 1;
      frames.push(
        this.#prefix !== '' && text.startsWith(this.#prefix) ? text.slice(this.#prefix.length) : text,
      );
    }
    if (data.length > this.#max) {
      droppedBytes += data.length;
      data = Buffer.alloc(0);
      this.#overflowing = true;
    }
    this.#buffer = Buffer.from(data);
    return { frames, droppedBytes, invalidUtf8 };
  }

  /** Bytes waiting for a suffix. */
  pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Forgets a partial code (after a disconnect: its rest will never come). */
  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#overflowing = false;
  }
}
