import { createHmac } from 'node:crypto';
import {
  healthBlocks,
  subjectKeyFromDigest,
  type AckView,
  type AcknowledgementRecord,
  type AlertKind,
  type AlertRecord,
  type Arrival,
  type HealthEntry,
  type LaneRecord,
  type OverrideRecord,
  type OverrideView,
  type GateAlertDetails,
  type ReplayDetails,
  type ScanRecord,
  type ScanView,
} from '@checkpoint-lane/shared';
import type pg from 'pg';
import { subjectKeyFromHex } from '../../../lists/subject-key.js';
import {
  checkLaneRecord,
  issuesRaiseAlert,
  releasesHealthRed,
  type HeldScan,
  type RosterOfficer,
} from '../../../overrides/check-lane-record.js';
import type { LaneRef } from '../../repositories/lane-transactions.js';
import {
  maskStoredSubject,
  type AlertQuery,
  type AlertSubjectRecord,
} from '../../repositories/scans/alerts-repository.js';
import { gateAlertView, isGateAlertKind } from '../../repositories/gate-alerts.js';
import { laneOutcome } from '../../repositories/scans/lane-record-views.js';
import type { ArrivalsFilter } from '../../repositories/scans/arrivals-read.js';
import { pgReadArrivals } from './pg-arrivals.js';
import type { HealthRelease } from '../../repositories/scans/lane-record-judging.js';
import type { ScanExportRow } from '../../repositories/scans/scan-export.js';
import type { ScanFilter, ScanQuery } from '../../repositories/scans/scan-filter.js';
import { findReplays, PASS_SPAN_MS, type LocatedPassage } from '../../repositories/scans/replay-check.js';
import {
  passIdOf,
  vehicleIdOf,
  type IngestResult,
  type SealedSubjectKeying,
} from '../../repositories/scans/scan-ingest.js';
import { HOUR_MS, type HourlyCount } from '../../repositories/scans/scan-rollups.js';
import type { ScansStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';
import { hasNul } from './pg-kiosks.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `s` can match a uuid column: SQLite compares text, so only the canonical lower-case form matches. */
const isUuid = (s: string): boolean => UUID.test(s);

/**
 * Text as PostgreSQL can store it: a NUL character (which a text column cannot hold, and which
 * would fail the whole upload) becomes U+FFFD.
 */
const pgText = (s: string): string => (hasNul(s) ? s.replaceAll('\0', '\uFFFD') : s);
const pgTextOrNull = (s: string | null): string | null => (s === null ? null : pgText(s));

/** A subject key column as SQLite's printf('%016x', …) shows it. */
const keyHex = (col: string): string =>
  `CASE WHEN ${col} IS NULL THEN NULL ELSE lpad(to_hex(${col}), 16, '0') END`;

/**
 * The WHERE clause of the scan filters with only the conditions given (scans `s` joined to their
 * lane `k`), numbered from `$first`. A value no row can hold in PostgreSQL (a NUL character, a
 * record id that is not a canonical UUID) matches nothing, as in SQLite.
 */
export function pgScanWhere(
  f: ScanFilter,
  before: number | undefined,
  first = 1,
): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (col: string, value: string | number | bigint | undefined, cast = ''): void => {
    if (value === undefined) return;
    if (typeof value === 'string' && hasNul(value)) {
      clauses.push('false');
      return;
    }
    params.push(typeof value === 'bigint' ? String(value) : value);
    clauses.push(`${col} $${first + params.length - 1}${cast}`);
  };
  add('s.subject_key =', f.subjectKey, '::bigint');
  add('s.checkpoint_id =', f.checkpointId);
  add('k.id =', f.kioskId);
  add('s.at >=', f.from);
  add('s.at <', f.to);
  add('s.decision =', f.decision);
  if (f.scanId !== undefined && !isUuid(f.scanId)) clauses.push('false');
  else add('s.id =', f.scanId, '::uuid');
  // A vehicle's scans: the plate scan names itself; `s.id` keeps it in even where it does not
  // (as tracing reads a vehicle). Both sides are indexed (scans_vehicle, scans_id).
  if (f.vehicleId !== undefined) {
    if (isUuid(f.vehicleId)) {
      params.push(f.vehicleId);
      const n = first + params.length - 1;
      clauses.push(`(s.vehicle_id = $${n}::uuid OR s.id = $${n}::uuid)`);
    } else clauses.push('false');
  }
  add('s.no <', before);
  return { sql: clauses.length === 0 ? 'true' : clauses.join(' AND '), params };
}

interface RecordRow {
  id: string;
  seq: number;
  at: number;
  kiosk_id: string;
  kiosk_name: string;
  verified: boolean | null;
  issues: string[] | null;
  decision: string;
  note: string;
  scan_id: string;
}

type OverrideRow = RecordRow & {
  original_decision: string;
  officer_id: string;
  officer_name: string | null;
  supervisor_id: string | null;
  supervisor_name: string | null;
  reason: string;
};

const recordFields = (r: RecordRow) => ({
  id: r.id,
  seq: r.seq,
  at: r.at,
  kioskId: r.kiosk_id,
  kioskName: r.kiosk_name,
  verified: r.verified,
  issues: r.issues ?? [],
  decision: r.decision,
  note: r.note,
});

/**
 * Every override and acknowledgement naming each of `scanIds`, in arrival order, with the
 * sending lane: `laneRecordsOf` for many scans in two queries.
 */
