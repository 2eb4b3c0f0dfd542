// Keying list entries for lanes with a key scope's list key: the server's tables are keyed with the
// index key, which lanes never get, so every snapshot, delta and urgent push is keyed again from the
// raw canonical subject. A snapshot needs its entries in ascending key order; for 10M entries the
// keys go into typed arrays, sorted in runs (radix sort) and merged, in time slices that give the
// event loop back every few milliseconds.
import { createHmac } from 'node:crypto';
import { subjectKeyFromDigest, subjectKeyToHex, type ListName } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { HmacSha256Prefix } from './hmac-prefix.js';

/**
 * The key a lane looks a canonical subject (`kind:value`) up by under `listKey`: the first 8 bytes
 * of HMAC-SHA256(listKey, subject), big-endian, signed (as `subjectKey()` in subject-key.ts).
 */
export function laneSubjectKey(listKey: Uint8Array, canonicalSubject: string): bigint {
  return subjectKeyFromDigest(createHmac('sha256', listKey).update(canonicalSubject, 'utf8').digest());
}

/** `laneSubjectKey` as the 16 hex digits a delta or an urgent push carries. */
export function laneSubjectKeyHex(listKey: Uint8Array, canonicalSubject: string): string {
  return subjectKeyToHex(laneSubjectKey(listKey, canonicalSubject));
}

/**
 * Remembers lane keys already made (by list key id and subject): every lane of a scope asks for
 * the same changes after a write, and each is keyed once. Holds at most `max`; full, it starts over.
 */
export class LaneKeyMemo {
  readonly #hex = new Map<string, string>();

  constructor(private readonly max = 200_000) {}

  /** `laneSubjectKeyHex(key.key, canonicalSubject)`, from memory when made before. */
  hex(key: { readonly id: number; readonly key: Uint8Array }, canonicalSubject: string): string {
    const id = `${key.id}:${canonicalSubject}`;
    let hex = this.#hex.get(id);
    if (hex === undefined) {
      hex = laneSubjectKeyHex(key.key, canonicalSubject);
      if (this.#hex.size >= this.max) this.#hex.clear();
      this.#hex.set(id, hex);
    }
    return hex;
  }

  /** Lane keys held. */
  get size(): number {
    return this.#hex.size;
  }
}

/**
 * The canonical subject of each key in a list's change log after version `since` (index key →
 * subject): what a delta's changes, deletes included, are keyed with for a lane.
 */
export function changeSubjects(db: Db, list: ListName, since: number): Map<bigint, string> {
  const rows = db
    .prepare(
      'SELECT DISTINCT subject_key, subject FROM list_changes WHERE list = ? AND version > ? AND subject IS NOT NULL',
    )
    .raw(true)
    .safeIntegers(true)
    .all(list, since) as [bigint, string][];
  return new Map(rows);
}

/** Longest stretch of work between two returns to the event loop, in ms (a target, checked often). */
export const SLICE_MS = 8;

/** Counts elapsed time and gives the event loop a turn (`setImmediate`) when a slice is used up. */
export class TimeSlice {
  #start = performance.now();
  #startCpu = process.cpuUsage();
  #longest = 0;
  #longestCpu = 0;

  constructor(private readonly ms = SLICE_MS) {}

