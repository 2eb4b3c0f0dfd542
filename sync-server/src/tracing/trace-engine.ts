// The contact tracing engine (issue 15; contract: ../shared/design/architecture.md, "Tracing").
// Pure over `TraceScansStore`: it reads scans and answers contacts; storing them, progress and
// failures are the job's (trace-jobs.ts).
//
// Hop 1: the index subjects' scans in [from, to]; at each checkpoint, every other subject scanned
// within ± windowMinutes of one of them (`via: 'lane'`); and every other subject scanned in the
// same vehicle as one of them, whatever the time gap inside the vehicle (`via: 'vehicle'`).
// Hop 2 repeats that from the hop-1 contacts (same period and window), leaving out the index and
// hop-1 subjects. The index subjects are never their own contacts.
import {
  MAX_EVIDENCE,
  type TraceContact,
  type TraceEvidence,
  type TraceParams,
  type TraceScan,
  type TraceScansStore,
  type TraceWindow,
} from '../db/store/traces-store.js';

/** A contact with how many evidence pieces were found in all (`evidence` keeps `MAX_EVIDENCE`). */
export interface EngineContact extends TraceContact {
  readonly evidenceCount: number;
}

export interface TraceEngineOptions {
  /** Source subjects per store call (default 50). */
  readonly chunk?: number;
  /** Merged windows per `scansNear` call (default 8). */
  readonly windowsPerCall?: number;
  /**
   * Told the fraction done (0 … 1) after each chunk; answering false stops the trace (it was
   * deleted meanwhile): `runTrace` then answers null.
   */
  readonly progress?: (fraction: number) => Promise<boolean>;
  /**
   * Awaited between store calls so other requests run (SQLite calls are synchronous underneath).
   * Default: one turn of the event loop (`setImmediate`).
   */
  readonly yieldTurn?: () => Promise<void>;
  /**
   * The most hop-1 contacts hop 2 starts from (default: no limit). Hop 2 from more is not run: it
   * would reach nearly every subject scanned in the period (from 1,000 F0s at the model's density,
   * 360,000 hop-1 contacts, ≈ 3 hours and many GiB), a list no one can act on.
   */
  readonly maxHop2Sources?: number;
  /** Told the limit when hop 2 was asked but not run (see `maxHop2Sources`). */
  readonly onHop2Skipped?: (limit: number) => void;
}

/** Neighbour scans matched between two turns of the event loop. */
const MATCHES_PER_TURN = 1_000;
/** Contacts finished (evidence sorted) between two turns of the event loop. */
const FINISHED_PER_TURN = 5_000;

/** One turn of the event loop: I/O callbacks (other requests) run before the next chunk. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A contact while it is being found: its evidence, one piece per (contact scan, index scan) pair
 * (an array, not a map keyed by the pair: a 2-hop trace holds millions of pieces).
 */
interface Found {
  readonly subjectKey: bigint;
  subjectSealed: string | null;
  format: string | null;
  readonly hop: 1 | 2;
  readonly evidence: TraceEvidence[];
}

/** Index scans of one checkpoint, sorted by time (for the window look-up). */
type ByCheckpoint = Map<string, TraceScan[]>;

