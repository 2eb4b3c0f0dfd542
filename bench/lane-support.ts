// Shared helpers for the lane agent benchmarks (not tests): realistic 12-digit IDs and scan
// payloads, list attributes, stats, /proc memory readings and a restartable server process.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { NewLaneRecord } from '@checkpoint-lane/kiosk';
import {
  PROVINCE_CODES,
  WHITELIST_CATEGORIES,
  type HealthEntry,
  type WhitelistCategory,
} from '@checkpoint-lane/shared';

export const SERVER_JS = fileURLToPath(
  new URL('../sync-server/dist/cli/checkpoint-server.js', import.meta.url),
);

// ---------------------------------------------------------------------------------------------
// Realistic 12-digit personal IDs: PPP (a real province code) G YY (birth century/sex and year,
// 1930–2020) RRRRRR. Index i ↦ ID is a bijection onto that space (an affine map modulo its size),
// so IDs look random, never repeat, and the bench knows which index is on which list.

const PROVINCES = [...PROVINCE_CODES.keys()].filter((p) => !p.startsWith('1') && !p.startsWith('2'));
/** (G, YY) pairs: 1930–1999 (G 0/1) and 2000–2020 (G 2/3). */
const GYY: readonly string[] = [
  ...[0, 1].flatMap((g) => Array.from({ length: 70 }, (_, k) => `${g}${String(30 + k).padStart(2, '0')}`)),
  ...[2, 3].flatMap((g) => Array.from({ length: 21 }, (_, k) => `${g}${String(k).padStart(2, '0')}`)),
];
const SERIALS = 1_000_000;
const SPACE = PROVINCES.length * GYY.length * SERIALS;
// A prime that divides none of SPACE's factors (2, 3, 5, 7, 13, …): the map is a bijection.
const A_HI = 40_503; // 2654435761 = 40503 · 65536 + 31153
const A_LO = 31_153;
const OFFSET = 123_456_789;

function mulmod(i: number): number {
  // (i · 2654435761) mod SPACE without leaving exact doubles (i < 2^24).
  const hi = ((i * A_HI) % SPACE) * 65_536;
  return (hi + i * A_LO + OFFSET) % SPACE;
}

/** The i-th ID of the bench population (i < 2^24). */
export function personalId(i: number): string {
  const j = mulmod(i);
  const serial = j % SERIALS;
  const r = Math.floor(j / SERIALS);
  const gyy = GYY[r % GYY.length] ?? '090';
  const prov = PROVINCES[Math.floor(r / GYY.length) % PROVINCES.length] ?? '001';
  return `${prov}${gyy}${String(serial).padStart(6, '0')}`;
}

const NAMES = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Hoàng Cường', 'Phạm Thị Dung', 'Hoàng Minh Đức'];
const PLACES = ['12 Lê Lợi, Quận 1, TP Hồ Chí Minh', 'Thôn 3, Xã Tân Hòa, Huyện Phú Bình, Thái Nguyên'];

/** A chip ID card (CCCD) QR for an ID, consistent with its digits (birth year, sex). */
export function chipCardQr(id: string, i: number): string {
  const g = Number(id[3]);
  const year = 1900 + Math.floor(g / 2) * 100 + Number(id.slice(4, 6));
  const dob = `${String((i % 28) + 1).padStart(2, '0')}${String((i % 12) + 1).padStart(2, '0')}${year}`;
  const sex = g % 2 === 0 ? 'Nam' : 'Nữ';
  const name = NAMES[i % NAMES.length] ?? 'A';
  const place = PLACES[i % PLACES.length] ?? 'Hà Nội';
  return `${id}||${name}|${dob}|${sex}|${place}|15042021`;
}

// ---------------------------------------------------------------------------------------------
// List attributes, derived from the subject key (`attrSeed`) so that the lane store and the server
// hold the same lists without keeping an index. Few distinct attribute sets, as real lists have (batches, monthly permits).

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const CATEGORIES: readonly WhitelistCategory[] = WHITELIST_CATEGORIES;

/** A number derived from a subject key, to derive list attributes from. */
export function attrSeed(key: bigint): number {
  return Number(BigInt.asUintN(30, key));
}

/** Whitelist attributes of population member i; ~3% expired, ~5% valid only elsewhere. */
export function whitelistAttrs(i: number): {
  category: WhitelistCategory;
  validFrom: number | null;
  validUntil: number | null;
  validHere: boolean;
} {
  const expired = i % 37 === 0;
  return {
    category: CATEGORIES[i % CATEGORIES.length] ?? 'other',
    validFrom: T0 + (i % 4) * 30 * DAY,
    validUntil: expired ? T0 - DAY : i % 3 === 0 ? null : T0 + 730 * DAY,
    validHere: i % 20 !== 7,
  };
}

/** Health attributes of population member i: mostly F1/F2/recovered, ~5% F0. */
export function healthAttrs(i: number): HealthEntry {
  const r = i % 20;
  const status = r === 0 ? 'F0' : r < 6 ? 'F1' : r < 10 ? 'F2' : r < 12 ? 'F3' : 'recovered';
  return { status, since: T0 + (i % 10) * DAY, until: status === 'F0' ? null : T0 + 400 * DAY };
}

/**
 * Who is on which list: whitelist = [0, W), health = [W - H/2, W + H/2) (half of the health list
 * is also whitelisted), misses = [W + H/2, …).
 */
export function population(
  whitelist: number,
  health: number,
): {
  whitelist: [number, number];
  health: [number, number];
  missFrom: number;
} {
  const h0 = whitelist - Math.floor(health / 2);
  return { whitelist: [0, whitelist], health: [h0, h0 + health], missFrom: h0 + health };
}

// ---------------------------------------------------------------------------------------------
// Stats, machine, memory.

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** Median and percentiles of a sample (nearest rank). */
export function summarize(xs: readonly number[]): Summary {
  const s = Float64Array.from(xs).sort();
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
    min: r(s[0] ?? NaN),
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p95: r(at(0.95)),
    p99: r(at(0.99)),
    p999: r(at(0.999)),
    max: r(s[s.length - 1] ?? NaN),
  };
}

/** One table row of a summary (ms). */
export function row(label: string, s: Summary): string {
  return `${label.padEnd(44)} n=${String(s.n).padStart(6)}  p50 ${s.p50.toFixed(3)}  p90 ${s.p90.toFixed(3)}  p95 ${s.p95.toFixed(3)}  p99 ${s.p99.toFixed(3)}  p99.9 ${s.p999.toFixed(3)}  max ${s.max.toFixed(3)} ms`;
}

/** One line describing this machine. */
export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc (Linux). */
export function procMemMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// A sync server process on a fixed loopback port (so it can be stopped and started again):
// the same one the integration tests use.
export {
  freePort,
  ServerUnderTest as BenchServer,
  stdinLaneArgs,
} from '../tests/integration/lane-helpers.js';

/** A typical recorded scan (what the outbox stores per scan), for the commit benches. */
export const SAMPLE_SCAN_RECORD = {
  type: 'scan',
  source: 'serial',
  format: 'chip_id_card',
  subjectKey: '0123456789abcdef',
  subjectSealed: null,
  decision: 'green',
  reasons: ['whitelisted'],
  warnings: [],
  alert: false,
} as const satisfies NewLaneRecord;
