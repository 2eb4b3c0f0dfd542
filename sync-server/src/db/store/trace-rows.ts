/**
 * How both engines store a trace's parameters and its contacts' evidence (JSON: subject keys as
 * decimal strings, since JSON numbers cannot hold 64-bit keys), and the checks every store makes
 * of what it is given.
 */
import type {
  TraceContact,
  TraceContactQuery,
  TraceEvidence,
  TraceParams,
  TraceStatus,
  TraceSummary,
  TraceWindow,
} from './traces-store.js';

/** A day, ms. */
export const DAY_MS = 86_400_000;

/** Subject retention (`--scan-subject-retain-days`) when none is given. */
export const DEFAULT_SCAN_SUBJECT_RETAIN_DAYS = 30;

/** The audit action of a retention run that erased subjects. */
export const SUBJECTS_ERASED_ACTION = 'scans.subjects_erased';

/** Who a retention run's audit record names. */
export const RETENTION_ACTOR = 'server';

/** Scans whose subject one retention statement erases at most (a short transaction each). */
export const ERASE_BATCH = 5_000;

/** Contacts one insert statement stores at most (PostgreSQL: one unnest per batch). */
export const CONTACT_BATCH = 2_000;

interface StoredParams {
  readonly indexKeys: string[];
  readonly from: number;
  readonly to: number;
  readonly windowMinutes: number;
  readonly hops: 1 | 2;
}

interface StoredEvidence {
  readonly checkpointId: string;
  readonly kioskId: string;
  readonly at: number;
  readonly indexKey: string;
  readonly indexAt: number;
  readonly vehicleId: string | null;
}

export function encodeParams(p: TraceParams): string {
  const stored: StoredParams = {
    indexKeys: p.indexKeys.map(String),
    from: p.from,
    to: p.to,
    windowMinutes: p.windowMinutes,
    hops: p.hops,
  };
  return JSON.stringify(stored);
}

/** Parses stored parameters (`raw`: the JSON text, or PostgreSQL's parsed jsonb). */
export function decodeParams(raw: unknown): TraceParams {
  const p = (typeof raw === 'string' ? JSON.parse(raw) : raw) as StoredParams;
  return {
    indexKeys: p.indexKeys.map((k) => BigInt(k)),
    from: p.from,
    to: p.to,
    windowMinutes: p.windowMinutes,
    hops: p.hops,
  };
}

export function encodeEvidence(evidence: readonly TraceEvidence[]): string {
  return JSON.stringify(
    evidence.map((e): StoredEvidence => ({
      checkpointId: e.checkpointId,
      kioskId: e.kioskId,
      at: e.at,
      indexKey: String(e.indexKey),
      indexAt: e.indexAt,
      vehicleId: e.vehicleId,
    })),
  );
}

export function decodeEvidence(raw: unknown): TraceEvidence[] {
  const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as StoredEvidence[];
  return list.map((e) => ({
    checkpointId: e.checkpointId,
    kioskId: e.kioskId,
    at: e.at,
    indexKey: BigInt(e.indexKey),
    indexAt: e.indexAt,
    vehicleId: e.vehicleId,
  }));
}

/** The earliest evidence time of a contact (0 when it has none): the paging order after hop. */
export function firstAt(c: TraceContact): number {
  let first = Number.POSITIVE_INFINITY;
  for (const e of c.evidence) if (e.at < first) first = e.at;
  return first === Number.POSITIVE_INFINITY ? 0 : first;
}

/** The checks a trace's parameters pass before they are stored. */
export function checkParams(p: TraceParams): void {
  if (!Number.isSafeInteger(p.from) || !Number.isSafeInteger(p.to) || p.from > p.to)
    throw new RangeError(`a trace's period must be epoch ms with from ≤ to, not ${p.from}…${p.to}`);
  if (!Number.isFinite(p.windowMinutes) || p.windowMinutes < 0)
    throw new RangeError(`a trace's window must be 0 or more minutes, not ${p.windowMinutes}`);
  const hops: number = p.hops;
  if (hops !== 1 && hops !== 2) throw new RangeError(`a trace has 1 or 2 hops, not ${hops}`);
}

/** Progress kept within 0 … 1; not a number is refused. */
export function checkedProgress(progress: number): number {
  if (!Number.isFinite(progress))
    throw new RangeError(`progress must be a number from 0 to 1, not ${progress}`);
  return Math.min(1, Math.max(0, progress));
}