async function laneRecordsFor(
  q: Queryable,
  scanIds: readonly string[],
): Promise<Map<string, { overrides: OverrideView[]; acks: AckView[] }>> {
  const out = new Map<string, { overrides: OverrideView[]; acks: AckView[] }>();
  const ids = [...new Set(scanIds)];
  for (const id of ids) out.set(id, { overrides: [], acks: [] });
  if (ids.length === 0) return out;
  // One after the other: on a transaction's client statements cannot overlap.
  const overrides = await q.query<OverrideRow>(
    `SELECT o.id, o.seq, o.at, k.id AS kiosk_id, k.name AS kiosk_name, o.verified, o.issues, o.original_decision,
         o.decision, o.officer_id, so.name AS officer_name, o.supervisor_id, ss.name AS supervisor_name,
         o.reason, o.note, o.scan_id
       FROM overrides o JOIN kiosks k ON k.no = o.kiosk_no
         LEFT JOIN officers so ON so.id = o.officer_id LEFT JOIN officers ss ON ss.id = o.supervisor_id
       WHERE o.scan_id = ANY($1::uuid[]) ORDER BY o.at, o.no`,
    [ids],
  );
  const acks = await q.query<RecordRow>(
    `SELECT a.id, a.seq, a.at, k.id AS kiosk_id, k.name AS kiosk_name, a.verified, a.issues, a.decision, a.note,
         a.scan_id
       FROM acks a JOIN kiosks k ON k.no = a.kiosk_no WHERE a.scan_id = ANY($1::uuid[]) ORDER BY a.at, a.no`,
    [ids],
  );
  for (const o of overrides.rows)
    out.get(o.scan_id)?.overrides.push({
      type: 'override',
      ...recordFields(o),
      originalDecision: o.original_decision,
      officerId: o.officer_id,
      officerName: o.officer_name,
      supervisorId: o.supervisor_id,
      supervisorName: o.supervisor_name,
      reason: o.reason,
    });
  for (const a of acks.rows) out.get(a.scan_id)?.acks.push({ type: 'ack', ...recordFields(a) });
  return out;
}

const ALERT_COLUMNS = `a.id, a.kind, a.at, a.received_at, a.kiosk_id, k.name AS kiosk_name, a.checkpoint_id,
  a.scan_id, a.record_id, a.issues, a.details, ${keyHex('a.subject_key')} AS key_hex, h.status,
  coalesce(h.subject, w.subject) AS subject, a.raised_by, a.acked_at, a.acked_by, a.cleared_at`;
const ALERT_FROM = `FROM alerts a JOIN kiosks k ON k.id = a.kiosk_id
  LEFT JOIN health_entries h ON h.subject_key = a.subject_key
  LEFT JOIN whitelist_entries w ON w.subject_key = a.subject_key`;

interface AlertRow {
  id: number;
  kind: AlertKind;
  at: number;
  received_at: number;
  kiosk_id: string;
  kiosk_name: string;
  checkpoint_id: string;
  scan_id: string | null;
  record_id: string | null;
  issues: string[] | null;
  details: ReplayDetails | GateAlertDetails | null;
  key_hex: string | null;
  status: string | null;
  subject: string | null;
  raised_by: 'lane' | 'server';
  acked_at: number | null;
  acked_by: string | null;
  cleared_at: number | null;
}

/** Alert rows as records: their scans and lane records read in three queries for the lot. */
async function toAlerts(q: Queryable, rows: readonly AlertRow[]): Promise<AlertRecord[]> {
  if (rows.length === 0) return [];
  const scanIds = [...new Set(rows.flatMap((r) => (r.scan_id === null ? [] : [r.scan_id])))];
  const scans = await q.query<{ id: string; kiosk_id: string; decision: string; warnings: string[] }>(
    `SELECT s.id, k.id AS kiosk_id, s.decision, s.warnings FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
       WHERE s.id = ANY($1::uuid[])`,
    [scanIds],
  );
  const records = await laneRecordsFor(q, scanIds);
  const scanOf = new Map(scans.rows.map((s) => [s.id, s]));
  return rows.map((r): AlertRecord => {
    const base = {
      id: r.id,
      kind: r.kind,
      at: r.at,
      receivedAt: r.received_at,
      kioskId: r.kiosk_id,
      kioskName: r.kiosk_name,
      checkpointId: r.checkpoint_id,
      scanId: r.scan_id,
      subjectKey: r.key_hex,
      status: r.status,
      raisedBy: r.raised_by,
      ackedAt: r.acked_at,
      ackedBy: r.acked_by,
      subjectMasked: maskStoredSubject(r.subject),
      issues: r.issues ?? [],
    };
    if (isGateAlertKind(r.kind) || r.scan_id === null) {
      const kind = isGateAlertKind(r.kind) ? r.kind : 'gate_fault';
      const details = (r.details ?? {}) as GateAlertDetails;
      return { ...base, record: null, ...gateAlertView(kind, details, r.cleared_at) };
    }
    const scan = scanOf.get(r.scan_id);
    const { overrides, acks } = records.get(r.scan_id) ?? { overrides: [], acks: [] };
    const record =
      r.record_id === null
        ? null
        : (overrides.find((o) => o.id === r.record_id) ?? acks.find((a) => a.id === r.record_id) ?? null);
    return {
      ...base,
      record,
      ...(r.kind === 'replay' && r.details !== null && { replay: r.details as ReplayDetails }),
      outcome: scan
        ? laneOutcome(
            { kioskId: scan.kiosk_id, decision: scan.decision, warnings: scan.warnings },
            overrides,
            acks,
          )
        : { state: 'pending', decision: 'amber', at: null, override: null, ack: null },
    };
  });
}

/** Alerts by id, in the order asked (unknown ids left out). */
async function alertsById(q: Queryable, ids: readonly number[]): Promise<AlertRecord[]> {
  if (ids.length === 0) return [];
  const r = await q.query<AlertRow>(`SELECT ${ALERT_COLUMNS} ${ALERT_FROM} WHERE a.id = ANY($1::bigint[])`, [
    ids,
  ]);
  const byId = new Map((await toAlerts(q, r.rows)).map((a) => [a.id, a]));
  return ids.map((id) => byId.get(id)).filter((a): a is AlertRecord => a !== undefined);
}

/** Whether `id` can be an alert id (a bigint): anything else is no alert, as in SQLite. */
const alertIdOk = (id: number): boolean => Number.isSafeInteger(id);

/** Acknowledges an alert once on `q` (see `AlertsRepository.ack`). */
async function ackAlert(
  q: Queryable,
  id: number,
  at: number,
  by: string,
): Promise<{ alert: AlertRecord; acked: boolean } | null> {
  if (!alertIdOk(id)) return null;
  const u = await q.query(
    'UPDATE alerts SET acked_at = $1, acked_by = $2 WHERE id = $3 AND acked_at IS NULL',
    [at, pgText(by), id],
  );
  const [alert] = await alertsById(q, [id]);
  return alert ? { alert, acked: (u.rowCount ?? 0) > 0 } : null;
}

