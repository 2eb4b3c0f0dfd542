import { Counter, HealthStatus, WhitelistCategory, type ListName } from '@checkpoint-lane/shared';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { HttpError } from '../../http-error.js';
import { importListCsv } from '../../lists/list-import.js';
import {
  readCheckpointSet,
  readSubjectFields,
  readWindow,
  ROW_ERROR_CODES,
  type HealthRow,
  type ListRow,
  type WhitelistRow,
} from '../../lists/list-rows.js';
import { subjectKeyToHex } from '../../lists/subject-key.js';
import type { UrgentHealthChange } from '../../events/event-hub.js';
import { adminActor } from '../../auth/auth-hooks.js';
import type { Services } from '../../services.js';
import { adminSecurity, EpochOrNull, errors, ListParams, type App } from '../schemas.js';

const ImportQuery = Type.Object({
  partial: Type.Optional(Type.Boolean({ description: 'keep the good rows when some are rejected' })),
  replace: Type.Optional(
    Type.Boolean({ description: 'the file is the whole list: delete entries not in it' }),
  ),
  dryRun: Type.Optional(
    Type.Boolean({ description: 'validate the whole file as an import would and write nothing (200)' }),
  ),
  expectSha256: Type.Optional(
    Type.String({
      pattern: '^[0-9a-fA-F]{64}$',
      description:
        'import only if the body is this file (the `sha256` of its preview); 409 file_changed otherwise',
    }),
  ),
});
const ImportReportSchema = Type.Object({
  version: Type.Integer({ description: 'the list version after the import (unchanged unless applied)' }),
  accepted: Type.Integer({ description: 'rows written; on a dry run, the valid rows' }),
  rejected: Type.Array(
    Type.Object({
      line: Type.Integer({ description: 'the line the row starts on' }),
      reason: Type.String({ description: 'in English' }),
      code: Type.String({ description: `stable: ${ROW_ERROR_CODES.join(', ')}` }),
      params: Type.Optional(
        Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
          description: 'what the reason names, e.g. {field, value} of a bad date (never the row’s ID)',
        }),
      ),
    }),
  ),
  rejectedTotal: Type.Integer(),
  applied: Type.Boolean(),
  dryRun: Type.Boolean(),
  sha256: Type.String({ description: 'SHA-256 (hex) of the body' }),
  rows: Type.Integer({ description: 'data rows read (without the header)' }),
  error: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
const HistoryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(Counter({ minimum: 1, description: 'versions older than this one' })),
});
const SubjectParams = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 64 }) });
const DateText = Type.Union([Type.String({ maxLength: 40 }), Type.Null()], {
  description: 'ISO 8601 or dd/mm/yyyy; a date alone covers the whole day in Vietnam time (UTC+7)',
});
const HealthEntryInput = Type.Object({
  status: HealthStatus,
  since: Type.Optional(DateText),
  until: Type.Optional(DateText),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});
const WhitelistEntryInput = Type.Object({
  category: WhitelistCategory,
  validFrom: Type.Optional(DateText),
  validUntil: Type.Optional(DateText),
  checkpoints: Type.Optional(
    Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }), Type.Null()]),
  ),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});
const StoredEntrySchema = Type.Object({
  list: Type.String(),
  subject: Type.String(),
  key: Type.String(),
  version: Type.Integer(),
  updatedAt: Type.Integer(),
  name: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  status: Type.Optional(Type.String()),
  since: Type.Optional(EpochOrNull),
  until: Type.Optional(EpochOrNull),
  category: Type.Optional(Type.String()),
  validFrom: Type.Optional(EpochOrNull),
  validUntil: Type.Optional(EpochOrNull),
  checkpoints: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});
const WriteResult = Type.Object({ list: Type.String(), version: Type.Integer(), key: Type.String() });

/**
 * An entry as the audit log names it: the list and the subject's keyed hash, never the ID
 * itself (the log is shown to every console account; the entry search finds the hash's owner).
 */
function auditTarget(list: ListName, key: bigint): string {
  return `${list}:${subjectKeyToHex(key)}`;
}

/** Health rows whose status could block somewhere, for the urgent lane push. */
function urgentChanges(rows: readonly ListRow[]): UrgentHealthChange[] {
  return (rows as readonly HealthRow[]).map((r) => ({
    key: subjectKeyToHex(r.key),
    op: 'put' as const,
    entry: { status: r.status, since: r.since, until: r.until },
  }));
}

function subjectOf(s: Services, text: string): { key: bigint; subject: string } {
  const base = readSubjectFields(s.listKey, text, undefined, undefined);
  if (!base.ok) throw new HttpError(400, 'bad_subject', base.reason);
  return { key: base.row.key, subject: base.row.subject };
}

