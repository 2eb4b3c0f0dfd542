import type pg from 'pg';
import {
  checkedProgress,
  bySubjectKey,
  checkPage,
  checkParams,
  CONTACT_BATCH,
  decodeEvidence,
  encodeEvidence,
  encodeParams,
  ERASE_BATCH,
  firstAt,
  mergeWindows,
  sortedKeys,
  toSummary,
  type TraceRow,
} from '../../store/trace-rows.js';
import type {
  StoredTraceContact,
  TraceContact,
  TraceContactQuery,
  TraceScan,
  TraceScansStore,
  TracesStore,
  TraceSummary,
  TraceWindow,
} from '../../store/traces-store.js';
import type { PgPool } from '../open-pg.js';
import { withPgTransaction } from '../pg-tx.js';

/** A scan row as the queries below select it (the key as text: it is a 64-bit integer). */
interface ScanRow {
  id: string;
  kiosk_id: string;
  checkpoint_id: string;
  at: number;
  key: string | null;
  subject_sealed: string | null;
  format: string | null;
  vehicle_id: string | null;
}

const SCAN_COLUMNS = `s.id, k.id AS kiosk_id, s.checkpoint_id, s.at, s.subject_key::text AS key, s.subject_sealed,
  s.format, s.vehicle_id`;