/** Polls until none of the transactions `vxids` holds a lock on `scans` any more. */
async function waitForWriters(q: Queryable, vxids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = vxids;
  let delay = 1;
  while (pending.length > 0) {
    const r = await q.query<{ vx: string }>(
      `SELECT DISTINCT virtualtransaction AS vx FROM pg_locks
       WHERE locktype = 'relation' AND relation = 'scans'::regclass
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND virtualtransaction = ANY($1::text[])`,
      [pending],
    );
    pending = r.rows.map((x) => x.vx);
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`scan uploads still in flight after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 20);
  }
}

/** A scan of an upload with its stored subject key. */
interface KeyedScan {
  readonly r: ScanRecord;
  readonly key: bigint | null;
  readonly unopened: boolean;
}

interface PendingRow {
  type: 'override' | 'ack';
  seq: number;
  id: string;
  scan_id: string;
  at: number;
  received_at: number;
  original_decision: string | null;
  decision: string;
  officer_id: string | null;
  supervisor_id: string | null;
  reason: string | null;
  note: string;
}

/**
 * The transaction-level advisory lock key of a pass id (a 64-bit hash; the seed keeps it apart
 * from other advisory keys' hashes). {@link raiseReplays} takes it.
 */
export const PASS_LOCK_SEED = 16;

/**
 * Replay alerts of an upload's new pass scans (see `ScanIngest.raiseReplays`): every located
 * passage of their passes in one indexed query (`scans_pass_at`), then one insert of the pairs.
 *
 * First it takes the advisory lock of each distinct pass id of the batch (in key order, one
 * statement; held to the end of the transaction). Two servers storing the two passages of a pair
 * at once then check one after the other: the second's query (read committed, a new snapshot
 * once the first has committed and let go) sees the first's scan.
 */
async function raiseReplays(c: Queryable, scans: readonly ScanRecord[], now: number): Promise<number[]> {
  const fresh = new Set<string>();
  const passIds = new Set<string>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of scans) {
    const passId = passIdOf(r);
    if (passId === null) continue;
    fresh.add(r.id);
    passIds.add(passId);
    lo = Math.min(lo, r.at);
    hi = Math.max(hi, r.at);
  }
  await c.query(
    `SELECT pg_advisory_xact_lock(l.k) FROM (SELECT DISTINCT hashtextextended(u.p, $2) AS k
       FROM unnest($1::text[]) AS u (p) ORDER BY k) AS l`,
    [[...passIds], PASS_LOCK_SEED],
  );
  const rows = await c.query<LocatedPassage>(
    `SELECT s.id AS "scanId", s.pass_id AS "passId", s.at, s.checkpoint_id AS "checkpointId",
       c.name AS "checkpointName", k.id AS "kioskId", k.name AS "kioskName", c.lat, c.lon
     FROM scans s JOIN checkpoints c ON c.id = s.checkpoint_id JOIN kiosks k ON k.no = s.kiosk_no
     WHERE s.pass_id = ANY($1::text[]) AND s.at BETWEEN $2 AND $3 AND c.lat IS NOT NULL`,
    [[...passIds], lo - PASS_SPAN_MS, hi + PASS_SPAN_MS],
  );
  const pairs = findReplays(fresh, rows.rows);
  if (pairs.length === 0) return [];
  const a = await c.query<{ id: number }>(
    `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, related_scan_id, raised_by, details)
     SELECT 'replay', a, $1, k, cp, sc, rel, 'server', d
     FROM unnest($2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::jsonb[])
       WITH ORDINALITY AS u (a, k, cp, sc, rel, d, n)
     ORDER BY n
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      now,
      pairs.map((p) => p.later.at),
      pairs.map((p) => p.later.kioskId),
      pairs.map((p) => p.later.checkpointId),
      pairs.map((p) => p.later.scanId),
      pairs.map((p) => p.earlier.scanId),
      pairs.map((p) => JSON.stringify(p)),
    ],
  );
  return a.rows.map((x) => x.id);
}

