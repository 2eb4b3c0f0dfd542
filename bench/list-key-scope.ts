// What scoping the list key K costs the server (issue 13, item 2): one key per checkpoint, per
// province or per epoch, each derived from a master key with HKDF. Measured per scope: HMAC re-key
// of the health list's raw subjects with the scope's key (the server's own `subjectKey`), sort,
// snapshot encode into a cache file; the same for one checkpoint's whitelist; reading the raw
// subjects from a real server database; keying one health change (an urgent push) for N scopes and
// a changes answer for one scope; a rotation of one scope downloaded by LANES lanes from a file
// server process; sealing a scan's subject on the lane (AES-256-GCM under a per-lane key, or
// X25519 + HKDF + AES-256-GCM to a server key) and opening it on the server.
// Run: npx tsx bench/list-key-scope.ts
// Env: HEALTH (10M), WHITELIST (1M), SCOPE_RUNS (2), LANES (100), CONCURRENCY (10), SEALS (50k),
// DELTA (20k), SQLITE (1; 0 skips the database read).
import { fork, type ChildProcess } from 'node:child_process';
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endianness, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  SUBJECT_KINDS,
  SnapshotEncoder,
  canonicalSubjectKey,
  subjectKeyToHex,
  type HealthClass,
  type SnapshotHeader,
  type Subject,
  type WhitelistClass,
} from '@checkpoint-lane/shared';
import { openDatabase, subjectKey } from '@checkpoint-lane/sync-server';
import { healthAttrs, machine, personalId, procMemMiB, whitelistAttrs } from './lane-support.js';

const SERVE = '--serve-snapshots';
const CHECKPOINTS = 6_000;
const PROVINCES = 63;

// ------------------------------------------------------------------------------ measuring

interface Cost {
  /** Wall-clock seconds. */
  readonly wallS: number;
  /** CPU seconds of this process (user + system, all threads). */
  readonly cpuS: number;
}

function measure<T>(f: () => T): [T, Cost] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = f();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [out, { wallS, cpuS: (c.user + c.system) / 1e6 }];
}

// The garbage collector, so that a stage's peak RSS is measured from live memory only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Resets VmHWM to the current RSS (Linux), so the next reading is the peak of one stage. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

const load = (): string => loadavg()[0]!.toFixed(2);
const s = (x: number, digits = 2): string => x.toFixed(digits);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const duration = (seconds: number): string =>
  seconds < 120
    ? `${s(seconds, 1)} s`
    : seconds < 7_200
      ? `${s(seconds / 60, 1)} min`
      : `${s(seconds / 3_600, 1)} h`;

