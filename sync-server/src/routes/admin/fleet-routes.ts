import {
  CheckpointId,
  DecisionColourSchema,
  parseSubjectText,
  RecordId,
  RowId,
} from '@checkpoint-lane/shared';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { generateEnrollmentCode, hashToken, normalizeEnrollmentCode } from '../../auth/tokens.js';
import type { ScanFilter } from '../../db/repositories/scans-repository.js';
import { openSse } from '../../events/sse.js';
import { HttpError } from '../../http-error.js';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { sessionStillValid } from '../../auth/sessions.js';
import type { Services } from '../../services.js';
import { adminSecurity, EpochOrNull, errors, type App } from '../schemas.js';
import { SCAN_EXPORT_MAX_ROWS, scanCsvChunks } from './scan-export.js';
import { AckViewSchema, AlertSchema, LaneOutcomeSchema, OverrideViewSchema } from './lane-outcome-schemas.js';
import { registerStatsRoutes } from './stats-routes.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const KioskSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  checkpointId: Type.String(),
  enrolledAt: Type.Integer(),
  revokedAt: EpochOrNull,
  online: Type.Boolean(),
  lastHeartbeatAt: EpochOrNull,
  listVersions: Type.Object({ health: Nullable(Type.Integer()), whitelist: Nullable(Type.Integer()) }),
  backlog: Nullable(Type.Integer()),
  devices: Type.Array(Type.Object({ name: Type.String(), kind: Type.String(), status: Type.String() })),
  clockSkewMs: Nullable(Type.Integer()),
  ackedThrough: Type.Integer(),
});

const ScanSchema = Type.Object({
  no: Type.Integer({ description: 'arrival number on this server' }),
  id: Type.String(),
  kioskId: Type.String(),
  kioskName: Type.String({ description: 'the lane’s name' }),
  seq: Type.Integer(),
  checkpointId: Type.String(),
  at: Type.Integer(),
  receivedAt: Type.Integer(),
  source: Type.String(),
  format: Nullable(Type.String()),
  subjectKey: Nullable(Type.String()),
  decision: Type.String(),
  reasons: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
  alert: Type.Boolean(),
  overrides: Type.Array(OverrideViewSchema, {
    description: 'every override naming the scan; one from another lane is flagged (verified false)',
  }),
  acks: Type.Array(AckViewSchema),
  outcome: LaneOutcomeSchema,
});

const TimeText = Type.String({ maxLength: 40, description: 'ISO 8601 date-time or epoch ms' });

const ScanFilterQuery = Type.Object({
  subject: Type.Optional(Type.String({ maxLength: 64 })),
  checkpoint: Type.Optional(CheckpointId),
  kiosk: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(TimeText),
  to: Type.Optional(TimeText),
  decision: Type.Optional(DecisionColourSchema),
  scan: Type.Optional(RecordId),
});

const ScanQuery = Type.Object({
  ...ScanFilterQuery.properties,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

/** Reads an ISO 8601 time or epoch ms (`bad_time` otherwise); empty or absent is undefined. */
export function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new HttpError(400, 'bad_time', `${name} is not an ISO 8601 time or epoch ms`);
  return t;
}

/** The scan filters of `/scans` and `/scans/export.csv`, read from the query string. */
function readScanFilter(
  s: Services,
  q: {
    subject?: string;
    checkpoint?: string;
    kiosk?: string;
    from?: string;
    to?: string;
    decision?: string;
    scan?: string;
  },
): ScanFilter {
  let key: bigint | undefined;
  if (q.subject !== undefined) {
    const subject = parseSubjectText(q.subject);
    if (!subject)
      throw new HttpError(400, 'bad_subject', 'subject is not a personal ID, passport number or plate');
    key = subjectKey(s.listKey, subject);
  }
  const from = parseTime('from', q.from);
  const to = parseTime('to', q.to);
  return {
    ...(key !== undefined && { subjectKey: key }),
    ...(q.checkpoint !== undefined && { checkpointId: q.checkpoint }),
    ...(q.kiosk !== undefined && { kioskId: q.kiosk }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(q.decision !== undefined && { decision: q.decision }),
    ...(q.scan !== undefined && { scanId: q.scan }),
  };
}

/** Records who searched or exported scans and with which filters (a subject as its keyed hash). */
function auditScanRead(
  s: Services,
  req: FastifyRequest,
  action: 'scans.search' | 'scans.export',
  f: ScanFilter,
  extra: Record<string, unknown> = {},
): void {
  const { subjectKey: key, ...rest } = f;
  s.audit.record(s.clock(), adminActor(req), action, null, {
    ...rest,
    ...(key !== undefined && { subjectKey: subjectKeyToHex(key) }),
    ...extra,
  });
}

/** Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Today's date in Vietnam time (UTC+7), for file names. */
const vietnamDate = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);

function readCursor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text))
    throw new HttpError(400, 'bad_cursor', 'cursor is not one this server handed out');
  return Number(text);
}