/** The first index in `sorted` (by `at`) with `at >= t`. */
function lowerBound(sorted: readonly TraceScan[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as TraceScan).at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The windows ±`windowMs` around the scans, merged per checkpoint where they overlap or touch
 * (fewer, longer ranges for the store).
 */
export function mergedWindows(byCheckpoint: ByCheckpoint, windowMs: number): TraceWindow[] {
  const out: TraceWindow[] = [];
  for (const [checkpointId, scans] of byCheckpoint) {
    let from = Number.NaN;
    let to = Number.NaN;
    for (const s of scans) {
      if (s.at - windowMs <= to) to = Math.max(to, s.at + windowMs);
      else {
        if (!Number.isNaN(from)) out.push({ checkpointId, from, to });
        from = s.at - windowMs;
        to = s.at + windowMs;
      }
    }
    if (!Number.isNaN(from)) out.push({ checkpointId, from, to });
  }
  return out;
}

/** Evidence of one contact scan next to (or in the vehicle of) one source scan. */
function addEvidence(
  found: Map<bigint, Found>,
  hop: 1 | 2,
  contact: TraceScan & { subjectKey: bigint },
  source: TraceScan & { subjectKey: bigint },
  vehicleId: string | null,
): void {
  let f = found.get(contact.subjectKey);
  if (f === undefined) {
    f = {
      subjectKey: contact.subjectKey,
      subjectSealed: contact.subjectSealed,
      format: contact.format,
      hop,
      evidence: [],
    };
    found.set(contact.subjectKey, f);
  }
  if (f.subjectSealed === null) f.subjectSealed = contact.subjectSealed;
  if (f.format === null) f.format = contact.format;
  const piece: TraceEvidence = {
    checkpointId: contact.checkpointId,
    kioskId: contact.kioskId,
    at: contact.at,
    indexKey: source.subjectKey,
    indexAt: source.at,
    vehicleId,
  };
  if (vehicleId !== null) {
    // The same two scans near each other and in one vehicle: one piece, naming the vehicle. Each
    // pair is met once by the window and at most once by the vehicle, in the same chunk.
    const i = f.evidence.findIndex(
      (e) =>
        e.at === piece.at &&
        e.indexAt === piece.indexAt &&
        e.indexKey === piece.indexKey &&
        e.kioskId === piece.kioskId,
    );
    if (i >= 0) {
      f.evidence[i] = piece;
      return;
    }
  }
  f.evidence.push(piece);
}

const hasSubject = (s: TraceScan): s is TraceScan & { subjectKey: bigint } => s.subjectKey !== null;

/**
 * One hop: the contacts of `sources` (subject keys) among subjects not in `excluded`, added to
 * `found`. Works `chunk` sources per store call, yielding between calls; `progress` gets this
 * hop's fraction done. False when stopped.
 */
async function hop(
  store: TraceScansStore,
  params: TraceParams,
  sources: readonly bigint[],
  excluded: ReadonlySet<bigint>,
  hopNo: 1 | 2,
  found: Map<bigint, Found>,
  opts: Required<TraceEngineOptions>,
  progress: (fraction: number) => Promise<boolean>,
): Promise<boolean> {
  const windowMs = params.windowMinutes * 60_000;
  for (let i = 0; i < sources.length; i += opts.chunk) {
    const keys = sources.slice(i, i + opts.chunk);
    const scans = (await store.scansOfSubjects(keys, params.from, params.to)).filter(hasSubject);
    await opts.yieldTurn();
    const byCheckpoint: ByCheckpoint = new Map();
    const byVehicle = new Map<string, (TraceScan & { subjectKey: bigint })[]>();
    for (const s of scans) {
      const list = byCheckpoint.get(s.checkpointId);
      if (list === undefined) byCheckpoint.set(s.checkpointId, [s]);
      else list.push(s);
      if (s.vehicleId !== null) {
        const v = byVehicle.get(s.vehicleId);
        if (v === undefined) byVehicle.set(s.vehicleId, [s]);
        else v.push(s);
      }
    }
    for (const list of byCheckpoint.values()) list.sort((a, b) => a.at - b.at);

    // A few windows per store call, and a turn of the event loop every few thousand scans: a
    // dense checkpoint's windows hold thousands of scans, read and matched synchronously.
    const windows = mergedWindows(byCheckpoint, windowMs);
    for (let w = 0; w < windows.length; w += opts.windowsPerCall) {
      const near = await store.scansNear(windows.slice(w, w + opts.windowsPerCall));
      await opts.yieldTurn();
      let matched = 0;
      for (const n of near) {
        if (++matched % MATCHES_PER_TURN === 0) await opts.yieldTurn();
        if (!hasSubject(n) || excluded.has(n.subjectKey)) continue;
        const at = byCheckpoint.get(n.checkpointId);
        if (at === undefined) continue;
        for (let j = lowerBound(at, n.at - windowMs); j < at.length; j++) {
          const src = at[j] as TraceScan & { subjectKey: bigint };
          if (src.at > n.at + windowMs) break;
          addEvidence(found, hopNo, n, src, null);
        }
      }
    }

    if (byVehicle.size > 0) {
      const inVehicles = await store.scansInVehicles([...byVehicle.keys()]);
      await opts.yieldTurn();
      for (const v of inVehicles) {
        if (!hasSubject(v) || v.vehicleId === null || excluded.has(v.subjectKey)) continue;
        for (const src of byVehicle.get(v.vehicleId) ?? []) addEvidence(found, hopNo, v, src, v.vehicleId);
      }
    }
    if (!(await progress(Math.min(1, (i + keys.length) / sources.length)))) return false;
  }
  return true;
}

/** A found contact as the trace stores it: evidence earliest first, at most `MAX_EVIDENCE`. */
function finished(f: Found): EngineContact {
  const all = f.evidence.sort(
    (a, b) =>
      a.at - b.at ||
      a.indexAt - b.indexAt ||
      (a.indexKey < b.indexKey ? -1 : a.indexKey > b.indexKey ? 1 : 0),
  );
  return {
    subjectKey: f.subjectKey,
    subjectSealed: f.subjectSealed,
    format: f.format,
    hop: f.hop,
    via: all.some((e) => e.vehicleId !== null) ? 'vehicle' : 'lane',
    evidence: all.slice(0, MAX_EVIDENCE),
    evidenceCount: all.length,
  };
}

/**
 * Appends the found contacts, finished, to `out` one by one (spreading a few hundred thousand into
 * `push()` overflows the stack), yielding every `FINISHED_PER_TURN`.
 */
async function finishAll(
  found: ReadonlyMap<bigint, Found>,
  out: EngineContact[],
  opts: Required<TraceEngineOptions>,
): Promise<void> {
  let n = 0;
  for (const f of found.values()) {
    out.push(finished(f));
    if (++n % FINISHED_PER_TURN === 0) await opts.yieldTurn();
  }
}

/**
 * Runs a trace: the contacts of `params.indexKeys` (hop 1, and hop 2 when asked), hop 1 first
 * (the store orders pages). Null when `progress` answered false (stopped).
 */
export async function runTrace(
  store: TraceScansStore,
  params: TraceParams,
  options: TraceEngineOptions = {},
): Promise<EngineContact[] | null> {
  const opts: Required<TraceEngineOptions> = {
    chunk: Math.max(1, options.chunk ?? 50),
    windowsPerCall: Math.max(1, options.windowsPerCall ?? 8),
    progress: options.progress ?? (() => Promise.resolve(true)),
    yieldTurn: options.yieldTurn ?? nextTurn,
    maxHop2Sources: options.maxHop2Sources ?? Number.POSITIVE_INFINITY,
    onHop2Skipped: options.onHop2Skipped ?? (() => undefined),
  };
  const index = [...new Set(params.indexKeys)];
  const excluded = new Set(index);
  // Hop 1 is half the work of a 2-hop trace as progress goes (hop 2 is usually the longer half).
  const share = params.hops === 2 ? 0.5 : 1;
  const hop1 = new Map<bigint, Found>();
  if (!(await hop(store, params, index, excluded, 1, hop1, opts, (f) => opts.progress(f * share))))
    return null;
  const contacts: EngineContact[] = [];
  await finishAll(hop1, contacts, opts);
  if (params.hops === 2 && hop1.size > opts.maxHop2Sources) {
    opts.onHop2Skipped(opts.maxHop2Sources);
    if (!(await opts.progress(1))) return null;
  } else if (params.hops === 2) {
    const hop1Keys = [...hop1.keys()];
    for (const k of hop1Keys) excluded.add(k);
    const hop2 = new Map<bigint, Found>();
    const ok = await hop(store, params, hop1Keys, excluded, 2, hop2, opts, (f) =>
      opts.progress(share + f * (1 - share)),
    );
    if (!ok) return null;
    await finishAll(hop2, contacts, opts);
  }
  return contacts;
}