function env(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

// ------------------------------------------------------------------------------ list inputs

/** One list as the server holds it for re-keying: raw 12-digit IDs and each one's class index. */
interface ListInput {
  readonly name: string;
  readonly ids: readonly string[];
  readonly cls: Uint16Array;
  header(count: number): SnapshotHeader;
}

/**
 * Collects the members' attribute classes, most used first (as the server's snapshot builder
 * orders them, so the common classes get 1-byte indexes), and each member's class index.
 */
function withClasses<C>(attrs: readonly C[], id: (c: C) => string): { classes: C[]; cls: Uint16Array } {
  const seen = new Map<string, { c: C; n: number; index: number }>();
  const first = new Uint32Array(attrs.length);
  const order: { c: C; n: number; index: number }[] = [];
  attrs.forEach((c, i) => {
    const k = id(c);
    let e = seen.get(k);
    if (!e) {
      e = { c, n: 0, index: order.length };
      seen.set(k, e);
      order.push(e);
    }
    e.n++;
    first[i] = e.index;
  });
  if (order.length > 0xffff) throw new Error('too many attribute classes for a Uint16Array');
  const byUse = [...order].sort((a, b) => b.n - a.n);
  const remap = new Uint16Array(order.length);
  byUse.forEach((e, rank) => (remap[e.index] = rank));
  const cls = new Uint16Array(attrs.length);
  for (let i = 0; i < attrs.length; i++) cls[i] = remap[first[i]!]!;
  return { classes: byUse.map((e) => e.c), cls };
}

function healthInput(n: number): ListInput {
  const ids = Array.from({ length: n }, (_, i) => personalId(i));
  const { classes, cls } = withClasses<HealthClass>(
    Array.from({ length: n }, (_, i) => healthAttrs(i)),
    (c) => `${c.status}|${c.since}|${c.until}`,
  );
  return {
    name: 'health',
    ids,
    cls,
    header: (count) => ({ list: 'health', version: 1, count, checkpointId: '', classes }),
  };
}

/** One checkpoint's whitelist: members [from, from + n), less the ~5% valid only elsewhere. */
function whitelistInput(from: number, n: number, checkpointId: string): ListInput {
  const ids: string[] = [];
  const attrs: WhitelistClass[] = [];
  for (let i = from; i < from + n; i++) {
    const a = whitelistAttrs(i);
    if (!a.validHere) continue;
    ids.push(personalId(i));
    attrs.push({
      category: a.category,
      scope: i % 4 === 0 ? 'here' : 'everywhere',
      validFrom: a.validFrom,
      validUntil: a.validUntil,
    });
  }
  const { classes, cls } = withClasses(
    attrs,
    (c) => `${c.category}|${c.scope}|${c.validFrom}|${c.validUntil}`,
  );
  return {
    name: 'whitelist',
    ids,
    cls,
    header: (count) => ({ list: 'whitelist', version: 1, count, checkpointId, classes }),
  };
}

// ------------------------------------------------------------------------------ one scope's snapshot

/** The keyed hash of every member with one scope's key (the server's `subjectKey`). */
function rekey(ids: readonly string[], key: Uint8Array): BigInt64Array {
  const keys = new BigInt64Array(ids.length);
  for (let i = 0; i < ids.length; i++) keys[i] = subjectKey(key, { kind: 'personal_id', value: ids[i]! });
  return keys;
}

/**
 * Sorts the keys in ascending signed order in place, carrying each key's class index along:
 * LSD radix sort over four 16-bit digits of the two 32-bit halves (sign bit flipped on the top one).
 */
function sortWithClasses(keys: BigInt64Array, cls: Uint16Array): void {
  const n = keys.length;
  let src: Uint32Array = new Uint32Array(keys.buffer, keys.byteOffset, n * 2);
  let dst: Uint32Array = new Uint32Array(n * 2);
  let srcCls: Uint16Array = cls;
  let dstCls: Uint16Array = new Uint16Array(n);
  const counts = new Uint32Array(4 * 65_536);
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i]!;
    const hi = (src[2 * i + 1]! ^ 0x80000000) >>> 0;
    counts[lo & 0xffff]!++;
    counts[65_536 + (lo >>> 16)]!++;
    counts[131_072 + (hi & 0xffff)]!++;
    counts[196_608 + (hi >>> 16)]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 65_536;
    let sum = 0;
    for (let d = 0; d < 65_536; d++) {
      const c = counts[base + d]!;
      counts[base + d] = sum;
      sum += c;
    }
    const word = pass < 2 ? 0 : 1;
    const flip = word === 1 ? 0x80000000 : 0;
    const shift = pass % 2 === 0 ? 0 : 16;
    for (let i = 0; i < n; i++) {
      const digit = ((src[2 * i + word]! ^ flip) >>> shift) & 0xffff;
      const p = counts[base + digit]!;
      counts[base + digit] = p + 1;
      dst[2 * p] = src[2 * i]!;
      dst[2 * p + 1] = src[2 * i + 1]!;
      dstCls[p] = srcCls[i]!;
    }
    [src, dst] = [dst, src];
    [srcCls, dstCls] = [dstCls, srcCls];
  }
  // Four passes: the sorted data is back in `keys` and `cls`.
}

/** Keys equal to their predecessor after sorting (64-bit truncation collisions). */
function duplicates(keys: BigInt64Array): Uint8Array {
  const w = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const dup = new Uint8Array(keys.length);
  for (let i = 1; i < keys.length; i++)
    if (w[2 * i] === w[2 * i - 2] && w[2 * i + 1] === w[2 * i - 1]) dup[i] = 1;
  return dup;
}

function writeAll(fd: number, bytes: Uint8Array): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done);
  return bytes.length;
}

/** Encodes the sorted keys as a snapshot into `file` (0600, as the server's cache); its size. */
function encodeToFile(input: ListInput, keys: BigInt64Array, cls: Uint16Array, file: string): number {
  const dup = duplicates(keys);
  const count = keys.length - dup.reduce((a, b) => a + b, 0);
  const fd = openSync(file, 'w', 0o600);
  try {
    const enc = new SnapshotEncoder(input.header(count), 1 << 18);
    let bytes = 0;
    for (let i = 0; i < keys.length; i++) {
      if (dup[i] === 1) continue;
      const chunk = enc.add(keys[i]!, cls[i]!);
      if (chunk) bytes += writeAll(fd, chunk);
    }
    return bytes + writeAll(fd, enc.finish());
  } finally {
    closeSync(fd);
  }
}

