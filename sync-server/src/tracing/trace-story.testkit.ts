// Test kit of contact tracing: a small generated set of scans with a story (named subjects whose
// fate a trace must get right) and random noise, uploaded through the real lane upload of a store
// (sealed subjects, keyed at ingest); and a brute-force reference trace over the same scans.
import {
  CHECKPOINT_DEFAULTS,
  canonicalSubjectKey,
  parseSubjectText,
  type LaneRecord,
} from '@checkpoint-lane/shared';
import { createHash } from 'node:crypto';
import type { OpenedStore } from '../db/store/sqlite-store.js';
import { MAX_EVIDENCE, type TraceParams } from '../db/store/traces-store.js';
import { sealAsLane } from '../lists/scan-seal.testkit.js';
import { subjectKey } from '../lists/subject-key.js';

/** One scan of the story. */
export interface StoryScan {
  readonly id: string;
  /** Lane (kiosk) id. */
  readonly lane: string;
  readonly checkpointId: string;
  readonly at: number;
  /** The subject as typed (null: a scan that named none). */
  readonly subject: string | null;
  readonly vehicleId: string | null;
}

/** 09:00 Vietnam time, 20 Nov 2026: the story's first index scan. */
export const T0 = Date.UTC(2026, 10, 20, 2, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Lanes of the story and their checkpoints. */
export const STORY_LANES: Readonly<Record<string, string>> = { L1: 'CP1', L2: 'CP1', L3: 'CP2', L4: 'CP3' };

/** The story's named subjects (12-digit IDs and one plate). */
export const WHO = {
  /** Index subjects (F0s). */
  f0a: '079000000001',
  f0b: '079000000002',
  /** At CP1 one minute after f0a: a hop-1 lane contact. */
  near: '079000000011',
  /** At CP1 one hour after f0a: no contact. */
  hourLater: '079000000012',
  /** At CP2 one minute after f0a (another checkpoint): no contact. */
  otherCheckpoint: '079000000013',
  /** The plate of the vehicle f0b rides in, and two passengers (one 40 minutes later). */
  plate: '51F11111',
  passenger: '079000000021',
  latePassenger: '079000000022',
  /** At CP2 five minutes after `near` was: a hop-2 contact. */
  hop2: '079000000031',
  /** Near f0a's scan before the trace's period: no contact. */
  beforePeriod: '079000000041',
} as const;

/** The period the story's traces use. */
export const STORY_FROM = T0 - HOUR;
export const STORY_TO = T0 + 24 * HOUR;

const uuid = (n: number): string => `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The story's scans: the named ones, then `noise` random scans of 30 other subjects. */
export function traceStory(noise = 200, seed = 15): StoryScan[] {
  let n = 0;
  const scans: StoryScan[] = [];
  const add = (lane: string, at: number, subject: string | null, vehicleId: string | null = null): string => {
    const id = uuid(++n);
    scans.push({ id, lane, checkpointId: STORY_LANES[lane] as string, at, subject, vehicleId });
    return id;
  };
  add('L1', T0, WHO.f0a);
  add('L2', T0 + MIN, WHO.near);
  add('L1', T0 + 2 * MIN, WHO.f0b);
  add('L1', T0 + HOUR, WHO.hourLater);
  add('L3', T0 + MIN, WHO.otherCheckpoint);
  add('L3', T0 - 3 * HOUR, WHO.f0a);
  add('L3', T0 - 3 * HOUR + MIN, WHO.beforePeriod);
  // The vehicle: the plate scan names itself; f0b and two passengers ride in it.
  const vehicle = uuid(n + 1);
  add('L2', T0 + 3 * HOUR, WHO.plate, vehicle);
  add('L2', T0 + 3 * HOUR + MIN, WHO.f0b, vehicle);
  add('L2', T0 + 3 * HOUR + 2 * MIN, WHO.passenger, vehicle);
  add('L2', T0 + 3 * HOUR + 40 * MIN, WHO.latePassenger, vehicle);
  add('L3', T0 + 5 * HOUR, WHO.near);
  add('L3', T0 + 5 * HOUR + 5 * MIN, WHO.hop2);

  // Noise: 30 subjects over 12 hours at three checkpoints, a few vehicles, some scans naming none.
  const rnd = random(seed);
  const lanes = Object.keys(STORY_LANES);
  const noiseVehicles: string[] = [];
  for (let i = 0; i < noise; i++) {
    const lane = lanes[Math.floor(rnd() * lanes.length)] as string;
    const at = T0 - 2 * HOUR + Math.floor(rnd() * 12 * HOUR);
    const who = rnd() < 0.1 ? null : `0790000001${String(Math.floor(rnd() * 30)).padStart(2, '0')}`;
    const r = rnd();
    if (r < 0.03) noiseVehicles.push(add(lane, at, `51G${String(10000 + i)}`, uuid(n + 1)));
    else if (r < 0.15 && noiseVehicles.length > 0)
      add(lane, at, who, noiseVehicles[Math.floor(rnd() * noiseVehicles.length)]);
    else add(lane, at, who);
  }
  return scans;
}

/** The server's index key of a subject as typed (as the ingest computes it from the seal). */
export function keyOf(indexKey: Uint8Array, text: string): bigint {
  const s = parseSubjectText(text);
  if (s === null) throw new Error(`not a subject: ${text}`);
  return subjectKey(indexKey, s);
}

/** Creates the story's checkpoints and lanes in a store (through its fleet and lane work). */
export async function addStoryLanes(store: OpenedStore, now: number): Promise<void> {
  for (const cp of new Set(Object.values(STORY_LANES))) {
    await store.checkpoints.save({ id: cp, name: cp, mode: 'open', ...CHECKPOINT_DEFAULTS }, now, 'test');
  }
  for (const [lane, cp] of Object.entries(STORY_LANES)) {
    const codeHash = createHash('sha256').update(`code-${lane}`).digest('hex');
    await store.fleet.createEnrollmentCode(codeHash, cp, now, now + HOUR, 'test');
    const r = await store.lane.enroll(codeHash, { id: lane, name: lane, tokenHash: `token-${lane}` }, now);
    if (r === null) throw new Error(`enroll ${lane} failed`);
  }
}

/** The lane records of the story, per lane in time order (seq 1…), subjects sealed to `sealKey`. */
export function storyRecords(scans: readonly StoryScan[], sealKey: string): Map<string, LaneRecord[]> {
  const byLane = new Map<string, LaneRecord[]>();
  for (const s of [...scans].sort((a, b) => a.at - b.at)) {
    const list = byLane.get(s.lane) ?? [];
    byLane.set(s.lane, list);
    const subject = s.subject === null ? null : parseSubjectText(s.subject);
    list.push({
      type: 'scan',
      seq: list.length + 1,
      id: s.id,
      at: s.at,
      source: 'simulated',
      format: subject === null ? null : subject.kind === 'plate' ? 'vehicle_plate' : 'personal_id',
      subjectKey: null,
      subjectSealed: subject === null ? null : sealAsLane(sealKey, canonicalSubjectKey(subject)),
      decision: 'green',
      reasons: ['not_flagged'],
      warnings: [],
      alert: false,
      vehicleId: s.vehicleId,
    });
  }
  return byLane;
}

/** Uploads the story through the store's lane upload (the scan ingest of either engine). */
export async function uploadStory(
  store: OpenedStore,
  scans: readonly StoryScan[],
  now: number,
): Promise<void> {
  for (const [lane, records] of storyRecords(scans, store.scanSeal.publicKeyBase64())) {
    for (let i = 0; i < records.length; i += 500) {
      await store.lane.upload(
        { id: lane, checkpointId: STORY_LANES[lane] as string },
        records.slice(i, i + 500),
        now,
        [],
      );
    }
  }
}

/** A contact as the reference finds it: hop, via and every evidence piece as a sortable text. */
export interface ReferenceContact {
  readonly hop: 1 | 2;
  readonly via: 'lane' | 'vehicle';
  /** `at|checkpoint|lane|indexKey|indexAt|vehicleId`, sorted. */
  readonly evidence: string[];
}

/** One evidence piece as the reference and the comparison write it. */
export const evidenceText = (e: {
  at: number;
  checkpointId: string;
  kioskId: string;
  indexKey: bigint;
  indexAt: number;
  vehicleId: string | null;
}): string => `${e.at}|${e.checkpointId}|${e.kioskId}|${e.indexKey}|${e.indexAt}|${e.vehicleId ?? '-'}`;

/**
 * The brute-force trace: every pair of (source scan in the period, other scan) compared, no
 * windows merged, no store.
 */
export function referenceTrace(
  scans: readonly StoryScan[],
  indexKey: Uint8Array,
  params: TraceParams,
): Map<bigint, ReferenceContact> {
  const keyed = scans.map((s) => ({ ...s, key: s.subject === null ? null : keyOf(indexKey, s.subject) }));
  const w = params.windowMinutes * MIN;
  const out = new Map<bigint, ReferenceContact>();
  const excluded = new Set<bigint>(params.indexKeys);
  let sources = new Set<bigint>(params.indexKeys);
  for (const hop of params.hops === 2 ? ([1, 2] as const) : ([1] as const)) {
    const found = new Map<bigint, { vehicle: boolean; evidence: Set<string> }>();
    for (const a of keyed) {
      if (a.key === null || !sources.has(a.key) || a.at < params.from || a.at > params.to) continue;
      for (const b of keyed) {
        if (b.key === null || excluded.has(b.key)) continue;
        const lane = a.checkpointId === b.checkpointId && Math.abs(a.at - b.at) <= w;
        const vehicle = a.vehicleId !== null && a.vehicleId === b.vehicleId;
        if (!lane && !vehicle) continue;
        const f = found.get(b.key) ?? { vehicle: false, evidence: new Set<string>() };
        found.set(b.key, f);
        f.vehicle ||= vehicle;
        f.evidence.add(
          evidenceText({
            at: b.at,
            checkpointId: b.checkpointId,
            kioskId: b.lane,
            indexKey: a.key,
            indexAt: a.at,
            vehicleId: vehicle ? a.vehicleId : null,
          }),
        );
      }
    }
    for (const [k, f] of found) {
      out.set(k, { hop, via: f.vehicle ? 'vehicle' : 'lane', evidence: [...f.evidence].sort() });
      excluded.add(k);
    }
    sources = new Set(found.keys());
  }
  return out;
}

export { MAX_EVIDENCE };