/** `/api/v1/admin/lists/…`: CSV import (with preview), list state and history, single entries. */
export function registerListRoutes(app: App, s: Services): void {
  // The CSV body is handed over as a stream: the importer parses it as it arrives.
  app.addContentTypeParser(['text/csv', 'application/csv', 'text/plain'], (_req, payload, done) => {
    done(null, payload);
  });

  app.post(
    '/lists/:list/import',
    {
      bodyLimit: s.importMaxBytes,
      schema: {
        summary:
          'Import a list from CSV (text/csv); all-or-nothing unless ?partial=true; ?dryRun=true previews, ?expectSha256= commits the previewed file',
        description:
          'health: `id,status,since,until,name,note`; whitelist: `id,category,valid_from,valid_until,checkpoints,name,note`. ' +
          'UTF-8, RFC 4180 quoting. Dates: ISO 8601 or dd/mm/yyyy (Vietnam time when no offset). ' +
          'The header may end with a `reason` column (a downloaded file of rejected rows), which is ignored. ' +
          'Answers 422 with the row report when rejections stopped the import. ' +
          'With `dryRun=true` the file is checked exactly as an import would check it (header, rows, duplicates) and ' +
          'nothing is written: 200 with the report, `applied: false`, `dryRun: true`. Every report carries the ' +
          'body’s `sha256`; with `expectSha256` a different body answers 409 `file_changed` and writes nothing.',
        tags: ['admin'],
        security: adminSecurity,
        consumes: ['text/csv'],
        params: ListParams,
        querystring: ImportQuery,
        response: { 200: ImportReportSchema, 422: ImportReportSchema, ...errors(400, 401, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const list = req.params.list;
      if (req.query.partial === true && req.query.replace === true) {
        throw new HttpError(
          400,
          'partial_replace',
          'replace deletes every entry not in the file, so it cannot keep going past rejected rows: fix the file or drop partial',
        );
      }
      if (!(req.body instanceof Readable)) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'send the CSV as the request body with Content-Type: text/csv',
        );
      }
      const before = s.lists.state(list).version;
      const actor = adminActor(req);
      const report = await importListCsv({
        list,
        body: req.body,
        listKey: s.listKey,
        repo: s.lists,
        now: s.clock(),
        partial: req.query.partial === true,
        replace: req.query.replace === true,
        maxBytes: s.importMaxBytes,
        actor,
        dryRun: req.query.dryRun === true,
        ...(req.query.expectSha256 !== undefined && { expectSha256: req.query.expectSha256 }),
      });
      const { written, ...summary } = report;
      if (summary.dryRun) return reply.send(summary);
      s.audit.record(s.clock(), actor, 'list.import', list, {
        version: summary.version,
        accepted: summary.accepted,
        rejected: summary.rejectedTotal,
        applied: summary.applied,
        partial: req.query.partial === true,
        replace: req.query.replace === true,
        sha256: summary.sha256,
      });
      if (summary.applied && summary.version !== before) {
        s.hub.publishListVersion(
          list,
          summary.version,
          before,
          list === 'health' ? urgentChanges(written) : [],
        );
      }
      if (!summary.applied) {
        return reply.code(422).send({
          ...summary,
          error: 'rows_rejected',
          message: `${summary.rejectedTotal} row(s) rejected; nothing was imported (use ?partial=true to keep the good rows)`,
        });
      }
      return reply.send(summary);
    },
  );

  app.get(
    '/lists/:list/history',
    {
      schema: {
        summary:
          'A list’s version history, newest first: who wrote each version, when, how, how many entries',
        tags: ['admin'],
        security: adminSecurity,
        params: ListParams,
        querystring: HistoryQuery,
        response: {
          200: Type.Object({
            versions: Type.Array(
              Type.Object({
                version: Type.Integer(),
                at: Type.Integer(),
                actor: Type.String(),
                action: Type.String({ description: 'list.import, list.put or list.delete' }),
                changes: Type.Integer({ description: 'entries written or deleted' }),
              }),
            ),
          }),
          ...errors(400, 401),
        },
      },
    },
    (req) => ({
      versions: s.lists.history(req.params.list, {
        limit: req.query.limit ?? 50,
        ...(req.query.before !== undefined && { before: req.query.before }),
      }),
    }),
  );

  app.get(
    '/lists',
    {
      schema: {
        summary: 'Versions and sizes of the lists',
        tags: ['admin'],
        security: adminSecurity,
        response: {
          200: Type.Object({
            lists: Type.Array(
              Type.Object({
                list: Type.String(),
                version: Type.Integer(),
                changesFrom: Type.Integer(),
                count: Type.Integer(),
              }),
            ),
          }),
          ...errors(401),
        },
      },
    },
    () => ({
      lists: (['health', 'whitelist'] as const).map((list) => ({
        list,
        ...s.lists.state(list),
        count: s.lists.count(list),
      })),
    }),
  );

  for (const list of ['health', 'whitelist'] as const) {
    app.get(
      `/lists/${list}/entries/:subject`,
      {
        schema: {
          summary: `One ${list} entry`,
          tags: ['admin'],
          security: adminSecurity,
          params: SubjectParams,
          response: { 200: StoredEntrySchema, ...errors(400, 401, 404) },
        },
      },
      (req) => {
        const { key } = subjectOf(s, req.params.subject);
        const e = s.lists.getEntry(list, key);
        // Looking a person up is itself worth a record (who looked at whose status).
        s.audit.record(s.clock(), adminActor(req), 'list.lookup', auditTarget(list, key), {
          found: e !== null,
        });
        if (!e) throw new HttpError(404, 'not_found', `no ${list} entry for this subject`);
        const key2 = subjectKeyToHex(e.key);
        return e.list === 'health'
          ? { ...e, key: key2 }
          : { ...e, key: key2, checkpoints: e.checkpoints && [...e.checkpoints] };
      },
    );

    app.delete(
      `/lists/${list}/entries/:subject`,
      {
        schema: {
          summary: `Delete one ${list} entry (a new list version)`,
          tags: ['admin'],
          security: adminSecurity,
          params: SubjectParams,
          response: { 200: WriteResult, ...errors(400, 401, 404) },
        },
      },
      (req) => {
        const { key } = subjectOf(s, req.params.subject);
        const now = s.clock();
        const actor = adminActor(req);
        const version = s.db.transaction(() => {
          const v = s.lists.deleteEntry(list, key);
          if (v !== null) {
            s.lists.recordVersion(list, { version: v, at: now, actor, action: 'list.delete', changes: 1 });
            s.audit.record(now, actor, 'list.delete', auditTarget(list, key), { version: v });
          }
          return v;
        })();
        if (version === null) throw new HttpError(404, 'not_found', `no ${list} entry for this subject`);
        s.hub.publishListVersion(list, version, version - 1);
        return { list, version, key: subjectKeyToHex(key) };
      },
    );
  }

  app.put(
    '/lists/health/entries/:subject',
    {
      schema: {
        summary:
          'Create or replace one health entry (a new list version; blocking statuses are pushed at once)',
        tags: ['admin'],
        security: adminSecurity,
        params: SubjectParams,
        body: HealthEntryInput,
        response: { 200: WriteResult, ...errors(400, 401) },
      },
    },
    (req) => {
      const b = req.body;
      const base = readSubjectFields(s.listKey, req.params.subject, b.name, b.note);
      if (!base.ok) throw new HttpError(400, 'bad_subject', base.reason);
      const w = readWindow(b.since ?? '', b.until ?? '', ['since', 'until']);
      if (!w.ok) throw new HttpError(400, 'bad_date', w.reason);
      const row: HealthRow = { ...base.row, status: b.status, since: w.row.start, until: w.row.end };
      return writeOne(s, adminActor(req), 'health', row, {
        status: b.status,
        since: row.since,
        until: row.until,
      });
    },
  );

  app.put(
    '/lists/whitelist/entries/:subject',
    {
      schema: {
        summary: 'Create or replace one whitelist entry (a new list version)',
        tags: ['admin'],
        security: adminSecurity,
        params: SubjectParams,
        body: WhitelistEntryInput,
        response: { 200: WriteResult, ...errors(400, 401) },
      },
    },
    (req) => {
      const b = req.body;
      const base = readSubjectFields(s.listKey, req.params.subject, b.name, b.note);
      if (!base.ok) throw new HttpError(400, 'bad_subject', base.reason);
      const w = readWindow(b.validFrom ?? '', b.validUntil ?? '', ['validFrom', 'validUntil']);
      if (!w.ok) throw new HttpError(400, 'bad_date', w.reason);
      const set = readCheckpointSet((b.checkpoints ?? []).join(';'));
      if (!set.ok) throw new HttpError(400, 'bad_checkpoints', set.reason);
      const row: WhitelistRow = {
        ...base.row,
        category: b.category,
        validFrom: w.row.start,
        validUntil: w.row.end,
        checkpoints: set.row,
      };
      return writeOne(s, adminActor(req), 'whitelist', row, {
        category: b.category,
        validFrom: row.validFrom,
        validUntil: row.validUntil,
      });
    },
  );
}

function writeOne(
  s: Services,
  actor: string,
  list: ListName,
  row: ListRow,
  what: object,
): { list: ListName; version: number; key: string } {
  const now = s.clock();
  const version = s.db.transaction(() => {
    const v = s.lists.writeRows(list, [row], { now });
    s.lists.recordVersion(list, { version: v, at: now, actor, action: 'list.put', changes: 1 });
    s.audit.record(now, actor, 'list.put', auditTarget(list, row.key), { version: v, ...what });
    return v;
  })();
  s.hub.publishListVersion(list, version, version - 1, list === 'health' ? urgentChanges([row]) : []);
  return { list, version, key: subjectKeyToHex(row.key) };
}
