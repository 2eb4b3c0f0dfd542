// `/api/v1/admin/traces…`: contact tracing (issue 15; contract: ../shared/design/architecture.md,
// "Tracing" and the traces row of the HTTP API). Admins only: viewers get 403 on every route
// (the subjects a trace shows are raw IDs). Running, exporting, promoting and deleting a trace
// are audited; the audit records carry counts and the trace id, never a subject.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  parseSubjectText,
  canonicalSubjectKey,
  TRACE_CSV_COLUMNS,
  TRACE_DEFAULT_DAYS,
  TRACE_DEFAULT_WINDOW_MINUTES,
  TRACE_MAX_SUBJECTS,
  TRACE_NAMED_SUBJECTS,
  TraceCreatedSchema,
  TraceCreateSchema,
  TraceIdParamsSchema,
  TraceListQuerySchema,
  TraceListSchema,
  TracePromotedSchema,
  TracePromoteSchema,
  TraceQuerySchema,
  TraceViewSchema,
  type HealthStatus,
  type Subject,
  type TraceContactView,
  type TraceEvidenceView,
  type TraceSummaryView,
  type TraceView,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { csvLine, UTF8_BOM } from '../../csv/csv-writer.js';
import type {
  StoredTraceContact,
  TraceContactQuery,
  TraceScansStore,
  TracesStore,
  TraceWorkerSource,
  TraceSummary,
} from '../../db/store/traces-store.js';
import { HttpError } from '../../http-error.js';
import type { ListRows } from '../../lists/list-kinds.js';
import { parseListDate, type DateEdge } from '../../lists/list-dates.js';
import { publishListWrite } from '../../lists/list-writer.js';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';
import type { Services } from '../../services.js';
import { sealToServer } from '../../tracing/seal-subject.js';
import { TraceJobs, traceAsSeen } from '../../tracing/trace-jobs.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const DAY_MS = 86_400_000;
/** Contacts per page when `limit` is not given. */
const DEFAULT_PAGE = 100;
/** Contacts read per store call while exporting. */
const EXPORT_PAGE = 500;

/** A subject as given, parsed as the list import parses its `id` column. */
interface GivenSubject {
  readonly key: bigint;
  /** Canonical, `kind:value`. */
  readonly canonical: string;
  readonly text: string;
  readonly index: number;
}

/**
 * A 400 naming (in its message) the given subjects it refuses: `#N text`, N the 1-based position
 * in the request's `subjects`, the first `TRACE_NAMED_SUBJECTS`.
 */
function refusedSubjects(
  code: string,
  what: string,
  refused: readonly { index: number; text: string }[],
): HttpError {
  const named = refused
    .slice(0, TRACE_NAMED_SUBJECTS)
    .map((r) => `#${r.index + 1} ${r.text.slice(0, 64)}`)
    .join(', ');
  const more =
    refused.length > TRACE_NAMED_SUBJECTS ? ` and ${refused.length - TRACE_NAMED_SUBJECTS} more` : '';
  return new HttpError(400, code, `${refused.length} subject(s) ${what}: ${named}${more}`);
}

/**
 * Parses subjects as the CSV import reads its `id` column (`parseSubjectText`, keyed with the
 * server's index key), deduplicated by key. Throws 400 `bad_subjects` naming those that are none.
 */
function parseSubjects(s: Services, texts: readonly string[]): GivenSubject[] {
  const out = new Map<bigint, GivenSubject>();
  const bad: { index: number; text: string }[] = [];
  texts.forEach((text, index) => {
    const subject = parseSubjectText(text);
    if (subject === null) {
      bad.push({ index, text });
      return;
    }
    const key = subjectKey(s.listKey, subject);
    if (!out.has(key)) out.set(key, { key, canonical: canonicalSubjectKey(subject), text, index });
  });
  if (bad.length > 0)
    throw refusedSubjects(
      'bad_subjects',
      'are not a 12-digit personal ID, a passport number or a vehicle plate',
      bad,
    );
  return [...out.values()];
}