/** How long `lastNo` waits for uploads in flight before it fails, ms. */
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * Scans, overrides and alerts on PostgreSQL (the `ScansRepository` of SQLite), and the lane
 * upload (`upload`, SQLite's `LaneTransactions.upload`): ingest through the `lane_records` ledger
 * in one transaction per upload.
 *
 * Arrival numbers come from a sequence, so across servers they commit out of order. `lastNo`
 * therefore answers a settled number: it waits until every upload that may have taken a number
 * up to the sequence's current value has committed or rolled back, so an export reading below it
 * reads a set no later commit changes; a search's first page is bounded the same way, so pages
 * after it (below its lowest number) are settled too.
 */
export class PgScansStore implements ScansStore {
  private unopened = 0;

  /**
   * `sealed`: how uploads' sealed subjects are opened and keyed. Without it a sealed subject is
   * stored with no subject key (counted in `unopenedSeals`).
   */
  constructor(
    private readonly pool: PgPool,
    private readonly sealed: SealedSubjectKeying | null = null,
  ) {}

  /** See `ScanIngest.subjectKeyOf`: the same keying. */
  private subjectKeyOf(r: ScanRecord): { key: bigint | null; unopened: boolean } {
    if (r.subjectSealed === null || r.subjectSealed === '')
      return { key: r.subjectKey === null ? null : subjectKeyFromHex(r.subjectKey), unopened: false };
    const canonical = this.sealed === null ? null : this.sealed.sealKeys.open(r.subjectSealed);
    if (this.sealed === null || canonical === null) return { key: null, unopened: true };
    const digest = createHmac('sha256', this.sealed.indexKey).update(canonical, 'utf8').digest();
    return { key: subjectKeyFromDigest(digest), unopened: false };
  }

  /**
   * Stores a lane's upload and audits its health releases (`override.health_release`), in one
   * transaction: what SQLite's `LaneTransactions.upload` (`ScanIngest.ingest` + audit) does,
   * with the same answer for the same input. The lane's row is locked first (`FOR UPDATE`), so
   * one lane's uploads take turns across servers and each computes acked-through over what the
   * one before stored; the batch goes into the ledger in one statement (`ON CONFLICT DO
   * NOTHING RETURNING`) and only the records that went in are stored.
   */
  async upload(
    lane: LaneRef,
    records: readonly LaneRecord[],
    now: number,
    blockingStatuses: readonly string[],
  ): Promise<IngestResult> {
    // Seals are opened before the transaction: CPU work that holds no lock.
    const keyed = new Map<string, KeyedScan>();
    for (const r of records) {
      if (r.type === 'scan' && !keyed.has(r.id)) keyed.set(r.id, { r, ...this.subjectKeyOf(r) });
    }
    const result = await withPgTransaction(this.pool, (c) =>
      this.ingest(c, lane, records, keyed, now, blockingStatuses),
    );
    this.unopened += result.unopenedSeals;
    return result;
  }

  private async ingest(
    c: pg.PoolClient,
    lane: LaneRef,
    records: readonly LaneRecord[],
    keyed: ReadonlyMap<string, KeyedScan>,
    now: number,
    blockingStatuses: readonly string[],
  ): Promise<IngestResult> {
    const { id: kioskId, checkpointId } = lane;
    const kiosk = hasNul(kioskId)
      ? undefined
      : (
          await c.query<{ no: number; acked_through: number }>(
            'SELECT no, acked_through FROM kiosks WHERE id = $1 FOR UPDATE',
            [kioskId],
          )
        ).rows[0];
    if (!kiosk) throw new Error(`no kiosk ${kioskId}`);
    const kno = kiosk.no;

    // The ledger: what went in is new; a seq or an id already held is skipped.
    let fresh: readonly LaneRecord[] = [];
    if (records.length > 0) {
      const went = await c.query<{ seq: number; id: string }>(
        `INSERT INTO lane_records (kiosk_no, seq, id, kind, at, received_at)
         SELECT $1, s, i, t, a, $2 FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::bigint[]) AS u (s, i, t, a)
         ON CONFLICT DO NOTHING RETURNING seq, id`,
        [
          kno,
          now,
          records.map((r) => r.seq),
          records.map((r) => r.id),
          records.map((r) => r.type),
          records.map((r) => r.at),
        ],
      );
      const wentIn = new Set(went.rows.map((x) => `${x.seq}/${x.id}`));
      // One record per (seq, id) that went in, the first of the batch (as SQLite's loop takes it).
      fresh = records.filter((r) => wentIn.delete(`${r.seq}/${r.id}`));
    }
    const scans = fresh.filter((r): r is ScanRecord => r.type === 'scan');
    const overrides = fresh.filter((r): r is OverrideRecord => r.type === 'override');
    const acks = fresh.filter((r): r is AcknowledgementRecord => r.type === 'ack');
    const keyOf = (r: ScanRecord): KeyedScan => keyed.get(r.id) ?? { r, ...this.subjectKeyOf(r) };

    const alertIds: number[] = [];
    let unopenedSeals = 0;
    if (scans.length > 0) {
      const k = scans.map(keyOf);
      unopenedSeals = k.filter((x) => x.unopened).length;
      // The scans, and in the same statement the server's own health entries of their subjects
      // (`healthAlertCheck`) when this checkpoint blocks any status: one round trip.
      const checkHealth = blockingStatuses.length > 0 && k.some((x) => x.key !== null);
      const insert = `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
           subject_sealed, decision, reasons, warnings, alert, vehicle_id, pass_id)
         SELECT $1, s, i, $2, a, $3, src, f, key, sealed, d, r, w, al, v, p
         FROM unnest($4::bigint[], $5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::text[],
           $11::text[], $12::jsonb[], $13::jsonb[], $14::boolean[], $15::uuid[], $16::text[])
           AS u (s, i, a, src, f, key, sealed, d, r, w, al, v, p)`;
      const h = await c.query<{
        key: string;
        status: HealthEntry['status'];
        since: number | null;
        until: number | null;
      }>(
        checkHealth
          ? `WITH ins AS (${insert} RETURNING subject_key)
             SELECT h.subject_key::text AS key, h.status, h.since, h.until FROM health_entries h
             WHERE h.subject_key IN (SELECT subject_key FROM ins WHERE subject_key IS NOT NULL)`
          : insert,
        [
          kno,
          checkpointId,
          now,
          scans.map((r) => r.seq),
          scans.map((r) => r.id),
          scans.map((r) => r.at),
          scans.map((r) => pgText(r.source)),
          scans.map((r) => pgTextOrNull(r.format)),
          k.map((x) => (x.key === null ? null : String(x.key))),
          scans.map((r) => (r.subjectSealed === '' ? null : pgTextOrNull(r.subjectSealed))),
          scans.map((r) => pgText(r.decision)),
          scans.map((r) => JSON.stringify(r.reasons.map(pgText))),
          scans.map((r) => JSON.stringify(r.warnings.map(pgText))),
          scans.map((r) => r.alert),
          scans.map(vehicleIdOf),
          scans.map(passIdOf),
        ],
      );
      const entries = new Map<string, HealthEntry>();
      if (checkHealth) for (const e of h.rows) entries.set(e.key, e);
      const blocks = (key: bigint | null, at: number): boolean =>
        key !== null &&
        blockingStatuses.length > 0 &&
        healthBlocks(entries.get(String(key)) ?? null, blockingStatuses, at);
      const raise = k.filter((x) => x.r.alert || blocks(x.key, x.r.at));
      if (raise.length > 0) {
        const a = await c.query<{ id: number; scan_id: string }>(
          `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key, raised_by)
           SELECT 'health', a, $1, $2, $3, i, NULL, key, by
           FROM unnest($4::bigint[], $5::uuid[], $6::bigint[], $7::text[]) WITH ORDINALITY AS u (a, i, key, by, n)
           ORDER BY n
           ON CONFLICT DO NOTHING RETURNING id, scan_id`,
          [
            now,
            kioskId,
            checkpointId,
            raise.map((x) => x.r.at),
            raise.map((x) => x.r.id),
            raise.map((x) => (x.key === null ? null : String(x.key))),
            raise.map((x) => (x.r.alert ? 'lane' : 'server')),
          ],
        );
        const idOf = new Map(a.rows.map((x) => [x.scan_id, x.id]));
        for (const x of raise) {
          const id = idOf.get(x.r.id);
          if (id !== undefined) alertIds.push(id);
        }
      }
      if (scans.some((r) => passIdOf(r) !== null)) alertIds.push(...(await raiseReplays(c, scans, now)));
    }
    if (overrides.length > 0) {
      await c.query(
        `INSERT INTO overrides (kiosk_no, seq, id, scan_id, at, received_at, original_decision, decision, officer_id,
           supervisor_id, reason, note)
         SELECT $1, s, i, sc, a, $2, od, d, o, sv, r, n
         FROM unnest($3::bigint[], $4::uuid[], $5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::text[],
           $10::text[], $11::text[], $12::text[]) WITH ORDINALITY AS u (s, i, sc, a, od, d, o, sv, r, n, ord)
         ORDER BY ord
         ON CONFLICT DO NOTHING`,
        [
          kno,
          now,
          overrides.map((r) => r.seq),
          overrides.map((r) => r.id),
          overrides.map((r) => r.scanId),
          overrides.map((r) => r.at),
          overrides.map((r) => pgText(r.originalDecision)),
          overrides.map((r) => pgText(r.decision)),
          overrides.map((r) => pgText(r.officerId)),
          overrides.map((r) => pgTextOrNull(r.supervisorId)),
          overrides.map((r) => pgText(r.reason)),
          overrides.map((r) => pgText(r.note)),
        ],
      );
    }
    if (acks.length > 0) {
      await c.query(
        `INSERT INTO acks (kiosk_no, seq, id, scan_id, at, received_at, decision, note)
         SELECT $1, s, i, sc, a, $2, d, n
         FROM unnest($3::bigint[], $4::uuid[], $5::uuid[], $6::bigint[], $7::text[], $8::text[])
           WITH ORDINALITY AS u (s, i, sc, a, d, n, ord)
         ORDER BY ord
         ON CONFLICT DO NOTHING`,
        [
          kno,
          now,
          acks.map((r) => r.seq),
          acks.map((r) => r.id),
          acks.map((r) => r.scanId),
          acks.map((r) => r.at),
          acks.map((r) => pgText(r.decision)),
          acks.map((r) => pgText(r.note)),
        ],
      );
    }

    // Acked-through: the contiguous run of held seqs above the stored one. A seq is held when the
    // lane's ledger has it, or when this batch's record at that seq has an id held by anyone (a
    // lane re-enrolled in its old data folder resends what its old identity delivered).
    const start = kiosk.acked_through;
    // Records that went in are in the lane's ledger already: only the others need the id probe.
    const freshSet = new Set(fresh);
    const idOfSeq = new Map(records.map((r) => [r.seq, r]));
    for (const [seq, r] of idOfSeq) if (freshSet.has(r) || seq <= start) idOfSeq.delete(seq);
    const run = await c.query<{ n: number }>(
      `WITH held AS (
         SELECT seq FROM lane_records WHERE kiosk_no = $1 AND seq > $2
         UNION
         SELECT u.s FROM unnest($3::bigint[], $4::uuid[]) AS u (s, i)
         WHERE u.s > $2 AND EXISTS (SELECT 1 FROM lane_records r WHERE r.id = u.i)),
       run AS (SELECT count(*) AS n FROM (SELECT seq - row_number() OVER (ORDER BY seq) AS d FROM held) x WHERE d = $2),
       stored AS (UPDATE kiosks SET acked_through = $2 + run.n FROM run WHERE no = $1 AND run.n > 0 RETURNING no)
       SELECT n FROM run`,
      [kno, start, [...idOfSeq.keys()], [...idOfSeq.values()].map((r) => r.id)],
    );
    const acked = start + (run.rows[0]?.n ?? 0);

    const judged = await this.judgePending(c, { kno, kioskId, checkpointId, acked, now });
    alertIds.push(...judged.alertIds);
    const newAlerts = new Set(alertIds);
    let updatedIds: number[] = [];
    if (judged.scanIds.length > 0) {
      const h = await c.query<{ id: number; scan_id: string }>(
        `SELECT id, scan_id FROM alerts WHERE scan_id = ANY($1::uuid[]) AND kind = 'health'`,
        [[...new Set(judged.scanIds)]],
      );
      const byScan = new Map(h.rows.map((x) => [x.scan_id, x.id]));
      updatedIds = [...new Set(judged.scanIds)]
        .map((id) => byScan.get(id))
        .filter((id): id is number => id !== undefined && !newAlerts.has(id));
    }

    // The hourly roll-up last, in a fixed row order: lanes of one checkpoint bump the same rows,
    // so each holds them for the shortest time and none waits on another in a cycle.
    if (scans.length > 0) {
      const slots = new Map<string, { hour: number; decision: string; count: number }>();
      for (const r of scans) {
        const hour = r.at - (r.at % HOUR_MS);
        const slot = `${hour}/${r.decision}`;
        const s = slots.get(slot);
        if (s) s.count++;
        else slots.set(slot, { hour, decision: pgText(r.decision), count: 1 });
      }
      const rows = [...slots.values()].sort((a, b) =>
        a.hour !== b.hour ? a.hour - b.hour : a.decision < b.decision ? -1 : a.decision > b.decision ? 1 : 0,
      );
      await c.query(
        `INSERT INTO scan_hourly (checkpoint_id, hour, decision, count)
         SELECT $1, h, d, n FROM unnest($2::bigint[], $3::text[], $4::bigint[]) WITH ORDINALITY AS u (h, d, n, ord)
         ORDER BY ord
         ON CONFLICT (hour, checkpoint_id, decision) DO UPDATE SET count = scan_hourly.count + excluded.count`,
        [checkpointId, rows.map((r) => r.hour), rows.map((r) => r.decision), rows.map((r) => r.count)],
      );
    }

    for (const h of judged.healthReleases) {
      await insertAudit(c, {
        at: now,
        actor: `kiosk:${kioskId}`,
        action: 'override.health_release',
        target: h.scanId,
        details: {
          overrideId: h.overrideId,
          checkpointId,
          officerId: h.officerId,
          supervisorId: h.supervisorId,
          reason: h.reason,
          verified: h.verified,
          ...(h.issues.length > 0 && { issues: h.issues }),
        },
      });
    }
    const alerts = await alertsById(c, alertIds);
    const updatedAlerts = await alertsById(c, updatedIds);
    return {
      ackedThrough: acked,
      inserted: fresh.length,
      alerts,
      updatedAlerts,
      healthReleases: judged.healthReleases,
      unopenedSeals,
    };
  }

  /** See `judgePending` (SQLite): the same verdicts, read and written in a few statements. */
  private async judgePending(
    c: pg.PoolClient,
    lane: { kno: number; kioskId: string; checkpointId: string; acked: number; now: number },
  ): Promise<{ alertIds: number[]; scanIds: string[]; healthReleases: HealthRelease[] }> {
    const { kno, kioskId, checkpointId, now } = lane;
    const out = { alertIds: [] as number[], scanIds: [] as string[], healthReleases: [] as HealthRelease[] };
    const pending = (
      await c.query<PendingRow>(
        `SELECT 'override' AS type, seq, id, scan_id, at, received_at, original_decision, decision, officer_id,
           supervisor_id, reason, note
         FROM overrides WHERE kiosk_no = $1 AND seq <= $2 AND verified IS NULL AND issues IS NULL
         UNION ALL
         SELECT 'ack', seq, id, scan_id, at, received_at, NULL, decision, NULL, NULL, NULL, note
         FROM acks WHERE kiosk_no = $1 AND seq <= $2 AND verified IS NULL AND issues IS NULL
         ORDER BY seq`,
        [kno, lane.acked],
      )
    ).rows;
    if (pending.length === 0) return out;
    const scanIds = [...new Set(pending.map((p) => p.scan_id))];
    const officerIds = [
      ...new Set(
        pending.flatMap((p) => [p.officer_id, p.supervisor_id]).filter((x): x is string => x !== null),
      ),
    ];
    const scanRows = await c.query<{
      id: string;
      kiosk_no: number;
      at: number;
      decision: string;
      reasons: string[];
    }>(
      'SELECT DISTINCT ON (id) id, kiosk_no, at, decision, reasons FROM scans WHERE id = ANY($1::uuid[]) ORDER BY id, no',
      [scanIds],
    );
    const officerRows = await c.query<{
      id: string;
      role: 'officer' | 'supervisor';
      checkpoints: string[] | null;
      disabled_at: number | null;
    }>('SELECT id, role, checkpoints, disabled_at FROM officers WHERE id = ANY($1::text[])', [officerIds]);
    const roster = await c.query<{ version: number }>('SELECT version FROM officer_roster WHERE id = 1');
    const scanOf = new Map(scanRows.rows.map((s) => [s.id, s]));
    const officers = new Map(
      officerRows.rows.map((o): [string, RosterOfficer] => [
        o.id,
        { role: o.role, checkpoints: o.checkpoints, disabledAt: o.disabled_at },
      ]),
    );
    const rosterVersion = roster.rows[0]?.version ?? 0;
    const verdicts: { table: 'overrides' | 'acks'; seq: number; verified: boolean; issues: string | null }[] =
      [];
    const distrusted: { r: OverrideRecord | AcknowledgementRecord; issues: readonly string[] }[] = [];
    for (const p of pending) {
      const r: OverrideRecord | AcknowledgementRecord =
        p.type === 'override'
          ? {
              type: 'override',
              seq: p.seq,
              id: p.id,
              at: p.at,
              scanId: p.scan_id,
              originalDecision: p.original_decision as OverrideRecord['originalDecision'],
              decision: p.decision as OverrideRecord['decision'],
              officerId: p.officer_id ?? '',
              supervisorId: p.supervisor_id,
              reason: p.reason ?? '',
              note: p.note,
            }
          : {
              type: 'ack',
              seq: p.seq,
              id: p.id,
              at: p.at,
              scanId: p.scan_id,
              decision: p.decision as AcknowledgementRecord['decision'],
              note: p.note,
            };
      const row = scanOf.get(p.scan_id);
      const scan: HeldScan | null = row
        ? { kioskNo: row.kiosk_no, at: row.at, decision: row.decision, reasons: row.reasons }
        : null;
      // Judged against when the record reached us, not now: a gap may have held it for a while.
      const issues = checkLaneRecord(r, {
        kioskNo: kno,
        checkpointId,
        scan,
        receivedAt: p.received_at,
        rosterVersion,
        officer: (id) => officers.get(id) ?? null,
      });
      verdicts.push({
        table: p.type === 'override' ? 'overrides' : 'acks',
        seq: p.seq,
        verified: issues.length === 0,
        issues: issues.length === 0 ? null : JSON.stringify(issues),
      });
      if (scan?.kioskNo === kno) out.scanIds.push(p.scan_id);
      if (issuesRaiseAlert(issues)) distrusted.push({ r, issues });
      if (r.type === 'override' && releasesHealthRed(scan, r)) {
        out.healthReleases.push({
          overrideId: r.id,
          scanId: r.scanId,
          officerId: r.officerId,
          supervisorId: r.supervisorId,
          reason: r.reason,
          verified: issues.length === 0,
          issues,
        });
      }
    }
    for (const table of ['overrides', 'acks'] as const) {
      const v = verdicts.filter((x) => x.table === table);
      if (v.length === 0) continue;
      await c.query(
        `UPDATE ${table} t SET verified = u.v, issues = u.i
         FROM unnest($2::bigint[], $3::boolean[], $4::jsonb[]) AS u (s, v, i)
         WHERE t.kiosk_no = $1 AND t.seq = u.s`,
        [kno, v.map((x) => x.seq), v.map((x) => x.verified), v.map((x) => x.issues)],
      );
    }
    if (distrusted.length > 0) {
      const a = await c.query<{ id: number; record_id: string }>(
        `INSERT INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, record_id, subject_key,
           raised_by, issues)
         SELECT 'override', a, $1, $2, $3, sc, rid,
           (SELECT s.subject_key FROM scans s WHERE s.id = u.sc ORDER BY s.no LIMIT 1), 'server', iss
         FROM unnest($4::bigint[], $5::uuid[], $6::uuid[], $7::jsonb[]) WITH ORDINALITY AS u (a, sc, rid, iss, n)
         ORDER BY n
         ON CONFLICT DO NOTHING RETURNING id, record_id`,
        [
          now,
          kioskId,
          checkpointId,
          distrusted.map((d) => d.r.at),
          distrusted.map((d) => d.r.scanId),
          distrusted.map((d) => d.r.id),
          distrusted.map((d) => JSON.stringify(d.issues)),
        ],
      );
      const idOf = new Map(a.rows.map((x) => [x.record_id, x.id]));
      for (const d of distrusted) {
        const id = idOf.get(d.r.id);
        if (id !== undefined) out.alertIds.push(id);
      }
    }
    return out;
  }

  /** New scans since start whose sealed subject did not open (stored with no subject key). */
  unopenedSeals(): Promise<number> {
    return Promise.resolve(this.unopened);
  }

  /** The highest contiguous sequence held for a lane. */
  async ackedThrough(kioskId: string): Promise<number> {
    if (hasNul(kioskId)) return 0;
    const r = await this.pool.query<{ acked_through: number }>(
      'SELECT acked_through FROM kiosks WHERE id = $1',
      [kioskId],
    );
    return r.rows[0]?.acked_through ?? 0;
  }

  /**
   * The highest arrival number below which no upload is in flight any more: the sequence's value
   * now, once every transaction then writing scans (which may hold a lower number) has ended.
   * Every upload takes its numbers while it holds its lock on `scans`, so any number up to the
   * value read belongs to a transaction that had ended or held that lock when it was read.
   */
  private async settledNo(): Promise<number> {
    const seq = await this.pool.query<{ last_value: number; is_called: boolean }>(
      'SELECT last_value, is_called FROM scans_no_seq',
    );
    const s = seq.rows[0];
    const top = s?.is_called === true ? s.last_value : 0;
    const writers = await this.pool.query<{ vx: string }>(
      `SELECT DISTINCT virtualtransaction AS vx FROM pg_locks
       WHERE locktype = 'relation' AND relation = 'scans'::regclass AND mode = 'RowExclusiveLock'
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND pid IS DISTINCT FROM pg_backend_pid()`,
    );
    await waitForWriters(
      this.pool,
      writers.rows.map((w) => w.vx),
      SETTLE_TIMEOUT_MS,
    );
    return top;
  }

  /** Scans matching the filters, newest first (a first page only up to the settled arrival number). */
  async search(q: ScanQuery): Promise<ScanView[]> {
    const where = pgScanWhere(q, q.before);
    let sql = where.sql;
    const params = [...where.params];
    if (q.before === undefined) {
      params.push(await this.settledNo());
      sql += ` AND s.no <= $${params.length}`;
    }
    params.push(q.limit);
    const rows = (
      await this.pool.query<{
        no: number;
        kiosk_id: string;
        kiosk_name: string;
        seq: number;
        id: string;
        checkpoint_id: string;
        at: number;
        received_at: number;
        source: string;
        format: string | null;
        key_hex: string | null;
        decision: string;
        reasons: string[];
        warnings: string[];
        alert: boolean;
        vehicle_id: string | null;
      }>(
        `SELECT s.no, k.id AS kiosk_id, k.name AS kiosk_name, s.seq, s.id, s.checkpoint_id, s.at, s.received_at,
           s.source, s.format, ${keyHex('s.subject_key')} AS key_hex, s.decision, s.reasons, s.warnings, s.alert,
           s.vehicle_id
         FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         WHERE ${sql}
         ORDER BY s.no DESC
         LIMIT $${params.length}`,
        params,
      )
    ).rows;
    const records = await laneRecordsFor(
      this.pool,
      rows.map((r) => r.id),
    );
    return rows.map((r): ScanView => {
      const { overrides, acks } = records.get(r.id) ?? { overrides: [], acks: [] };
      return {
        no: r.no,
        id: r.id,
        kioskId: r.kiosk_id,
        kioskName: r.kiosk_name,
        seq: r.seq,
        checkpointId: r.checkpoint_id,
        at: r.at,
        receivedAt: r.received_at,
        source: r.source,
        format: r.format,
        subjectKey: r.key_hex,
        decision: r.decision,
        reasons: r.reasons,
        warnings: r.warnings,
        alert: r.alert,
        vehicleId: r.vehicle_id,
        overrides,
        acks,
        outcome: laneOutcome(
          { kioskId: r.kiosk_id, decision: r.decision, warnings: r.warnings },
          overrides,
          acks,
        ),
      };
    });
  }

  /**
   * The highest arrival number held (0 when empty), settled: every upload that may still commit
   * a number up to it has ended, so an export reading below it reads a stable set.
   */
  async lastNo(): Promise<number> {
    const top = await this.settledNo();
    const r = await this.pool.query<{ no: number | null }>('SELECT max(no) AS no FROM scans WHERE no <= $1', [
      top,
    ]);
    return r.rows[0]?.no ?? 0;
  }

  /** The lowest arrival number held (1 when empty). */
  async firstNo(): Promise<number> {
    const r = await this.pool.query<{ no: number | null }>('SELECT min(no) AS no FROM scans');
    return r.rows[0]?.no ?? 1;
  }

  /** How many scans match the filters below arrival number `before`, counting at most `max`. */
  async countUpTo(f: ScanFilter, before: number, max: number): Promise<number> {
    const where = pgScanWhere(f, before);
    const r = await this.pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
       WHERE ${where.sql} LIMIT $${where.params.length + 1}) x`,
      [...where.params, max],
    );
    return r.rows[0]?.n ?? 0;
  }

  /**
   * One page of the CSV export: scans matching the filters below arrival number `before`, newest
   * first, each with its latest override from its own lane (as `ScanExport.exportPage`).
   */
  async exportPage(f: ScanFilter, before: number, limit: number): Promise<ScanExportRow[]> {
    const where = pgScanWhere(f, before);
    const r = await this.pool.query<{
      no: number;
      received_at: number;
      at: number;
      checkpoint_id: string;
      kiosk_name: string;
      source: string;
      format: string | null;
      key_hex: string | null;
      decision: string;
      reasons: string[];
      warnings: string[];
      alert: boolean;
      id: string;
      vehicle_id: string | null;
      o_decision: string | null;
      officer_id: string | null;
      supervisor_id: string | null;
      reason: string | null;
      note: string | null;
      verified: boolean | null;
    }>(
      `SELECT s.no, s.received_at, s.at, s.checkpoint_id, k.name AS kiosk_name, s.source, s.format,
         ${keyHex('s.subject_key')} AS key_hex, s.decision, s.reasons, s.warnings, s.alert, s.id, s.vehicle_id,
         o.decision AS o_decision, o.officer_id, o.supervisor_id, o.reason, o.note, o.verified
       FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
         LEFT JOIN LATERAL (SELECT decision, officer_id, supervisor_id, reason, note, verified FROM overrides
           WHERE scan_id = s.id AND kiosk_no = s.kiosk_no ORDER BY at DESC, no DESC LIMIT 1) o ON true
       WHERE ${where.sql}
       ORDER BY s.no DESC
       LIMIT $${where.params.length + 1}`,
      [...where.params, limit],
    );
    return r.rows.map((x) => ({
      no: x.no,
      receivedAt: x.received_at,
      at: x.at,
      checkpointId: x.checkpoint_id,
      kioskName: x.kiosk_name,
      source: x.source,
      format: x.format,
      subjectKey: x.key_hex,
      decision: x.decision,
      reasons: x.reasons.join(';'),
      warnings: x.warnings.join(';'),
      alert: x.alert,
      scanId: x.id,
      vehicleId: x.vehicle_id,
      override:
        x.o_decision === null
          ? null
          : {
              decision: x.o_decision,
              officerId: x.officer_id ?? '',
              supervisorId: x.supervisor_id,
              reason: x.reason ?? '',
              note: x.note ?? '',
              verified: x.verified,
            },
    }));
  }

  /** Hourly scan counts with `from <= hour < to`, optionally for one checkpoint. */
  async hourly(from: number, to: number, checkpointId?: string): Promise<HourlyCount[]> {
    if (checkpointId !== undefined && hasNul(checkpointId)) return [];
    const params: unknown[] = [from, to];
    if (checkpointId !== undefined) params.push(checkpointId);
    const r = await this.pool.query<{ checkpoint_id: string; hour: number; decision: string; count: number }>(
      `SELECT checkpoint_id, hour, decision, count FROM scan_hourly
       WHERE hour >= $1 AND hour < $2 ${checkpointId === undefined ? '' : 'AND checkpoint_id = $3'}
       ORDER BY hour, checkpoint_id COLLATE "C", decision COLLATE "C"`,
      params,
    );
    return r.rows.map((x) => ({
      checkpointId: x.checkpoint_id,
      hour: x.hour,
      decision: x.decision,
      count: x.count,
    }));
  }

  /** Count of stored scans (all lanes). */
  /** Declared arrivals in an area, with their passes' scans (see SQLite's `readArrivals`). */
  async arrivals(f: ArrivalsFilter): Promise<Arrival[]> {
    return pgReadArrivals(this.pool, f);
  }

  async countScans(): Promise<number> {
    const r = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM scans');
    return r.rows[0]?.n ?? 0;
  }

  /** One alert with the subject's current health status, or null. */
  async alert(id: number): Promise<AlertRecord | null> {
    if (!alertIdOk(id)) return null;
    return (await alertsById(this.pool, [id]))[0] ?? null;
  }

  /** Alerts, newest first; `before` pages by id. */
  async alerts(opts: AlertQuery): Promise<AlertRecord[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      clauses.push(clause.replace('?', `$${params.length}`));
    };
    if (opts.before !== undefined) add('a.id < ?', opts.before);
    if (opts.checkpointId !== undefined) {
      if (hasNul(opts.checkpointId)) return [];
      add('a.checkpoint_id = ?', opts.checkpointId);
    }
    if (opts.unacked === true) clauses.push('a.acked_at IS NULL');
    if (opts.kind !== undefined) add('a.kind = ?', opts.kind);
    params.push(opts.limit);
    const r = await this.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} ${ALERT_FROM}
       WHERE ${clauses.length === 0 ? 'true' : clauses.join(' AND ')}
       ORDER BY a.id DESC LIMIT $${params.length}`,
      params,
    );
    return toAlerts(this.pool, r.rows);
  }

  /** Who an alert is about (personal data: callers audit every read): see `AlertsRepository.subject`. */
  async alertSubject(id: number): Promise<AlertSubjectRecord | null> {
    if (!alertIdOk(id)) return null;
    const r = (
      await this.pool.query<{
        key_hex: string | null;
        h_subject: string | null;
        h_name: string | null;
        w_subject: string | null;
        w_name: string | null;
      }>(
        `SELECT ${keyHex('a.subject_key')} AS key_hex, h.subject AS h_subject, h.name AS h_name,
           w.subject AS w_subject, w.name AS w_name
         FROM alerts a LEFT JOIN health_entries h ON h.subject_key = a.subject_key
           LEFT JOIN whitelist_entries w ON w.subject_key = a.subject_key
         WHERE a.id = $1`,
        [id],
      )
    ).rows[0];
    if (!r) return null;
    const list = r.h_subject !== null ? 'health' : r.w_subject !== null ? 'whitelist' : null;
    const subject = r.h_subject ?? r.w_subject;
    return {
      subject: subject === null ? null : subject.slice(subject.indexOf(':') + 1),
      name: list === 'health' ? r.h_name : list === 'whitelist' ? r.w_name : null,
      list,
      subjectKey: r.key_hex,
    };
  }

  /** Acknowledges an alert once, not audited: see `AlertsRepository.ack`. */
  ack(id: number, at: number, by: string): Promise<{ alert: AlertRecord; acked: boolean } | null> {
    return withPgTransaction(this.pool, (c) => ackAlert(c, id, at, by));
  }

  /**
   * An admin acknowledges an alert, and the first acknowledgement is audited (`alert.ack`, with
   * the note if any) in the same transaction.
   */
  acknowledge(
    id: number,
    at: number,
    actor: string,
    note?: string,
  ): Promise<{ alert: AlertRecord; acked: boolean } | null> {
    return withPgTransaction(this.pool, async (c) => {
      const r = await ackAlert(c, id, at, actor);
      if (r?.acked)
        await insertAudit(c, {
          at,
          actor: pgText(actor),
          action: 'alert.ack',
          target: String(id),
          details: {
            checkpointId: r.alert.checkpointId,
            kioskId: r.alert.kioskId,
            ...(note !== undefined && note !== '' && { note: pgText(note) }),
          },
        });
      return r;
    });
  }
}
