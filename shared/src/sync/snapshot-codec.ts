// Pure TypeScript (no Node APIs), so the lane can use the decoder as is.
import type { HealthEntry, ListName, WhitelistEntry } from '../schemas/list-schemas.js';
import { HEALTH_STATUSES, WHITELIST_CATEGORIES } from '../vocabulary.js';

/** First bytes of every snapshot: "CLS" + format version 1. */
export const SNAPSHOT_MAGIC = [0x43, 0x4c, 0x53, 0x01] as const;

/** Where a whitelist entry is valid, as one lane needs it. */
export type WhitelistScope = 'everywhere' | 'here' | 'elsewhere';

/** An attribute class of the health list: entries with equal status and window share one. */
export interface HealthClass {
  readonly status: HealthEntry['status'];
  readonly since: number | null;
  readonly until: number | null;
}

/** An attribute class of the whitelist. */
export interface WhitelistClass {
  readonly category: WhitelistEntry['category'];
  readonly scope: WhitelistScope;
  readonly validFrom: number | null;
  readonly validUntil: number | null;
}

/** What precedes the entries. */
export type SnapshotHeader =
  | {
      readonly list: 'health';
      readonly version: number;
      readonly count: number;
      readonly checkpointId: string;
      readonly classes: readonly HealthClass[];
    }
  | {
      readonly list: 'whitelist';
      readonly version: number;
      readonly count: number;
      readonly checkpointId: string;
      readonly classes: readonly WhitelistClass[];
    };

/** One entry: subject key (signed 64-bit) and the index of its attribute class. */
export interface SnapshotEntry {
  readonly key: bigint;
  readonly classIndex: number;
}

const SCOPES: readonly WhitelistScope[] = ['everywhere', 'here', 'elsewhere'];
const SIGN = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

// ---------------------------------------------------------------- CRC-32 (IEEE)
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Running CRC-32 (IEEE 802.3), as zlib computes it. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return ~c >>> 0;
}