/** Spot check: sampled members are found by binary search, with their own class index. */
function checkSorted(input: ListInput, key: Uint8Array, keys: BigInt64Array, cls: Uint16Array): void {
  const step = Math.max(1, Math.floor(input.ids.length / 1_000));
  for (let i = 0; i < input.ids.length; i += step) {
    const k = subjectKey(key, { kind: 'personal_id', value: input.ids[i]! });
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    if (keys[lo] !== k || cls[lo] !== input.cls[i]) throw new Error(`sorted snapshot lost member ${i}`);
  }
}

/**
 * What one build allocates per entry: its key (8 B) and the radix sort's second buffer (8 B), two
 * class index arrays (2 × 2 B) and the duplicate marks (1 B). The process's RSS moves less than
 * this when the heap reuses freed pages, so both are printed.
 */
const BUILD_BYTES_PER_ENTRY = 21;

interface ScopeBuild {
  readonly entries: number;
  readonly bytes: number;
  readonly hmac: Cost;
  readonly sort: Cost;
  readonly encode: Cost;
  readonly total: Cost;
  /** RSS before the build (the raw subjects already in memory), MiB. */
  readonly baseMiB: number;
  /** Peak RSS during the build (VmHWM), MiB. */
  readonly peakMiB: number;
}

/** Builds one scope's snapshot of a list: re-key, sort, encode into `file`. */
function buildScope(input: ListInput, key: Uint8Array, file: string): ScopeBuild {
  collectGarbage();
  const baseMiB = procMemMiB(process.pid).rss;
  resetPeak();
  const [keys, hmac] = measure(() => rekey(input.ids, key));
  const cls = input.cls.slice();
  const [, sort] = measure(() => {
    sortWithClasses(keys, cls);
  });
  const [bytes, encode] = measure(() => encodeToFile(input, keys, cls, file));
  checkSorted(input, key, keys, cls);
  const peakMiB = procMemMiB(process.pid).hwm;
  const total = {
    wallS: hmac.wallS + sort.wallS + encode.wallS,
    cpuS: hmac.cpuS + sort.cpuS + encode.cpuS,
  };
  return { entries: input.ids.length, bytes, hmac, sort, encode, total, baseMiB, peakMiB };
}

function printBuild(label: string, b: ScopeBuild): void {
  console.log(
    `  ${label}: ${b.entries} entries → ${b.bytes} B (${s(b.bytes / b.entries)} B/entry); ` +
      `HMAC ${s(b.hmac.wallS)} s (${s((b.hmac.wallS / b.entries) * 1e6)} µs/entry), sort ${s(b.sort.wallS)} s, ` +
      `encode+write ${s(b.encode.wallS)} s; total ${s(b.total.wallS)} s wall / ${s(b.total.cpuS)} s CPU; ` +
      `RSS ${b.baseMiB.toFixed(0)} MiB before, peak ${b.peakMiB.toFixed(0)} MiB; build arrays ${mib(b.entries * BUILD_BYTES_PER_ENTRY)} MiB; load ${load()}`,
  );
}

const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};

// ------------------------------------------------------------------------------ sealing a scan's subject

/** A canonical subject (`kind:value`) read back into its parts. */
function subjectOf(canonical: string): Subject {
  const colon = canonical.indexOf(':');
  const kind = SUBJECT_KINDS.find((k) => k === canonical.slice(0, colon));
  if (kind === undefined) throw new Error('not a canonical subject');
  return { kind, value: canonical.slice(colon + 1) };
}

const SEAL_INFO = 'checkpoint-lane scan subject v1';

/** AES-256-GCM under the lane's key: iv (12) ‖ ciphertext ‖ tag (16), bound to the scan id. */
function sealForLane(laneKey: Uint8Array, plain: Uint8Array, scanId: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', laneKey, iv);
  c.setAAD(Buffer.from(scanId, 'utf8'));
  return Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]).toString('base64');
}