/** The checks of a contacts page's offset and limit. */
export function checkPage(q: TraceContactQuery): void {
  if (!Number.isSafeInteger(q.offset) || q.offset < 0)
    throw new RangeError(`offset must be a whole number, 0 or more, not ${q.offset}`);
  if (!Number.isSafeInteger(q.limit) || q.limit < 0)
    throw new RangeError(`limit must be a whole number, 0 or more, not ${q.limit}`);
}

/** Refuses a subject retention that is not a positive number of days. */
export function checkRetainDays(days: number): number {
  if (!Number.isFinite(days) || days <= 0)
    throw new RangeError(`subject retention must be over 0 days, not ${days}`);
  return days;
}

/** The retention cutoff (epoch ms) `days` before `now`. */
export function retentionCutoff(now: number, days: number): number {
  return now - Math.round(checkRetainDays(days) * DAY_MS);
}

/**
 * Windows merged per checkpoint (overlapping or touching ranges become one), ordered by
 * checkpoint then start: each scan falls in at most one, and each is one index range read.
 */
export function mergeWindows(windows: readonly TraceWindow[]): TraceWindow[] {
  for (const w of windows) {
    if (!Number.isSafeInteger(w.from) || !Number.isSafeInteger(w.to))
      throw new RangeError(`a window's range must be epoch ms, not ${w.from}…${w.to}`);
  }
  const sorted = windows
    .filter((w) => w.from <= w.to)
    .slice()
    .sort((a, b) =>
      a.checkpointId < b.checkpointId ? -1 : a.checkpointId > b.checkpointId ? 1 : a.from - b.from,
    );
  const out: { checkpointId: string; from: number; to: number }[] = [];
  for (const w of sorted) {
    const last = out.at(-1);
    if (last !== undefined && last.checkpointId === w.checkpointId && w.from <= last.to + 1) {
      if (w.to > last.to) last.to = w.to;
    } else out.push({ checkpointId: w.checkpointId, from: w.from, to: w.to });
  }
  return out;
}

/**
 * Contacts in ascending subject key order: the order of a trace's contacts' primary key
 * (trace_id, subject_key), so storing them appends to its B-tree instead of splitting pages all
 * over it (SQLite stores 360,000 contacts about a third faster so).
 */
export function bySubjectKey<T extends { readonly subjectKey: bigint }>(contacts: readonly T[]): T[] {
  return [...contacts].sort((a, b) =>
    a.subjectKey < b.subjectKey ? -1 : a.subjectKey > b.subjectKey ? 1 : 0,
  );
}

/** Distinct keys, ascending (signed 64-bit order, as both engines sort `subject_key`). */
export function sortedKeys(keys: readonly bigint[]): bigint[] {
  return [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Retention of scan subjects (both engines' `maintain`): erases the subjects of scans older than
 * `days` before `now` and audits the run when it erased any.
 */
export async function eraseOldSubjects(
  traceScans: { eraseSubjectsBefore(before: number): Promise<number> },
  audit: {
    record(
      at: number,
      actor: string,
      action: string,
      target: string | null,
      details?: unknown,
    ): Promise<void>;
  },
  now: number,
  days: number,
): Promise<number> {
  const before = retentionCutoff(now, days);
  const count = await traceScans.eraseSubjectsBefore(before);
  if (count > 0) await audit.record(now, RETENTION_ACTOR, SUBJECTS_ERASED_ACTION, null, { count, before });
  return count;
}

/** A `traces` row as both engines read it (`params`: JSON text on SQLite, jsonb on PostgreSQL). */
export interface TraceRow {
  id: string;
  status: TraceStatus;
  created_at: number;
  created_by: string;
  params: unknown;
  progress: number;
  updated_at: number;
  finished_at: number | null;
  error: string | null;
  contact_count: number | null;
  hop2_skipped: number | null;
}

/** A trace's header from its row. */
export function toSummary(r: TraceRow): TraceSummary {
  return {
    id: r.id,
    status: r.status,
    createdAt: r.created_at,
    createdBy: r.created_by,
    params: decodeParams(r.params),
    progress: r.progress,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    error: r.error,
    contactCount: r.contact_count,
    hop2Skipped: r.hop2_skipped,
  };
}
