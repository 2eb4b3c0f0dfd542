// HMAC-SHA256 of many short messages under one key, first 8 bytes only, in plain JavaScript: the
// key's inner and outer pad blocks are hashed once, each message then costs two or three SHA-256
// block compressions and allocates nothing (node:crypto makes an object and a buffer per message,
// which dominates for 10M subjects of ~25 bytes). Checked against node:crypto in its test.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** One SHA-256 block compression of `block[off, off + 64)` into `state`; `w` is scratch (64 words). */
function compress(state: Int32Array, block: Uint8Array, off: number, w: Int32Array): void {
  for (let t = 0; t < 16; t++) {
    const o = off + 4 * t;
    w[t] =
      ((block[o] as number) << 24) |
      ((block[o + 1] as number) << 16) |
      ((block[o + 2] as number) << 8) |
      (block[o + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + s1 + ch + (K[t] as number) + (w[t] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (s0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/**
 * The first 8 bytes of HMAC-SHA256(key, message) for many messages under one key (key of at most
 * 64 bytes): after `digest(message)`, `hi` holds bytes 0-3 as a signed 32-bit integer and `lo`
 * bytes 4-7 as an unsigned one (big-endian, as a subject key reads them).
 */
export class HmacSha256Prefix {
  hi = 0;
  lo = 0;
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #state = new Int32Array(8);
  readonly #w = new Int32Array(64);
  readonly #encoder = new TextEncoder();
  #buf = new Uint8Array(256);
  readonly #last = new Uint8Array(64);

  constructor(key: Uint8Array) {
    if (key.length > 64) throw new Error('an HMAC key of at most 64 bytes');
    const pad = new Uint8Array(64);
    for (const [state, fill] of [
      [this.#inner, 0x36],
      [this.#outer, 0x5c],
    ] as const) {
      pad.fill(fill);
      for (let i = 0; i < key.length; i++) pad[i] = (key[i] as number) ^ fill;
      state.set(IV);
      compress(state, pad, 0, this.#w);
    }
  }

  /** Hashes `message` (UTF-8); the result is in `hi` and `lo`. */
  digest(message: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; room for the padding too.
    if (this.#buf.length < message.length * 3 + 72) this.#buf = new Uint8Array(message.length * 3 + 72);
    const buf = this.#buf;
    const n = this.#encoder.encodeInto(message, buf).written;
    // Inner hash: after the key's pad block, the message, 0x80, zeros, the bit length of pad + message.
    const blocks = Math.ceil((n + 9) / 64);
    const end = blocks * 64;
    buf[n] = 0x80;
    buf.fill(0, n + 1, end - 8);
    const bits = (64 + n) * 8;
    buf[end - 8] = 0;
    buf[end - 7] = 0;
    buf[end - 6] = 0;
    buf[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
    buf[end - 4] = (bits >>> 24) & 0xff;
    buf[end - 3] = (bits >>> 16) & 0xff;
    buf[end - 2] = (bits >>> 8) & 0xff;
    buf[end - 1] = bits & 0xff;
    const state = this.#state;
    state.set(this.#inner);
    for (let off = 0; off < end; off += 64) compress(state, buf, off, this.#w);
    // Outer hash: after the key's other pad block, the 32-byte inner digest (one block: 96 bytes in all).
    const last = this.#last;
    for (let i = 0; i < 8; i++) {
      const v = state[i] as number;
      last[4 * i] = v >>> 24;
      last[4 * i + 1] = (v >>> 16) & 0xff;
      last[4 * i + 2] = (v >>> 8) & 0xff;
      last[4 * i + 3] = v & 0xff;
    }
    last[32] = 0x80;
    last.fill(0, 33, 62);
    last[62] = 0x03; // 96 bytes = 768 bits = 0x0300
    last[63] = 0x00;
    state.set(this.#outer);
    compress(state, last, 0, this.#w);
    this.hi = state[0] as number;
    this.lo = (state[1] as number) >>> 0;
  }
}