/** A time as the trace routes take it: epoch ms, or a date (Vietnam day edges) or date-time. */
function readTime(name: string, text: string | null | undefined, edge: DateEdge): number | undefined {
  if (text === undefined || text === null || text.trim() === '') return undefined;
  if (/^\d{10,15}$/.test(text.trim())) return Number(text.trim());
  const r = parseListDate(text, edge);
  if (!r.ok || r.value === null) {
    throw new HttpError(400, 'bad_time', `${name}: ${r.ok ? 'empty' : r.error.reason}`);
  }
  return r.value;
}

/** A canonical subject opened from a seal, split into kind and value (null: it did not open). */
function openedSubject(s: Services, sealed: string | null): Subject | null {
  if (sealed === null) return null;
  const canonical = s.scanSeal.open(sealed);
  if (canonical === null) return null;
  const colon = canonical.indexOf(':');
  const kind = canonical.slice(0, colon);
  if (kind !== 'personal_id' && kind !== 'passport' && kind !== 'plate') return null;
  return { kind, value: canonical.slice(colon + 1) };
}

function summaryView(t: TraceSummary, now: number): TraceSummaryView {
  const seen = traceAsSeen(t, now);
  return {
    id: seen.id,
    status: seen.status,
    progress: seen.progress,
    createdAt: seen.createdAt,
    createdBy: seen.createdBy,
    updatedAt: seen.updatedAt,
    finishedAt: seen.finishedAt,
    error: seen.error,
    contactCount: seen.contactCount,
    hop2Skipped: seen.hop2Skipped,
    params: {
      from: seen.params.from,
      to: seen.params.to,
      windowMinutes: seen.params.windowMinutes,
      hops: seen.params.hops,
      indexCount: seen.params.indexKeys.length,
    },
  };
}

/** Opens the seals of a page of contacts and of the index subjects their evidence names. */
async function contactViews(
  s: Services,
  traces: TracesStore,
  id: string,
  contacts: readonly StoredTraceContact[],
): Promise<TraceContactView[]> {
  const indexKeys = new Set<bigint>();
  for (const c of contacts) for (const e of c.evidence) indexKeys.add(e.indexKey);
  const seals = await traces.seals(id, [...indexKeys]);
  const indexSubject = new Map<bigint, string | null>();
  for (const key of indexKeys) indexSubject.set(key, openedSubject(s, seals.get(key) ?? null)?.value ?? null);
  return contacts.map((c) => {
    const subject = openedSubject(s, c.subjectSealed);
    return {
      subject: subject?.value ?? null,
      subjectKind: subject?.kind ?? null,
      key: subjectKeyToHex(c.subjectKey),
      format: c.format,
      hop: c.hop,
      via: c.via,
      evidence: c.evidence.map((e): TraceEvidenceView => ({
        checkpointId: e.checkpointId,
        kioskId: e.kioskId,
        at: e.at,
        indexSubject: indexSubject.get(e.indexKey) ?? null,
        indexKey: subjectKeyToHex(e.indexKey),
        indexAt: e.indexAt,
        vehicleId: e.vehicleId,
      })),
      evidenceCount: c.evidenceCount,
    };
  });
}

/**
 * The F0 entries of the health list written since `since` (epoch ms), with their canonical
 * subjects: from the change log of the versions written since then (coalesced: an entry
 * changed since to another status is not an F0). 400 when the change log no longer reaches back.
 */
async function f0Since(s: Services, since: number): Promise<GivenSubject[]> {
  // The first version written at or after `since`: the history, newest first, page by page.
  let first: number | null = null;
  let before: number | undefined;
  for (;;) {
    const page = await s.lists.history('health', { limit: 500, ...(before !== undefined && { before }) });
    for (const v of page) {
      if (v.at < since) break;
      first = v.version;
    }
    const last = page.at(-1);
    if (page.length < 500 || last === undefined || last.at < since) break;
    before = last.version;
  }
  if (first === null) return [];
  const d = await s.store.lane.changes('health', first - 1, '');
  if (d.kind !== 'ok') {
    throw new HttpError(
      400,
      'f0_since_too_old',
      'the health list’s change log no longer reaches back to f0Since: give the F0 subjects instead',
    );
  }
  const out: GivenSubject[] = [];
  for (const c of d.changes) {
    const canonical = d.subjects.get(c.key);
    if (c.op !== 'put' || canonical === undefined) continue;
    if (c.entry === undefined || !('status' in c.entry) || c.entry.status !== 'F0') continue;
    out.push({ key: c.key, canonical, text: canonical, index: -1 });
  }
  return out;
}