// ---------------------------------------------------------------- writer
class ByteWriter {
  private buf: Uint8Array = new Uint8Array(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  /** Unsigned LEB128 of a safe non-negative integer. */
  uvarint(n: number): void {
    this.room(10);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  /** Unsigned LEB128 of a 64-bit unsigned bigint, done on two 32-bit halves for speed. */
  uvarint64(n: bigint): void {
    if (n < 0x20000000000000n) {
      this.uvarint(Number(n));
      return;
    }
    this.room(10);
    let lo = Number(n & 0xffffffffn);
    let hi = Number(n >> 32n);
    // 64 bits: emit 7 bits at a time from the combined (hi, lo) pair.
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.length++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.length++] = lo;
  }

  /** A nullable epoch-ms time: 0 = null, else zigzag(ms) + 1. */
  time(ms: number | null): void {
    this.uvarint(ms === null ? 0 : (ms >= 0 ? ms * 2 : -ms * 2 - 1) + 1);
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Hands out what was written and starts over. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Maps a signed key to the unsigned order-preserving form (flip the sign bit). */
const toOrdered = (key: bigint): bigint => (BigInt.asUintN(64, key) ^ SIGN) & MASK64;
const fromOrdered = (u: bigint): bigint => BigInt.asIntN(64, u ^ SIGN);

/** Encodes the header: magic, list, version, count, checkpoint id, attribute classes. */
export function encodeSnapshotHeader(h: SnapshotHeader): Uint8Array {
  const w = new ByteWriter();
  for (const b of SNAPSHOT_MAGIC) w.byte(b);
  w.byte(h.list === 'health' ? 1 : 2);
  w.uvarint(h.version);
  w.uvarint(h.count);
  const cp = new TextEncoder().encode(h.checkpointId);
  w.uvarint(cp.length);
  w.bytes(cp);
  w.uvarint(h.classes.length);
  if (h.list === 'health') {
    for (const c of h.classes) {
      w.byte(HEALTH_STATUSES.indexOf(c.status));
      w.time(c.since);
      w.time(c.until);
    }
  } else {
    for (const c of h.classes) {
      w.byte(WHITELIST_CATEGORIES.indexOf(c.category));
      w.byte(SCOPES.indexOf(c.scope));
      w.time(c.validFrom);
      w.time(c.validUntil);
    }
  }
  return w.take();
}

/**
 * Streams a snapshot: the header, then each entry as (delta of the order-preserving key,
 * class index) in LEB128 varints, then a CRC-32 of everything before it (4 bytes, big-endian).
 * Entries must come in ascending signed key order (SQLite's INTEGER PRIMARY KEY order).
 */
export class SnapshotEncoder {
  private readonly w = new ByteWriter();
  private prev = 0n;
  private crc = 0;
  private written = 0;
  private started = false;

  constructor(
    private readonly header: SnapshotHeader,
    private readonly chunkBytes = 1 << 16,
  ) {}

  /** Adds one entry; returns a chunk when one is full, else null. */
  add(key: bigint, classIndex: number): Uint8Array | null {
    if (!this.started) this.start();
    const u = toOrdered(key);
    if (this.written > 0 && u <= this.prev) throw new Error('snapshot keys must be strictly ascending');
    if (classIndex < 0 || classIndex >= this.header.classes.length)
      throw new Error('class index out of range');
    this.w.uvarint64(u - (this.written > 0 ? this.prev : 0n));
    this.w.uvarint(classIndex);
    this.prev = u;
    this.written++;
    return this.w.length >= this.chunkBytes ? this.flush() : null;
  }

  /** Ends the snapshot: the last chunk with the CRC trailer. */
  finish(): Uint8Array {
    if (!this.started) this.start();
    if (this.written !== this.header.count) {
      throw new Error(`snapshot header says ${this.header.count} entries, ${this.written} were added`);
    }
    const body = this.w.take();
    this.crc = crc32(body, this.crc);
    const out = new Uint8Array(body.length + 4);
    out.set(body);
    new DataView(out.buffer).setUint32(body.length, this.crc);
    return out;
  }

  private start(): void {
    this.started = true;
    this.w.bytes(encodeSnapshotHeader(this.header));
  }

  private flush(): Uint8Array {
    const out = this.w.take();
    this.crc = crc32(out, this.crc);
    return out;
  }
}

/** Encodes a whole snapshot at once (tests, small lists). */
export function encodeSnapshot(header: SnapshotHeader, entries: Iterable<SnapshotEntry>): Uint8Array {
  const enc = new SnapshotEncoder(header);
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const chunk = enc.add(e.key, e.classIndex);
    if (chunk) parts.push(chunk);
  }
  parts.push(enc.finish());
  return concat(parts);
}

// ---------------------------------------------------------------- reader
class NeedMore extends Error {}
const NEED_MORE = new NeedMore('need more bytes');

/** A decoded entry, resolved to the shape the lane's decision uses. */
export type DecodedEntry =
  | { readonly list: 'health'; readonly key: bigint; readonly entry: HealthEntry }
  | { readonly list: 'whitelist'; readonly key: bigint; readonly entry: WhitelistEntry };

/**
 * Streaming decoder: push chunks as they arrive, get entries back; `end()` checks the count
 * and the CRC. Throws on a malformed or truncated snapshot (the lane then keeps its old list).
 */
export class SnapshotDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private crc = 0;
  private prev = 0n;
  private read = 0;
  private done = false;
  /** The header, once enough bytes have arrived. */
  header: SnapshotHeader | null = null;
  private resolved: (HealthEntry | WhitelistEntry)[] = [];

  /** Feeds bytes; returns the entries completed by them. */
  push(chunk: Uint8Array): DecodedEntry[] {
    if (this.done) throw new Error('snapshot already complete');
    this.buf = this.pos < this.buf.length ? concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    const out: DecodedEntry[] = [];
    if (this.header === null) {
      try {
        this.readHeader();
      } catch (e) {
        if (e === NEED_MORE) {
          this.pos = 0;
          return out;
        }
        throw e;
      }
    }
    const h = this.header;
    if (h === null) return out;
    while (this.read < h.count) {
      const start = this.pos;
      try {
        const delta = this.uvarint64();
        const cls = this.uvarint();
        const u = this.read === 0 ? delta : this.prev + delta;
        if (u > MASK64 || (this.read > 0 && delta === 0n)) throw new Error('snapshot keys are not ascending');
        const entry = this.resolved[cls];
        if (entry === undefined) throw new Error(`snapshot class index ${cls} out of range`);
        this.crc = crc32(this.buf.subarray(start, this.pos), this.crc);
        this.prev = u;
        this.read++;
        out.push({ list: h.list, key: fromOrdered(u), entry } as DecodedEntry);
      } catch (e) {
        if (e === NEED_MORE) {
          this.pos = start;
          break;
        }
        throw e;
      }
    }
    return out;
  }

  /** Checks that the snapshot is complete and intact. */
  end(): SnapshotHeader {
    const h = this.header;
    if (h === null || this.read < h.count) throw new Error('snapshot is truncated');
    const rest = this.buf.subarray(this.pos);
    if (rest.length !== 4)
      throw new Error(`snapshot has ${rest.length} trailing bytes, expected a 4-byte CRC`);
    const stored = new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0);
    if (stored !== this.crc) throw new Error('snapshot CRC mismatch');
    this.done = true;
    return h;
  }