function openFromLane(laneKey: Uint8Array, sealed: string, scanId: string): Buffer {
  const b = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-256-gcm', laneKey, b.subarray(0, 12));
  d.setAAD(Buffer.from(scanId, 'utf8'));
  d.setAuthTag(b.subarray(b.length - 16));
  return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
}

/** The 32 raw bytes of an X25519 public key (through JWK: several times faster than DER in Node 20). */
function rawX25519(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}

/** Key and nonce of one sealed subject: HKDF-SHA256 of the X25519 secret, salted with both public keys. */
function sealKeyNonce(shared: Buffer, ephemeralRaw: Uint8Array, serverRaw: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, serverRaw]), SEAL_INFO, 44));
}

/** X25519 to the server's key: ephemeral public key (32) ‖ ciphertext ‖ tag (16), bound to the scan id. */
function sealToServer(
  serverPublic: KeyObject,
  serverRaw: Uint8Array,
  plain: Uint8Array,
  scanId: string,
): string {
  const eph = generateKeyPairSync('x25519');
  const ephRaw = rawX25519(eph.publicKey);
  const okm = sealKeyNonce(
    diffieHellman({ privateKey: eph.privateKey, publicKey: serverPublic }),
    ephRaw,
    serverRaw,
  );
  const c = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32));
  c.setAAD(Buffer.from(scanId, 'utf8'));
  return Buffer.concat([ephRaw, c.update(plain), c.final(), c.getAuthTag()]).toString('base64');
}

function openOnServer(
  serverPrivate: KeyObject,
  serverRaw: Uint8Array,
  sealed: string,
  scanId: string,
): Buffer {
  const b = Buffer.from(sealed, 'base64');
  const ephRaw = b.subarray(0, 32);
  const ephPublic = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: ephRaw.toString('base64url') },
    format: 'jwk',
  });
  const okm = sealKeyNonce(
    diffieHellman({ privateKey: serverPrivate, publicKey: ephPublic }),
    ephRaw,
    serverRaw,
  );
  const d = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32));
  d.setAAD(Buffer.from(scanId, 'utf8'));
  d.setAuthTag(b.subarray(b.length - 16));
  return Buffer.concat([d.update(b.subarray(32, b.length - 16)), d.final()]);
}

// ------------------------------------------------------------------------------ file server child