/** `/api/v1/admin/…`: enrollment codes, the fleet, scans and their export, alerts, the event stream, the audit log, stats. */
export function registerFleetRoutes(app: App, s: Services): void {
  app.post(
    '/enrollments',
    {
      schema: {
        summary: 'A one-time code to enroll a lane at a checkpoint',
        tags: ['admin'],
        security: adminSecurity,
        body: Type.Object({
          checkpointId: CheckpointId,
          ttlSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600 })),
        }),
        response: {
          201: Type.Object({ code: Type.String(), expiresAt: Type.String(), checkpointId: Type.String() }),
          ...errors(400, 401, 404),
        },
      },
    },
    async (req, reply) => {
      const { checkpointId } = req.body;
      if (!s.checkpoints.get(checkpointId))
        throw new HttpError(404, 'unknown_checkpoint', 'no such checkpoint');
      const code = generateEnrollmentCode();
      const now = s.clock();
      const expiresAt = now + (req.body.ttlSec ?? s.enrollmentTtlSec) * 1000;
      s.db.transaction(() => {
        s.kiosks.addEnrollmentCode(hashToken(normalizeEnrollmentCode(code)), checkpointId, now, expiresAt);
        s.audit.record(now, adminActor(req), 'enrollment.create', checkpointId, { expiresAt });
      })();
      return reply.code(201).send({ code, expiresAt: new Date(expiresAt).toISOString(), checkpointId });
    },
  );

  app.get(
    '/kiosks',
    {
      schema: {
        summary: 'The fleet: last heartbeat, list versions, backlog, devices, online state',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: Type.Object({ kiosks: Type.Array(KioskSchema) }), ...errors(401) },
      },
    },
    () => ({ kiosks: s.kiosks.list().map((k) => ({ ...k, online: s.fleet.isOnline(k.id) })) }),
  );

  app.post(
    '/kiosks/:id/revoke',
    {
      schema: {
        summary: 'Revoke a lane: its token stops working at once',
        tags: ['admin'],
        security: adminSecurity,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: KioskSchema, ...errors(401, 404) },
      },
    },
    (req) => {
      const now = s.clock();
      const done = s.db.transaction(() => {
        const ok = s.kiosks.revoke(req.params.id, now);
        if (ok) s.audit.record(now, adminActor(req), 'kiosk.revoke', req.params.id);
        return ok;
      })();
      if (!done) throw new HttpError(404, 'not_found', 'no such kiosk');
      s.hub.publishKiosk(req.params.id, 'revoked', { kioskId: req.params.id });
      s.hub.closeKiosk(req.params.id);
      s.fleet.forget(req.params.id);
      const k = s.kiosks.get(req.params.id);
      if (!k) throw new HttpError(404, 'not_found', 'no such kiosk');
      return { ...k, online: false };
    },
  );

  app.get(
    '/scans',
    {
      schema: {
        summary: 'Search scans (newest arrivals first, paged by cursor)',
        tags: ['admin'],
        security: adminSecurity,
        querystring: ScanQuery,
        response: {
          200: Type.Object({ scans: Type.Array(ScanSchema), nextCursor: Nullable(Type.String()) }),
          ...errors(400, 401),
        },
      },
    },
    (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const before = readCursor(q.cursor);
      const filter = readScanFilter(s, q);
      // Following one person's movements is recorded (the first page; paging adds nothing).
      if (filter.subjectKey !== undefined && before === undefined)
        auditScanRead(s, req, 'scans.search', filter);
      const scans = s.scans.search({
        ...filter,
        limit,
        ...(before !== undefined && { before }),
      });
      const last = scans.at(-1);
      const nextCursor = scans.length === limit && last ? String(last.no) : null;
      return { scans, nextCursor };
    },
  );

  app.get(
    '/scans/export.csv',
    {
      schema: {
        summary: 'Scans as CSV (same filters and order as the search; UTF-8 with BOM, streamed)',
        description:
          `Columns: received_at,at,checkpoint,lane,source,format,subject_key,decision,reasons,warnings,alert,` +
          `override_decision,override_officer,override_supervisor,override_reason,override_note,scan_id,override_verified ` +
          `(ISO 8601 times; the latest override of each scan by its own lane, override_verified false when the ` +
          `server distrusts it, empty when unchecked; reasons and warnings joined by ";"). ` +
          `RFC 4180 quoting; a cell starting with = + - @ tab or CR is prefixed with '. At most ` +
          `${SCAN_EXPORT_MAX_ROWS} rows: \`X-Truncated: true\` when more matched.`,
        tags: ['admin'],
        security: adminSecurity,
        querystring: ScanFilterQuery,
        produces: ['text/csv'],
      },
    },
    (req, reply) => {
      const filter = readScanFilter(s, req.query);
      const before = s.scans.lastNo() + 1;
      // Counting is a walk over the rows (the server waits meanwhile): only when there could
      // be more rows below `before` than the cap.
      const truncated =
        before - s.scans.firstNo() > SCAN_EXPORT_MAX_ROWS &&
        s.scans.countUpTo(filter, before, SCAN_EXPORT_MAX_ROWS + 1) > SCAN_EXPORT_MAX_ROWS;
      auditScanRead(s, req, 'scans.export', filter, { truncated });
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="scans-${vietnamDate(s.clock())}.csv"`)
        .header('cache-control', 'no-store')
        .header('x-truncated', String(truncated));
      return reply.send(
        Readable.from(scanCsvChunks(s.scans, filter, { before, maxRows: SCAN_EXPORT_MAX_ROWS })),
      );
    },
  );

  app.get(
    '/alerts',
    {
      schema: {
        summary:
          'Alerts, newest first: `health` (a blocking health status scanned), `override` (a lane record the centre distrusts)',
        description:
          'Each alert carries what happened at the lane (`outcome`) and the subject masked; ' +
          '`GET /alerts/{id}/subject` reveals who it is (admins only, audited).',
        tags: ['admin'],
        security: adminSecurity,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          before: Type.Optional(RowId()),
          checkpoint: Type.Optional(CheckpointId),
          unacked: Type.Optional(Type.Boolean({ description: 'only alerts nobody has acknowledged' })),
          kind: Type.Optional(
            Type.Union([Type.Literal('health'), Type.Literal('replay'), Type.Literal('override')]),
          ),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema) }), ...errors(400, 401) },
      },
    },
    (req) => ({
      alerts: s.scans.alerts({
        limit: req.query.limit ?? 100,
        ...(req.query.before !== undefined && { before: req.query.before }),
        ...(req.query.checkpoint !== undefined && { checkpointId: req.query.checkpoint }),
        ...(req.query.unacked === true && { unacked: true }),
        ...(req.query.kind !== undefined && { kind: req.query.kind }),
      }),
    }),
  );

  app.get(
    '/alerts/:id/subject',
    {
      schema: {
        summary:
          'Who an alert is about: the ID and the name on the list entry (admins only; every read audited)',
        tags: ['admin'],
        security: adminSecurity,
        params: Type.Object({ id: RowId() }),
        response: {
          200: Type.Object({
            subject: Nullable(Type.String({ description: 'null when no list holds the subject now' })),
            name: Nullable(Type.String()),
            list: Nullable(Type.Union([Type.Literal('health'), Type.Literal('whitelist')])),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    (req) => {
      requireRole(req, 'admin');
      const now = s.clock();
      const r = s.scans.alertSubject(req.params.id);
      if (!r) throw new HttpError(404, 'not_found', 'no such alert');
      // The log names the subject by its keyed hash, never by ID or name.
      s.audit.record(now, adminActor(req), 'alert.subject', String(req.params.id), {
        subjectKey: r.subjectKey,
        list: r.list,
      });
      return { subject: r.subject, name: r.name, list: r.list };
    },
  );

  app.post(
    '/alerts/:id/ack',
    {
      schema: {
        summary: 'Acknowledge an alert (the first acknowledgement is kept; again answers it unchanged)',
        tags: ['admin'],
        security: adminSecurity,
        params: Type.Object({ id: RowId() }),
        body: Type.Object(
          { note: Type.Optional(Type.String({ maxLength: 500 })) },
          { description: 'optional' },
        ),
        response: { 200: AlertSchema, ...errors(400, 401, 404) },
      },
      // The body is optional: no body reads as `{}`.
      preValidation: (req, _reply, done) => {
        (req as { body?: unknown }).body ??= {};
        done();
      },
    },
    (req) => {
      const now = s.clock();
      const actor = adminActor(req);
      const note = req.body.note;
      const done = s.db.transaction(() => {
        const r = s.scans.ack(req.params.id, now, actor);
        if (r?.acked)
          s.audit.record(now, actor, 'alert.ack', String(req.params.id), {
            checkpointId: r.alert.checkpointId,
            kioskId: r.alert.kioskId,
            ...(note !== undefined && note !== '' && { note }),
          });
        return r;
      })();
      if (!done) throw new HttpError(404, 'not_found', 'no such alert');
      if (done.acked)
        s.hub.publishAdmin('alert-ack', {
          id: done.alert.id,
          ackedAt: done.alert.ackedAt,
          ackedBy: done.alert.ackedBy,
        });
      return done.alert;
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        summary: 'The audit log: every list change and admin action, newest first',
        tags: ['admin'],
        security: adminSecurity,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          before: Type.Optional(RowId()),
          action: Type.Optional(Type.String({ maxLength: 64 })),
          actor: Type.Optional(Type.String({ maxLength: 200, description: 'exactly this actor' })),
          from: Type.Optional(TimeText),
          to: Type.Optional(TimeText),
          target: Type.Optional(Type.String({ maxLength: 200, description: 'targets starting with this' })),
        }),
        response: {
          200: Type.Object({
            records: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.Integer(),
                actor: Type.String(),
                action: Type.String(),
                target: Nullable(Type.String()),
                details: Type.Unknown(),
              }),
            ),
          }),
          ...errors(400, 401),
        },
      },
    },
    (req) => {
      const q = req.query;
      const from = parseTime('from', q.from);
      const to = parseTime('to', q.to);
      return {
        records: s.audit.list({
          limit: q.limit ?? 100,
          ...(q.before !== undefined && { before: q.before }),
          ...(q.action !== undefined && { action: q.action }),
          ...(q.actor !== undefined && { actor: q.actor }),
          ...(from !== undefined && { from }),
          ...(to !== undefined && { to }),
          ...(q.target !== undefined && q.target !== '' && { targetLike: likePrefix(q.target) }),
          withoutAccounts: req.admin?.role !== 'admin',
        }),
      };
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary:
          'Server-sent events: `hello`, `alert` (an alert as `GET /alerts` shows it), `alert-ack` {id, ackedAt, ackedBy}, ' +
          '`kiosk-status` {kioskId, online}, `list-version` {list, version}; keep-alive comments',
        tags: ['admin'],
        security: adminSecurity,
        produces: ['text/event-stream'],
      },
    },
    (req, reply) => {
      let remove = (): void => undefined;
      let sessionCheck: NodeJS.Timeout | undefined;
      const stream = openSse(
        reply,
        s.sseKeepAliveMs,
        () => {
          clearInterval(sessionCheck);
          remove();
        },
        s.sseMaxBufferBytes,
      );
      // Capped per credential: each console session, and the admin token, keeps its newest streams.
      remove = s.hub.addAdmin(stream, req.admin?.sessionHash ?? 'token');
      // A console stream lives only as long as its session: sign-out, expiry, a disabled
      // account or a changed password/role (which end sessions) close it within seconds.
      const sessionHash = req.admin?.sessionHash;
      if (sessionHash !== undefined) {
        sessionCheck = setInterval(
          () => {
            if (!sessionStillValid(s, sessionHash, s.clock())) stream.close();
          },
          Math.min(5_000, s.sseKeepAliveMs),
        );
        sessionCheck.unref();
      }
      stream.send('hello', { at: s.clock(), ...s.hub.counts() });
    },
  );

  registerStatsRoutes(app, s);
}