  private readHeader(): void {
    for (const b of SNAPSHOT_MAGIC)
      if (this.byte() !== b) throw new Error('not a checkpoint-lane snapshot (v1)');
    const listByte = this.byte();
    const list: ListName | null = listByte === 1 ? 'health' : listByte === 2 ? 'whitelist' : null;
    if (list === null) throw new Error(`unknown list id ${listByte}`);
    const version = this.uvarint();
    const count = this.uvarint();
    const cpLen = this.uvarint();
    if (cpLen > 256) throw new Error('checkpoint id too long');
    const cpBytes = this.take(cpLen);
    const checkpointId = new TextDecoder('utf-8', { fatal: true }).decode(cpBytes);
    const n = this.uvarint();
    if (list === 'health') {
      const classes: HealthClass[] = [];
      for (let i = 0; i < n; i++) {
        const status = HEALTH_STATUSES[this.byte()];
        if (status === undefined) throw new Error('unknown health status in snapshot');
        classes.push({ status, since: this.time(), until: this.time() });
      }
      this.header = { list, version, count, checkpointId, classes };
      this.resolved = classes.map((c) => ({ status: c.status, since: c.since, until: c.until }));
    } else {
      const classes: WhitelistClass[] = [];
      for (let i = 0; i < n; i++) {
        const category = WHITELIST_CATEGORIES[this.byte()];
        const scope = SCOPES[this.byte()];
        if (category === undefined || scope === undefined)
          throw new Error('unknown whitelist class in snapshot');
        classes.push({ category, scope, validFrom: this.time(), validUntil: this.time() });
      }
      this.header = { list, version, count, checkpointId, classes };
      this.resolved = classes.map((c) => ({
        category: c.category,
        validFrom: c.validFrom,
        validUntil: c.validUntil,
        checkpoints: c.scope === 'everywhere' ? null : c.scope === 'here' ? [checkpointId] : [],
      }));
    }
    this.crc = crc32(this.buf.subarray(0, this.pos), 0);
  }

  private byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw NEED_MORE;
    this.pos++;
    return b;
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw NEED_MORE;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new Error('varint too long');
  }

  private uvarint64(): bigint {
    let lo = 0;
    let hi = 0n;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      if (shift < 49) lo += (b & 0x7f) * 2 ** shift;
      else hi |= BigInt(b & 0x7f) << BigInt(shift);
      if (b < 0x80) return BigInt(lo) + hi;
      shift += 7;
    }
    throw new Error('varint too long');
  }

  private time(): number | null {
    const z = this.uvarint();
    if (z === 0) return null;
    const v = z - 1;
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
}

/** Decodes a whole snapshot at once. */
export function decodeSnapshot(bytes: Uint8Array): { header: SnapshotHeader; entries: DecodedEntry[] } {
  const d = new SnapshotDecoder();
  const entries = d.push(bytes);
  return { header: d.end(), entries };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