/** A page of contacts' query from a request's filters. */
function contactQuery(q: { hop?: number; via?: 'lane' | 'vehicle'; checkpointId?: string }) {
  return {
    ...(q.hop !== undefined && { hop: q.hop === 2 ? (2 as const) : (1 as const) }),
    ...(q.via !== undefined && { via: q.via }),
    ...(q.checkpointId !== undefined && { checkpointId: q.checkpointId }),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The contacts of a trace as CSV chunks: BOM and header, then one line per evidence piece. */
async function* contactCsvChunks(
  s: Services,
  traces: TracesStore,
  id: string,
  filters: Omit<TraceContactQuery, 'offset' | 'limit'>,
): AsyncGenerator<string> {
  yield `${UTF8_BOM}${TRACE_CSV_COLUMNS.join(',')}\r\n`;
  for (let offset = 0; ; offset += EXPORT_PAGE) {
    const page = await traces.contacts(id, { ...filters, offset, limit: EXPORT_PAGE });
    if (page.contacts.length === 0) return;
    let text = '';
    for (const c of await contactViews(s, traces, id, page.contacts)) {
      for (const e of c.evidence) {
        text += csvLine([
          c.subject,
          c.key,
          c.hop,
          c.via,
          e.checkpointId,
          e.kioskId,
          iso(e.at),
          e.indexSubject,
          iso(e.indexAt),
          e.vehicleId,
        ]);
      }
    }
    yield text;
    if (page.contacts.length < EXPORT_PAGE) return;
    // Other requests run between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Traces one server runs at once: each holds a worker thread with its own database connection(s),
 * a page cache and up to a GiB or more of found contacts. Another is refused with 503 `trace_busy`.
 */
export const TRACES_AT_ONCE = 2;
/** Seconds a refused trace is told to wait (`Retry-After`). */
const TRACE_BUSY_RETRY_AFTER_SEC = 30;

/** What the trace routes need beyond the services: the tracing stores (T1's, on `s.store`). */
export interface TraceRouteStores {
  readonly traceScans: TraceScansStore;
  readonly traces: TracesStore;
  /** Where traces run off the event loop (absent: in this thread). */
  readonly traceWorker?: TraceWorkerSource;
}

/** Health statuses a promote never lowers: the one asked and any closer one. */
const NOT_LOWERED: Readonly<Record<'F1' | 'F2', readonly HealthStatus[]>> = {
  F1: ['F0', 'F1'],
  F2: ['F0', 'F1', 'F2'],
};

/**
 * Registers the trace routes. Traces accepted here run on this server (`TraceJobs`); closing the
 * app stops them (each marked failed, "server stopped").
 */
export function registerTraceRoutes(app: App, s: Services, stores: TraceRouteStores): TraceJobs {
  const { traces } = stores;
  const jobs = new TraceJobs({
    scans: stores.traceScans,
    traces,
    clock: s.clock,
    ...(stores.traceWorker !== undefined && { worker: stores.traceWorker }),
    ...(s.traceHop2Max !== undefined && { maxHop2Sources: s.traceHop2Max }),
    // The id and the error's code or message only: no subject is in either.
    onError: (id, err) => {
      app.log.error({ trace: id, err: err instanceof Error ? err.message : String(err) }, 'trace failed');
    },
  });
  app.addHook('onClose', async () => jobs.stop());

  const getTrace = async (id: string): Promise<TraceSummary> => {
    const t = await traces.get(id);
    if (t === null) throw new HttpError(404, 'not_found', 'no such trace');
    return t;
  };

  app.post(
    '/traces',
    {
      schema: {
        summary:
          'Start a contact trace from index subjects (and/or the F0s written since f0Since); runs in the background (202)',
        tags: ['admin'],
        security: adminSecurity,
        body: TraceCreateSchema,
        response: { 202: TraceCreatedSchema, ...errors(400, 401, 403, 503) },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const b = req.body;
      const now = s.clock();
      const given = parseSubjects(s, b.subjects);
      const to = readTime('to', b.to, 'end') ?? now;
      const from = readTime('from', b.from, 'start') ?? to - TRACE_DEFAULT_DAYS * DAY_MS;
      if (from > to) throw new HttpError(400, 'bad_period', 'from is after to');
      const since = readTime('f0Since', b.f0Since, 'start');
      const f0 = since === undefined ? [] : await f0Since(s, since);
      const index = new Map<bigint, GivenSubject>();
      for (const g of [...given, ...f0]) if (!index.has(g.key)) index.set(g.key, g);
      if (index.size === 0) {
        throw new HttpError(
          400,
          'no_subjects',
          since === undefined
            ? 'give at least one subject'
            : 'no subject given and no F0 written since f0Since',
        );
      }
      if (index.size > TRACE_MAX_SUBJECTS) {
        throw new HttpError(
          400,
          'too_many_subjects',
          `a trace takes at most ${TRACE_MAX_SUBJECTS} index subjects`,
        );
      }
      if (jobs.running().length >= TRACES_AT_ONCE) {
        void reply.header('retry-after', String(TRACE_BUSY_RETRY_AFTER_SEC));
        throw new HttpError(
          503,
          'trace_busy',
          `this server is already running ${TRACES_AT_ONCE} traces; try again when one is done`,
        );
      }
      const sealKey = s.scanSeal.publicKeyBase64();
      const indexSeals = new Map<bigint, string | null>();
      for (const g of index.values()) indexSeals.set(g.key, sealToServer(sealKey, g.canonical));
      const params = {
        indexKeys: [...index.keys()],
        from,
        to,
        windowMinutes: b.windowMinutes ?? TRACE_DEFAULT_WINDOW_MINUTES,
        hops: b.hops === 2 ? 2 : 1,
      } as const;
      const id = randomUUID();
      await traces.create({ id, createdAt: now, createdBy: adminActor(req), params, indexSeals });
      await s.audit.record(now, adminActor(req), 'trace.run', `trace:${id}`, {
        indexCount: index.size,
        given: given.length,
        f0: f0.length,
        from,
        to,
        windowMinutes: params.windowMinutes,
        hops: params.hops,
        ...(since !== undefined && { f0Since: since }),
      });
      jobs.start(id, params);
      return reply.code(202).send({ id, indexCount: index.size });
    },
  );

  app.get(
    '/traces',
    {
      schema: {
        summary: 'Traces, newest first',
        tags: ['admin'],
        security: adminSecurity,
        querystring: TraceListQuerySchema,
        response: { 200: TraceListSchema, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      requireRole(req, 'admin');
      const now = s.clock();
      return { traces: (await traces.list(req.query.limit ?? 50)).map((t) => summaryView(t, now)) };
    },
  );

  app.get(
    '/traces/:id',
    {
      schema: {
        summary:
          'A trace: its state and progress, and a page of its contacts (filters: hop, via, checkpoint)',
        tags: ['admin'],
        security: adminSecurity,
        params: TraceIdParamsSchema,
        querystring: TraceQuerySchema,
        response: { 200: TraceViewSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (req): Promise<TraceView> => {
      requireRole(req, 'admin');
      const t = await getTrace(req.params.id);
      const offset = req.query.offset ?? 0;
      const limit = req.query.limit ?? DEFAULT_PAGE;
      const view = summaryView(t, s.clock());
      if (view.status !== 'done') return { ...view, total: 0, offset, limit, contacts: [] };
      const page = await traces.contacts(t.id, { ...contactQuery(req.query), offset, limit });
      return {
        ...view,
        total: page.total,
        offset,
        limit,
        contacts: await contactViews(s, traces, t.id, page.contacts),
      };
    },
  );

  app.get(
    '/traces/:id/contacts.csv',
    {
      schema: {
        summary: 'A trace’s contacts as CSV, one line per evidence piece (filters as for the trace; audited)',
        description: `Columns: ${TRACE_CSV_COLUMNS.join(',')} (ISO 8601 times; UTF-8 with BOM, streamed).`,
        tags: ['admin'],
        security: adminSecurity,
        params: TraceIdParamsSchema,
        querystring: Type.Omit(TraceQuerySchema, ['offset', 'limit']),
        produces: ['text/csv'],
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const t = traceAsSeen(await getTrace(req.params.id), s.clock());
      if (t.status !== 'done') throw new HttpError(409, 'trace_not_done', `the trace is ${t.status}`);
      const filters = contactQuery(req.query);
      await s.audit.record(s.clock(), adminActor(req), 'trace.export', `trace:${t.id}`, {
        ...filters,
        contacts: t.contactCount,
      });
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="trace-${t.id}.csv"`)
        .header('cache-control', 'no-store');
      return reply.send(Readable.from(contactCsvChunks(s, traces, t.id, filters)));
    },
  );

  app.delete(
    '/traces/:id',
    {
      schema: {
        summary: 'Delete a trace and its contacts (a running one stops)',
        tags: ['admin'],
        security: adminSecurity,
        params: TraceIdParamsSchema,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      if (!(await traces.delete(req.params.id))) throw new HttpError(404, 'not_found', 'no such trace');
      await s.audit.record(s.clock(), adminActor(req), 'trace.delete', `trace:${req.params.id}`, {});
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/traces/:id/promote',
    {
      schema: {
        summary:
          'Write chosen contacts of a trace to the health list as F1 or F2 (one list version, audited with the trace id)',
        tags: ['admin'],
        security: adminSecurity,
        params: TraceIdParamsSchema,
        body: TracePromoteSchema,
        response: { 200: TracePromotedSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      requireRole(req, 'admin');
      const t = traceAsSeen(await getTrace(req.params.id), s.clock());
      if (t.status !== 'done') throw new HttpError(409, 'trace_not_done', `the trace is ${t.status}`);
      const { status } = req.body;
      const given = parseSubjects(s, req.body.subjects);
      const until = readTime('until', req.body.until, 'end') ?? null;
      // Contacts of this trace: named by it (`seals`) and not one of its index subjects.
      const named = await traces.seals(
        t.id,
        given.map((g) => g.key),
      );
      const index = new Set(t.params.indexKeys);
      const strangers = given.filter((g) => !named.has(g.key) || index.has(g.key));
      if (strangers.length > 0)
        throw refusedSubjects('not_contacts', 'are not contacts of this trace', strangers);
      const now = s.clock();
      const rows: ListRows['health'][] = [];
      let skipped = 0;
      for (const g of given) {
        const had = await s.lists.getEntry('health', g.key);
        if (had !== null && had.list === 'health' && NOT_LOWERED[status].includes(had.status)) {
          skipped++;
          continue;
        }
        rows.push({
          key: g.key,
          subject: g.canonical,
          name: had?.name ?? null,
          note: had?.note ?? `truy vết ${t.id}`,
          status,
          since: now,
          until,
        });
      }
      const actor = adminActor(req);
      const w = await s.store.listWriter.write(
        'health',
        { rows },
        {
          now,
          actor,
          action: 'list.put',
          target: 'health',
          details: { trace: t.id, status, count: rows.length },
        },
      );
      await s.audit.record(now, actor, 'trace.promote', `trace:${t.id}`, {
        version: w.version,
        status,
        count: rows.length,
        skipped,
      });
      await publishListWrite(s.hub, w);
      return { version: w.version, promoted: rows.length, skipped };
    },
  );

  return jobs;
}