function toScan(r: ScanRow): TraceScan {
  return {
    id: r.id,
    kioskId: r.kiosk_id,
    checkpointId: r.checkpoint_id,
    at: r.at,
    subjectKey: r.key === null ? null : BigInt(r.key),
    subjectSealed: r.subject_sealed,
    format: r.format,
    vehicleId: r.vehicle_id,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const noNul = (s: string): string => s.replaceAll('\0', '\uFFFD');

/** PostgreSQL's code of "relation does not exist" (a partition dropped by another server meanwhile). */
const UNDEFINED_TABLE = '42P01';

/**
 * Tracing's reads of the scans over PostgreSQL (`scans`, partitioned by month). Each read is one
 * statement: windows and vehicles go in as arrays (`unnest`), each window read through
 * (checkpoint_id, at) in the months it spans.
 */
export class PgTraceScansStore implements TraceScansStore {
  constructor(private readonly pool: PgPool) {}

  async scansOfSubjects(keys: readonly bigint[], from: number, to: number): Promise<TraceScan[]> {
    const sorted = sortedKeys(keys);
    if (sorted.length === 0) return [];
    const r = await this.pool.query<ScanRow>(
      `SELECT ${SCAN_COLUMNS} FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
       WHERE s.subject_key = ANY($1::bigint[]) AND s.at BETWEEN $2 AND $3 ORDER BY s.subject_key, s.at, s.no`,
      [sorted.map(String), from, to],
    );
    return r.rows.map(toScan);
  }

  async scansNear(windows: readonly TraceWindow[]): Promise<TraceScan[]> {
    const merged = mergeWindows(windows);
    if (merged.length === 0) return [];
    // Merged windows are disjoint, so each scan comes once; each is one index range read.
    const r = await this.pool.query<ScanRow>(
      `SELECT ${SCAN_COLUMNS}
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS w (c, lo, hi, n)
       CROSS JOIN LATERAL (SELECT * FROM scans x WHERE x.checkpoint_id = w.c AND x.at BETWEEN w.lo AND w.hi) s
       JOIN kiosks k ON k.no = s.kiosk_no
       ORDER BY w.n, s.at, s.no`,
      [merged.map((w) => noNul(w.checkpointId)), merged.map((w) => w.from), merged.map((w) => w.to)],
    );
    return r.rows.map(toScan);
  }

  async scansInVehicles(vehicleIds: readonly string[]): Promise<TraceScan[]> {
    // Vehicle ids are record ids (UUIDs): anything else names no vehicle.
    const ids = [...new Set(vehicleIds)].filter((v) => UUID.test(v));
    if (ids.length === 0) return [];
    const r = await this.pool.query<ScanRow>(
      `SELECT ${SCAN_COLUMNS} FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
       WHERE s.vehicle_id = ANY($1::uuid[]) OR s.id = ANY($1::uuid[]) ORDER BY s.at, s.no`,
      [ids],
    );
    const byId = new Map<string, TraceScan>();
    for (const row of r.rows) if (!byId.has(row.id)) byId.set(row.id, toScan(row));
    return [...byId.values()];
  }

  /**
   * Erases partition by partition, in batches of `ERASE_BATCH` rows, each its own statement (row
   * locks held for one batch only; uploads and searches go on). A partition dropped meanwhile (by
   * another server's retention of whole months) is skipped.
   */
  async eraseSubjectsBefore(before: number): Promise<number> {
    if (!Number.isSafeInteger(before)) throw new RangeError(`before must be epoch ms, not ${before}`);
    const parts = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'scans'::regclass ORDER BY c.relname`,
    );
    let total = 0;
    for (const { name } of parts.rows) {
      const table = `"${name.replaceAll('"', '""')}"`;
      try {
        for (;;) {
          // scans_subject_held_at holds only scans that still have a subject: erased ones leave it.
          const r = await this.pool.query(
            `UPDATE ${table} SET subject_key = NULL, subject_sealed = NULL WHERE ctid = ANY (ARRAY(
               SELECT ctid FROM ${table} WHERE at < $1 AND (subject_key IS NOT NULL OR subject_sealed IS NOT NULL)
               LIMIT $2))`,
            [before, ERASE_BATCH],
          );
          const n = r.rowCount ?? 0;
          total += n;
          if (n < ERASE_BATCH) break;
        }
        // Their pass ids too (a pass id joins to a declaration's person): through scans_pass_at,
        // which holds only scans that still have one. Not counted in the answer.
        for (;;) {
          const r = await this.pool.query(
            `UPDATE ${table} SET pass_id = NULL WHERE ctid = ANY (ARRAY(
               SELECT ctid FROM ${table} WHERE pass_id IS NOT NULL AND at < $1 LIMIT $2))`,
            [before, ERASE_BATCH],
          );
          if ((r.rowCount ?? 0) < ERASE_BATCH) break;
        }
      } catch (err) {
        if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw err;
      }
    }
    // Alerts of those scans keep their time, lane and checkpoint, not the subject's key; in batches
    // through alerts_subject_held_at (migration 008), as the scans.
    for (;;) {
      const r = await this.pool.query(
        `UPDATE alerts SET subject_key = NULL WHERE id = ANY (ARRAY(
           SELECT id FROM alerts WHERE at < $1 AND subject_key IS NOT NULL LIMIT $2))`,
        [before, ERASE_BATCH],
      );
      if ((r.rowCount ?? 0) < ERASE_BATCH) break;
    }
    return total;
  }
}

const TRACE_COLUMNS =
  'id, status, created_at, created_by, params, progress, updated_at, finished_at, error, contact_count, hop2_skipped';

/**
 * The traces over PostgreSQL (migration 006): one row per trace, its contacts and its index
 * subjects' seals, both deleted with it. Each method is one transaction (or one statement).
 */
export class PgTracesStore implements TracesStore {
  constructor(private readonly pool: PgPool) {}

  async create(trace: Parameters<TracesStore['create']>[0]): Promise<void> {
    checkParams(trace.params);
    const seals = [...trace.indexSeals];
    await withPgTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO traces (id, created_at, created_by, params, status, progress, updated_at)
         VALUES ($1, $2, $3, $4, 'running', 0, $2)`,
        [noNul(trace.id), trace.createdAt, noNul(trace.createdBy), encodeParams(trace.params)],
      );
      if (seals.length > 0) {
        await c.query(
          `INSERT INTO trace_subjects (trace_id, subject_key, subject_sealed)
           SELECT $1, k, s FROM unnest($2::bigint[], $3::text[]) AS u (k, s)
           ON CONFLICT (trace_id, subject_key) DO UPDATE SET subject_sealed = excluded.subject_sealed`,
          [
            noNul(trace.id),
            seals.map(([k]) => String(k)),
            seals.map(([, s]) => (s === null ? null : noNul(s))),
          ],
        );
      }
    });
  }

  async progress(id: string, progress: number, at: number): Promise<boolean> {
    const p = checkedProgress(progress);
    // A finished trace keeps its figures; the answer only says whether it is still there.
    const r = await this.pool.query(
      `UPDATE traces SET progress = CASE WHEN status = 'running' THEN $2 ELSE progress END,
         updated_at = CASE WHEN status = 'running' THEN $3 ELSE updated_at END WHERE id = $1`,
      [noNul(id), p, at],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Marks the trace done and stores its contacts, `CONTACT_BATCH` per statement, in one transaction. */
  async finish(
    id: string,
    contacts: readonly TraceContact[],
    at: number,
    hop2Skipped: number | null = null,
  ): Promise<boolean> {
    const traceId = noNul(id);
    return withPgTransaction(this.pool, async (c) => {
      const marked = await c.query(
        `UPDATE traces SET status = 'done', progress = 1, updated_at = $2, finished_at = $2, error = NULL,
           contact_count = $3, hop2_skipped = $4 WHERE id = $1`,
        [traceId, at, contacts.length, hop2Skipped],
      );
      if ((marked.rowCount ?? 0) === 0) return false;
      await c.query('DELETE FROM trace_contacts WHERE trace_id = $1', [traceId]);
      const sorted = bySubjectKey(contacts);
      for (let i = 0; i < sorted.length; i += CONTACT_BATCH) {
        await insertContacts(c, traceId, sorted.slice(i, i + CONTACT_BATCH));
      }
      return true;
    });
  }

  async fail(id: string, error: string, at: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE traces SET status = 'failed', error = $2, updated_at = $3, finished_at = $3
       WHERE id = $1 AND status = 'running'`,
      [noNul(id), noNul(error), at],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async get(id: string): Promise<TraceSummary | null> {
    const r = await this.pool.query<TraceRow>(`SELECT ${TRACE_COLUMNS} FROM traces WHERE id = $1`, [
      noNul(id),
    ]);
    const row = r.rows[0];
    return row === undefined ? null : toSummary(row);
  }

  async list(limit: number): Promise<TraceSummary[]> {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new RangeError(`limit must be 0 or more, not ${limit}`);
    const r = await this.pool.query<TraceRow>(
      `SELECT ${TRACE_COLUMNS} FROM traces ORDER BY created_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map(toSummary);
  }

  async contacts(
    id: string,
    q: TraceContactQuery,
  ): Promise<{ total: number; contacts: StoredTraceContact[] }> {
    checkPage(q);
    const where = `trace_id = $1 AND ($2::smallint IS NULL OR hop = $2) AND ($3::text IS NULL OR via = $3)
      AND ($4::text IS NULL OR evidence @> jsonb_build_array(jsonb_build_object('checkpointId', $4::text)))`;
    const params = [
      noNul(id),
      q.hop ?? null,
      q.via ?? null,
      q.checkpointId === undefined ? null : noNul(q.checkpointId),
    ];
    const total = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM trace_contacts WHERE ${where}`,
      params,
    );
    const rows = await this.pool.query<{
      key: string;
      subject_sealed: string | null;
      format: string | null;
      hop: number;
      via: 'lane' | 'vehicle';
      evidence: unknown;
      evidence_count: number;
    }>(
      `SELECT subject_key::text AS key, subject_sealed, format, hop, via, evidence, evidence_count
       FROM trace_contacts WHERE ${where} ORDER BY hop, first_at, subject_key LIMIT $5 OFFSET $6`,
      [...params, q.limit, q.offset],
    );
    return {
      total: total.rows[0]?.n ?? 0,
      contacts: rows.rows.map((r) => ({
        subjectKey: BigInt(r.key),
        subjectSealed: r.subject_sealed,
        format: r.format,
        hop: r.hop as 1 | 2,
        via: r.via,
        evidence: decodeEvidence(r.evidence),
        evidenceCount: r.evidence_count,
      })),
    };
  }

  async seals(id: string, keys: readonly bigint[]): Promise<Map<bigint, string | null>> {
    const wanted = sortedKeys(keys);
    const out = new Map<bigint, string | null>();
    if (wanted.length === 0) return out;
    // The index subject's seal first, else the contact's (one snapshot: a single statement).
    const r = await this.pool.query<{ key: string; sealed: string | null }>(
      `SELECT u.k::text AS key, COALESCE(t.subject_sealed, c.subject_sealed) AS sealed
       FROM unnest($2::bigint[]) AS u (k)
       LEFT JOIN trace_subjects t ON t.trace_id = $1 AND t.subject_key = u.k
       LEFT JOIN trace_contacts c ON c.trace_id = $1 AND c.subject_key = u.k
       WHERE t.subject_key IS NOT NULL OR c.subject_key IS NOT NULL`,
      [noNul(id), wanted.map(String)],
    );
    for (const row of r.rows) out.set(BigInt(row.key), row.sealed);
    return out;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM traces WHERE id = $1', [noNul(id)]);
    return (r.rowCount ?? 0) > 0;
  }
}

/** One batch of a trace's contacts, one statement. */
async function insertContacts(
  c: pg.PoolClient,
  traceId: string,
  batch: readonly TraceContact[],
): Promise<void> {
  await c.query(
    `INSERT INTO trace_contacts (trace_id, subject_key, subject_sealed, format, hop, via, evidence, evidence_count,
       first_at)
     SELECT $1, k, s, f, h, v, e, n, fa
     FROM unnest($2::bigint[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::jsonb[], $8::int[],
       $9::bigint[]) AS u (k, s, f, h, v, e, n, fa)`,
    [
      traceId,
      batch.map((x) => String(x.subjectKey)),
      batch.map((x) => (x.subjectSealed === null ? null : noNul(x.subjectSealed))),
      batch.map((x) => (x.format === null ? null : noNul(x.format))),
      batch.map((x) => x.hop),
      batch.map((x) => x.via),
      batch.map((x) => encodeEvidence(x.evidence)),
      batch.map((x) => x.evidenceCount ?? x.evidence.length),
      batch.map(firstAt),
    ],
  );
}