/** The child: serves the two snapshot files of `dir`, reports its CPU time when asked. */
function serveSnapshots(dir: string): void {
  const server = createServer((req, res) => {
    const name = req.url === '/health' ? 'health.snap' : req.url === '/whitelist' ? 'whitelist.snap' : null;
    if (name === null) {
      res.writeHead(404).end();
      return;
    }
    const file = join(dir, name);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (m === 'stop') server.close(() => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
}

async function ask<T>(child: ChildProcess, message: string | null): Promise<T> {
  const reply = once(child, 'message') as Promise<[T]>;
  if (message !== null) child.send(message);
  return (await reply)[0];
}

/** Downloads a URL and counts its bytes. */
async function download(url: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok || res.body === null) throw new Error(`GET ${url}: ${res.status}`);
  const reader = res.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.length;
  }
}

// ------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const HEALTH = env('HEALTH', 10_000_000);
  const WHITELIST = env('WHITELIST', 1_000_000);
  const SCOPE_RUNS = Math.max(1, env('SCOPE_RUNS', 2));
  const LANES = env('LANES', 100);
  const CONCURRENCY = Math.max(1, env('CONCURRENCY', 10));
  const SEALS = Math.max(1, env('SEALS', 50_000));
  const DELTA = env('DELTA', 20_000);
  const SQLITE = env('SQLITE', 1) !== 0;
  if (endianness() !== 'LE') throw new Error('the radix sort reads 64-bit keys as little-endian halves');
  if (HEALTH + Math.ceil(WHITELIST / 2) > 2 ** 24)
    throw new Error('HEALTH + WHITELIST/2 must stay below 2^24');
  if (HEALTH < 1 || WHITELIST < 1) throw new Error('HEALTH and WHITELIST must be at least 1');

  const dir = mkdtempSync(join(tmpdir(), 'cl-bench-kscope-'));
  const master = randomBytes(32);
  const salt = Buffer.from('checkpoint-lane list key', 'utf8');
  const scopeKey = (scope: string, generation: number): Buffer =>
    Buffer.from(hkdfSync('sha256', master, salt, `list-key|${scope}|${generation}`, 32));

  try {
    console.log(
      `machine: ${machine()}; load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log(`health ${HEALTH}, whitelist ${WHITELIST} per checkpoint, ${SCOPE_RUNS} scope builds`);

    collectGarbage();
    const rss0 = procMemMiB(process.pid).rss;
    const [health, genHealth] = measure(() => healthInput(HEALTH));
    const whitelist = whitelistInput(HEALTH - Math.floor(WHITELIST / 2), WHITELIST, 'HCM-01');
    collectGarbage();
    const rss1 = procMemMiB(process.pid).rss;
    console.log(
      `population: ${health.ids.length} health IDs generated in ${s(genHealth.wallS)} s, ` +
        `held as strings with their classes: ${(rss1 - rss0).toFixed(0)} MiB RSS ` +
        `(${health.header(0).classes.length} classes); whitelist ${whitelist.ids.length} entries valid here ` +
        `(${whitelist.header(0).classes.length} classes)`,
    );

    // ---- reading the raw subjects from a real server database (the input of every re-key)
    let readS = NaN;
    if (SQLITE) {
      const file = join(dir, 'server.db');
      const db = openDatabase(file);
      const insert = db.prepare(
        'INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0)',
      );
      const [, fill] = measure(() => {
        db.transaction(() => {
          for (let i = 0; i < HEALTH; i++) {
            const e = healthAttrs(i);
            const subject: Subject = { kind: 'personal_id', value: health.ids[i]! };
            insert.run(i, canonicalSubjectKey(subject), e.status, e.since, e.until);
          }
        })();
      });
      db.close();
      const reader = openDatabase(file);
      const [rows, read] = measure(() => {
        let n = 0;
        let chars = 0;
        const it = reader
          .prepare('SELECT subject, status, since, until FROM health_entries')
          .raw()
          .iterate() as Iterable<unknown[]>;
        for (const r of it) {
          n++;
          chars += (r[0] as string).length;
        }
        if (chars === 0) throw new Error('no subjects read');
        return n;
      });
      reader.close();
      readS = read.wallS;
      console.log(
        `server database: ${rows} raw health rows (filled in ${s(fill.wallS)} s, ${mib(statSync(file).size)} MiB); ` +
          `full read of subject + class columns ${s(read.wallS)} s wall / ${s(read.cpuS)} s CPU; load ${load()}`,
      );
      rmSync(file, { force: true });
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
    }

    // ---- one scope's snapshots, built SCOPE_RUNS times with different scope keys
    console.log('one scope (re-key + sort + encode into a cache file):');
    const healthBuilds: ScopeBuild[] = [];
    const wlBuilds: ScopeBuild[] = [];
    for (let r = 0; r < SCOPE_RUNS; r++) {
      const key = scopeKey(`checkpoint:HCM-${r}`, 1);
      const h = buildScope(health, key, join(dir, 'health.snap'));
      printBuild(`health run ${r + 1}`, h);
      healthBuilds.push(h);
      const w = buildScope(whitelist, key, join(dir, 'whitelist.snap'));
      printBuild(`whitelist run ${r + 1}`, w);
      wlBuilds.push(w);
    }
    const hS = median(healthBuilds.map((b) => b.total.wallS));
    const hCpu = median(healthBuilds.map((b) => b.total.cpuS));
    const hBytes = healthBuilds.at(-1)!.bytes;
    const wS = median(wlBuilds.map((b) => b.total.wallS));
    const wBytes = wlBuilds.at(-1)!.bytes;
    const hPeak = Math.max(...healthBuilds.map((b) => b.peakMiB));
    const hmacUs = median(healthBuilds.map((b) => (b.hmac.wallS / b.entries) * 1e6));

    // ---- per-scope keys and one change keyed for every scope
    const [keys, derive] = measure(() =>
      Array.from({ length: CHECKPOINTS }, (_, i) => scopeKey(`checkpoint:${i}`, 1)),
    );
    console.log(
      `scope keys: HKDF of ${CHECKPOINTS} keys ${s(derive.wallS * 1000, 1)} ms (${s((derive.wallS / CHECKPOINTS) * 1e6)} µs each, ${CHECKPOINTS * 32} B)`,
    );
    const urgentCost = new Map<number, number>();
    for (const n of [CHECKPOINTS, PROVINCES, 1]) {
      const changes = Math.max(20, Math.floor(600_000 / n));
      let bytes = 0;
      const [, cost] = measure(() => {
        for (let c = 0; c < changes; c++) {
          const i = (c * 7_919) % health.ids.length;
          const subject: Subject = { kind: 'personal_id', value: health.ids[i]! };
          const entry = healthAttrs(i);
          for (let k = 0; k < n; k++) {
            const key = subjectKeyToHex(subjectKey(keys[k]!, subject));
            const data = {
              list: 'health',
              fromVersion: 1,
              toVersion: 2,
              changes: [{ key, op: 'put', entry }],
            };
            bytes += JSON.stringify(data).length;
          }
        }
      });
      urgentCost.set(n, (cost.wallS / changes) * 1000);
      console.log(
        `  one health change (urgent push) keyed for ${n} scope(s): ${s((cost.wallS / changes) * 1000, 3)} ms ` +
          `(${s((cost.wallS / changes / n) * 1e6)} µs per scope; ${changes} changes, ${Math.round(bytes / changes / n)} B of JSON per scope)`,
      );
    }
    let deltaMs = NaN;
    if (DELTA > 0) {
      const [json, cost] = measure(() => {
        const changes = [];
        for (let c = 0; c < DELTA; c++) {
          const i = (c * 104_729) % health.ids.length;
          const key = subjectKeyToHex(subjectKey(keys[0]!, { kind: 'personal_id', value: health.ids[i]! }));
          changes.push({ key, op: 'put', entry: healthAttrs(i) });
        }
        return JSON.stringify({ list: 'health', fromVersion: 1, toVersion: 2, changes });
      });
      deltaMs = cost.wallS * 1000;
      console.log(
        `  a ${DELTA}-change answer keyed for one scope: ${s(deltaMs, 1)} ms (${mib(json.length)} MiB of JSON)`,
      );
    }

    // ---- rotation of one scope: LANES lanes download its new health and whitelist snapshots
    let rotation: { bytes: number; wallS: number; serverCpuS: number } | null = null;
    if (LANES > 0) {
      const child = fork(fileURLToPath(import.meta.url), [SERVE, dir], {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      try {
        const { port } = await ask<{ port: number }>(child, null);
        const before = await ask<{ cpu: NodeJS.CpuUsage }>(child, 'cpu');
        const t0 = performance.now();
        let bytes = 0;
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, LANES) }, async () => {
            while (next < LANES) {
              next++;
              const h = await download(`http://127.0.0.1:${port}/health`);
              const w = await download(`http://127.0.0.1:${port}/whitelist`);
              bytes += h + w;
            }
          }),
        );
        const wallS = (performance.now() - t0) / 1000;
        const after = await ask<{ cpu: NodeJS.CpuUsage }>(child, 'cpu');
        const serverCpuS = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6;
        if (bytes !== LANES * (hBytes + wBytes))
          throw new Error(`downloaded ${bytes} B, expected ${LANES * (hBytes + wBytes)}`);
        rotation = { bytes, wallS, serverCpuS };
        console.log(
          `rotation of one scope, ${LANES} lanes (${CONCURRENCY} at a time, loopback): ${mib(bytes)} MiB downloaded ` +
            `(${mib(hBytes + wBytes)} MiB per lane) in ${s(wallS)} s; file server ${s(serverCpuS)} s CPU; ` +
            `plus the builds (health ${s(hS)} s + whitelist ${s(wS)} s); load ${load()}`,
        );
      } finally {
        child.send('stop');
        await once(child, 'exit');
      }
    }

    // ---- sealing a scan's subject on the lane, opening it on the server
    const plains = Array.from({ length: SEALS }, (_, i) =>
      Buffer.from(
        canonicalSubjectKey({ kind: 'personal_id', value: health.ids[i % health.ids.length]! }),
        'utf8',
      ),
    );
    const scanIds = Array.from({ length: SEALS }, () => randomUUID());
    const lookupKey = scopeKey('server-only', 1);
    const [laneKeys, laneDerive] = measure(() =>
      Array.from({ length: 1_000 }, (_, i) => scopeKey(`lane:${i}`, 1)),
    );
    const laneKey = laneKeys[0]!;
    const server = generateKeyPairSync('x25519');
    const serverRaw = rawX25519(server.publicKey);

    const [aesSealed, aesSeal] = measure(() => plains.map((p, i) => sealForLane(laneKey, p, scanIds[i]!)));
    const [aesOpened, aesOpen] = measure(() =>
      aesSealed.map((x, i) => openFromLane(laneKey, x, scanIds[i]!)),
    );
    const [xSealed, xSeal] = measure(() =>
      plains.map((p, i) => sealToServer(server.publicKey, serverRaw, p, scanIds[i]!)),
    );
    const [xOpened, xOpen] = measure(() =>
      xSealed.map((x, i) => openOnServer(server.privateKey, serverRaw, x, scanIds[i]!)),
    );
    const [, lookupHmac] = measure(() =>
      xOpened.map((p) => subjectKey(lookupKey, subjectOf(p.toString('utf8')))),
    );
    for (let i = 0; i < SEALS; i++)
      if (!aesOpened[i]!.equals(plains[i]!) || !xOpened[i]!.equals(plains[i]!))
        throw new Error('a sealed subject did not open to itself');
    const tampered = Buffer.from(xSealed[0]!, 'base64');
    tampered[40]! ^= 1;
    for (const bad of [
      () => openOnServer(server.privateKey, serverRaw, tampered.toString('base64'), scanIds[0]!),
      () => openOnServer(server.privateKey, serverRaw, xSealed[0]!, randomUUID()),
      () => openFromLane(laneKeys[1]!, aesSealed[0]!, scanIds[0]!),
    ]) {
      let opened = true;
      try {
        bad();
      } catch {
        opened = false;
      }
      if (opened) throw new Error('a tampered, moved or foreign sealed subject opened');
    }
    const per = (c: Cost): string => `${s((c.wallS / SEALS) * 1e6, 1)} µs`;
    const rate = (c: Cost): string => `${Math.round(SEALS / c.wallS).toLocaleString('en')} scans/s`;
    console.log(`sealing a scan's subject (${SEALS} scans, base64 as uploaded):`);
    console.log(
      `  AES-256-GCM, per-lane key: lane seal ${per(aesSeal)}; server open ${per(aesOpen)} = ${rate(aesOpen)} per core; ` +
        `${aesSealed[0]!.length} chars; per-lane key HKDF ${s((laneDerive.wallS / 1_000) * 1e6)} µs`,
    );
    console.log(
      `  X25519 + HKDF + AES-256-GCM: lane seal ${per(xSeal)}; server open ${per(xOpen)} = ${rate(xOpen)} per core; ` +
        `${xSealed[0]!.length} chars`,
    );
    console.log(
      `  then the server's own lookup key (HMAC with a key that never leaves it) ${per(lookupHmac)}; load ${load()}`,
    );

    // ---- extrapolation
    console.log('extrapolation (single core, from the medians above):');
    const models = [
      { name: 'per checkpoint', scopes: CHECKPOINTS },
      { name: 'per province', scopes: PROVINCES },
      { name: 'per epoch', scopes: 1 },
    ];
    for (const m of models) {
      const storeGiB = (2 * m.scopes * hBytes + CHECKPOINTS * wBytes) / 2 ** 30;
      const readNote = Number.isNaN(readS) ? '' : ` (+ ${s(readS)} s per database read of the raw subjects)`;
      console.log(
        `  ${m.name} (${m.scopes}): health snapshots ${duration(m.scopes * hS)} wall / ${duration(m.scopes * hCpu)} CPU ` +
          `per full regeneration${readNote}; ${CHECKPOINTS} whitelists ${duration(CHECKPOINTS * wS)}; ` +
          `cache ${s(storeGiB, 1)} GiB (health ×2 versions + whitelists); ` +
          `one urgent change ${s(urgentCost.get(m.scopes) ?? NaN, 3)} ms; ` +
          `a ${DELTA}-change delta to every scope ${duration((m.scopes * deltaMs) / 1000)}`,
      );
    }
    console.log(
      `  summary: health build ${s(hS)} s / ${s(hCpu)} s CPU per scope, ${hBytes} B; whitelist ${s(wS)} s, ${wBytes} B; ` +
        `peak RSS ${hPeak.toFixed(0)} MiB; HMAC ${s(hmacUs)} µs/entry` +
        (rotation
          ? `; rotation ${mib(rotation.bytes)} MiB, file server ${s(rotation.serverCpuS)} s CPU`
          : ''),
    );
    console.log(
      `load at the end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === SERVE) serveSnapshots(process.argv[3] ?? '.');
else await main();