  /** The longest slice so far (from one return to the event loop to the next), in ms. */
  get longestMs(): number {
    return Math.max(this.#longest, performance.now() - this.#start);
  }

  /**
   * The most CPU time (this process, all threads, ms) one slice took: a slice longer in wall time
   * than in CPU time was waiting for a core the machine gave to others.
   */
  get longestCpuMs(): number {
    return Math.max(this.#longestCpu, this.#cpuMs());
  }

  #cpuMs(): number {
    const c = process.cpuUsage(this.#startCpu);
    return (c.user + c.system) / 1000;
  }

  /** True when the current slice has run for `ms` or more. */
  due(): boolean {
    return performance.now() - this.#start >= this.ms;
  }

  /**
   * Ends the current slice, awaits `work` (I/O that leaves the event loop free) if given, returns
   * to the event loop, then starts a new slice.
   */
  async pause(work?: () => Promise<void>): Promise<void> {
    this.end();
    if (work) await work();
    await new Promise((resolve) => setImmediate(resolve));
    this.#start = performance.now();
    this.#startCpu = process.cpuUsage();
  }

  /** Ends the current slice (counts it) and starts a new one, without returning to the event loop. */
  end(): void {
    this.#longest = Math.max(this.#longest, performance.now() - this.#start);
    this.#longestCpu = Math.max(this.#longestCpu, this.#cpuMs());
    this.#start = performance.now();
    this.#startCpu = process.cpuUsage();
  }
}

/** Entries per sorted run: the radix sort's scratch arrays are this long. */
export const RUN_ENTRIES = 1 << 20;

/** Entries handled between two looks at the clock. */
const CHECK_EVERY = 4096;

/** Raised when two subjects get the same 64-bit key under one list key (the snapshot cannot hold both). */
export class KeyCollisionError extends Error {
  constructor() {
    super('two subjects have the same key under this list key; rotate the scope’s key');
    this.name = 'KeyCollisionError';
  }
}

/** One run of entries: a key's two 32-bit halves and its class index, in typed arrays. */
interface Run {
  /** High 32 bits of each key (signed). */
  readonly hi: Int32Array;
  /** Low 32 bits of each key. */
  readonly lo: Uint32Array;
  readonly cls: Uint32Array;
  length: number;
  sorted: boolean;
}

/** Entries a new run has room for before its arrays grow. */
const FIRST_RUN_CAPACITY = 1 << 14;

function newRun(capacity: number): Run {
  return {
    hi: new Int32Array(capacity),
    lo: new Uint32Array(capacity),
    cls: new Uint32Array(capacity),
    length: 0,
    sorted: false,
  };
}

/**
 * Entries (a lane key and a class index each) keyed from raw subjects, kept in typed arrays of
 * up to `runEntries` entries (12 bytes an entry; a new run when one is full), each run
 * sorted on its own (`sortRuns`) and all read back in ascending signed key order by `merge`.
 */
export class KeyedEntries {
  readonly #runs: Run[] = [];
  #length = 0;
  #scratch: { hi: Int32Array; lo: Uint32Array; cls: Uint32Array } | null = null;
  readonly #counts = new Uint32Array(4 * 65_536);
  readonly #hmac: HmacSha256Prefix;

  constructor(
    listKey: Uint8Array,
    private readonly runEntries = RUN_ENTRIES,
  ) {
    if (!Number.isInteger(runEntries) || runEntries < 1) throw new Error('a run holds at least one entry');
    this.#hmac = new HmacSha256Prefix(listKey);
  }

  get length(): number {
    return this.#length;
  }

  /**
   * Keys one raw subject and stores it with its class. Returns true when this filled a run: the
   * caller may then sort it (`sortRuns`, in time slices) while more entries come.
   */
  add(canonicalSubject: string, classIndex: number): boolean {
    let run = this.#runs.at(-1);
    if (run === undefined || run.length === this.runEntries) {
      run = newRun(Math.min(this.runEntries, FIRST_RUN_CAPACITY));
      this.#runs.push(run);
    } else if (run.length === run.hi.length) {
      // A run's arrays start small and double up to `runEntries` (small lists stay small).
      const grown = newRun(Math.min(this.runEntries, run.hi.length * 2));
      grown.hi.set(run.hi);
      grown.lo.set(run.lo);
      grown.cls.set(run.cls);
      grown.length = run.length;
      this.#runs[this.#runs.length - 1] = run = grown;
    }
    const hmac = this.#hmac;
    hmac.digest(canonicalSubject);
    const i = run.length++;
    run.hi[i] = hmac.hi;
    run.lo[i] = hmac.lo;
    run.cls[i] = classIndex;
    this.#length++;
    return run.length === this.runEntries;
  }

  /** Sorts every run not sorted yet (radix sort, 4 passes of 16 bits), in time slices. */
  async sortRuns(slice: TimeSlice): Promise<void> {
    for (const run of this.#runs) {
      if (run.sorted) continue;
      await this.#sort(run, slice);
      run.sorted = true;
    }
  }

  async #sort(run: Run, slice: TimeSlice): Promise<void> {
    const n = run.length;
    const counts = this.#counts;
    counts.fill(0);
    const hi = run.hi.subarray(0, n);
    const lo = run.lo.subarray(0, n);
    const cls = run.cls.subarray(0, n);
    for (let i = 0; i < n; i += CHECK_EVERY) {
      histogram(hi, lo, i, Math.min(n, i + CHECK_EVERY), counts);
      if (slice.due()) await slice.pause();
    }
    if (!this.#scratch || this.#scratch.hi.length < n) {
      const size = Math.max(n, Math.min(this.runEntries, 1 << 16));
      this.#scratch = { hi: new Int32Array(size), lo: new Uint32Array(size), cls: new Uint32Array(size) };
    }
    let src: Columns = { hi, lo, cls };
    let dst: Columns = {
      hi: this.#scratch.hi.subarray(0, n),
      lo: this.#scratch.lo.subarray(0, n),
      cls: this.#scratch.cls.subarray(0, n),
    };
    for (let pass = 0; pass < 4; pass++) {
      const base = pass * 65_536;
      let sum = 0;
      for (let d = 0; d < 65_536; d++) {
        const c = counts[base + d] as number;
        counts[base + d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i += CHECK_EVERY) {
        scatter(pass, src, dst, i, Math.min(n, i + CHECK_EVERY), counts);
        if (slice.due()) await slice.pause();
      }
      [src, dst] = [dst, src];
    }
    // Four passes: the sorted run is back in its own arrays.
  }

  /**
   * Calls `emit` with every entry in ascending signed key order (a k-way merge of the sorted
   * runs), returning to the event loop when a slice is used up, after awaiting `flush` (a caller
   * writes out there what `emit` produced). Throws `KeyCollisionError` on two equal keys.
   */
  async merge(
    emit: (key: bigint, classIndex: number) => void,
    slice: TimeSlice,
    flush?: () => Promise<void>,
  ): Promise<void> {
    await this.sortRuns(slice);
    const runs = this.#runs.filter((r) => r.length > 0);
    const his = runs.map((r) => r.hi);
    const los = runs.map((r) => r.lo);
    const clss = runs.map((r) => r.cls);
    // A binary min-heap of run indexes, ordered by each run's next key.
    const next = new Int32Array(runs.length);
    const end = Int32Array.from(runs, (r) => r.length);
    const heap = Int32Array.from(runs.keys());
    let size = heap.length;
    const hiOf = (r: number): number => (his[r] as Int32Array)[next[r] as number] as number;
    const loOf = (r: number): number => (los[r] as Uint32Array)[next[r] as number] as number;
    const less = (a: number, b: number): boolean => {
      const ha = hiOf(a);
      const hb = hiOf(b);
      return ha < hb || (ha === hb && loOf(a) < loOf(b));
    };
    const siftDown = (at: number): void => {
      let i = at;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) return;
        const r = l + 1;
        const m = r < size && less(heap[r] as number, heap[l] as number) ? r : l;
        if (!less(heap[m] as number, heap[i] as number)) return;
        const t = heap[i] as number;
        heap[i] = heap[m] as number;
        heap[m] = t;
        i = m;
      }
    };
    for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
    const bytes = new DataView(new ArrayBuffer(8));
    let prevHi = 0;
    let prevLo = 0;
    let first = true;
    let n = 0;
    while (size > 0) {
      const run = heap[0] as number;
      const i = next[run] as number;
      const h = hiOf(run);
      const l = loOf(run);
      if (!first && h === prevHi && l === prevLo) throw new KeyCollisionError();
      first = false;
      prevHi = h;
      prevLo = l;
      bytes.setInt32(0, h);
      bytes.setUint32(4, l);
      emit(bytes.getBigInt64(0), (clss[run] as Uint32Array)[i] as number);
      next[run] = i + 1;
      if (i + 1 >= (end[run] as number)) heap[0] = heap[--size] as number;
      siftDown(0);
      if (++n % CHECK_EVERY === 0 && slice.due()) await slice.pause(flush);
    }
  }
}

/** Counts the four 16-bit digits of keys [from, to) (the top one with its sign bit flipped). */
function histogram(hi: Int32Array, lo: Uint32Array, from: number, to: number, counts: Uint32Array): void {
  for (let i = from; i < to; i++) {
    const l = lo[i] as number;
    const h = ((hi[i] as number) ^ 0x80000000) >>> 0;
    counts[l & 0xffff] = (counts[l & 0xffff] as number) + 1;
    counts[65_536 + (l >>> 16)] = (counts[65_536 + (l >>> 16)] as number) + 1;
    counts[131_072 + (h & 0xffff)] = (counts[131_072 + (h & 0xffff)] as number) + 1;
    counts[196_608 + (h >>> 16)] = (counts[196_608 + (h >>> 16)] as number) + 1;
  }
}

interface Columns {
  hi: Int32Array;
  lo: Uint32Array;
  cls: Uint32Array;
}

/** One radix pass over entries [from, to) of `src` into `dst` (`counts`: the pass's next slots). */
function scatter(
  pass: number,
  src: Columns,
  dst: Columns,
  from: number,
  to: number,
  counts: Uint32Array,
): void {
  const base = pass * 65_536;
  const { hi, lo, cls } = src;
  const dHi = dst.hi;
  const dLo = dst.lo;
  const dCls = dst.cls;
  for (let i = from; i < to; i++) {
    const h = hi[i] as number;
    const l = lo[i] as number;
    const digit =
      pass === 0
        ? l & 0xffff
        : pass === 1
          ? l >>> 16
          : pass === 2
            ? h & 0xffff
            : ((h ^ 0x80000000) >>> 16) & 0xffff;
    const p = counts[base + digit] as number;
    counts[base + digit] = p + 1;
    dHi[p] = h;
    dLo[p] = l;
    dCls[p] = cls[i] as number;
  }
}
