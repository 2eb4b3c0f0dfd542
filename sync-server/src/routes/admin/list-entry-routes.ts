import {
  HealthEntryInputSchema,
  LIST_NAMES,
  ListEntrySchema,
  ListEntryWriteSchema,
  ListSubjectParamsSchema,
  WhitelistEntryInputSchema,
  type HealthEntryInput,
  type ListEntryView,
  type ListEntryWrite,
  type ListName,
  type WhitelistEntryInput,
} from '@checkpoint-lane/shared';
import type { FastifyRequest } from 'fastify';
import { adminActor } from '../../auth/auth-hooks.js';
import type { StoredEntry } from '../../db/repositories/lists-repository.js';
import { HttpError } from '../../http-error.js';
import type { ListRows } from '../../lists/list-kinds.js';
import { readCheckpointSet, readSubjectFields, readWindow, type RowBase } from '../../lists/list-rows.js';
import type { ListWriterStore } from '../../db/store/store.js';
import { entryAuditTarget, publishListWrite } from '../../lists/list-writer.js';
import { subjectKeyToHex } from '../../lists/subject-key.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** The subject of an entry route as written by an admin (ID, passport number or plate). */
function subjectOf(s: Services, text: string, name?: string, note?: string): RowBase {
  const base = readSubjectFields(s.listKey, text, name, note);
  if (!base.ok) throw new HttpError(400, 'bad_subject', base.error.reason);
  return base.value;
}

/** A validity window from an admin's date texts (400 `bad_date`). */
function windowOf(
  from: string | null | undefined,
  until: string | null | undefined,
  names: readonly [string, string],
): { start: number | null; end: number | null } {
  const w = readWindow(from ?? '', until ?? '', names);
  if (!w.ok) throw new HttpError(400, 'bad_date', w.error.reason);
  return w.value;
}

/** A health entry from a put's path and body. */
function healthRow(s: Services, subject: string, b: HealthEntryInput): ListRows['health'] {
  const base = subjectOf(s, subject, b.name, b.note);
  const w = windowOf(b.since, b.until, ['since', 'until']);
  return { ...base, status: b.status, since: w.start, until: w.end };
}

/** A whitelist entry from a put's path and body. */
function whitelistRow(s: Services, subject: string, b: WhitelistEntryInput): ListRows['whitelist'] {
  const base = subjectOf(s, subject, b.name, b.note);
  const w = windowOf(b.validFrom, b.validUntil, ['validFrom', 'validUntil']);
  const set = readCheckpointSet((b.checkpoints ?? []).join(';'));
  if (!set.ok) throw new HttpError(400, 'bad_checkpoints', set.error.reason);
  return { ...base, category: b.category, validFrom: w.start, validUntil: w.end, checkpoints: set.value };
}

/** A stored entry as the admin API answers it: the keyed hash in hex. */
function entryView(e: StoredEntry): ListEntryView {
  const view = { ...e, key: subjectKeyToHex(e.key) };
  return 'checkpoints' in view ? { ...view, checkpoints: view.checkpoints && [...view.checkpoints] } : view;
}

/**
 * `/api/v1/admin/lists/{health|whitelist}/entries/:subject`: look one entry up (audited), put
 * or delete one (each a new version through the writer, then published).
 */
export function registerListEntryRoutes(app: App, s: Services, writer: ListWriterStore): void {
  const put = async <L extends ListName>(
    req: FastifyRequest,
    list: L,
    row: ListRows[L],
  ): Promise<ListEntryWrite> => {
    const w = await writer.putEntry(list, row, { now: s.clock(), actor: adminActor(req) });
    await publishListWrite(s.hub, w);
    return { list, version: w.version, key: subjectKeyToHex(row.key) };
  };

  for (const list of LIST_NAMES) {
    app.get(
      `/lists/${list}/entries/:subject`,
      {
        schema: {
          summary: `One ${list} entry`,
          tags: ['admin'],
          security: adminSecurity,
          params: ListSubjectParamsSchema,
          response: { 200: ListEntrySchema, ...errors(400, 401, 404) },
        },
      },
      async (req) => {
        const { key } = subjectOf(s, req.params.subject);
        const e = await s.lists.getEntry(list, key);
        // Looking a person up is itself worth a record (who looked at whose status).
        await s.audit.record(s.clock(), adminActor(req), 'list.lookup', entryAuditTarget(list, key), {
          found: e !== null,
        });
        if (!e) throw new HttpError(404, 'not_found', `no ${list} entry for this subject`);
        return entryView(e);
      },
    );

    app.delete(
      `/lists/${list}/entries/:subject`,
      {
        schema: {
          summary: `Delete one ${list} entry (a new list version)`,
          tags: ['admin'],
          security: adminSecurity,
          params: ListSubjectParamsSchema,
          response: { 200: ListEntryWriteSchema, ...errors(400, 401, 404) },
        },
      },
      async (req) => {
        const { key } = subjectOf(s, req.params.subject);
        const r = await writer.deleteEntry(list, key, { now: s.clock(), actor: adminActor(req) });
        if (!r.ok) throw new HttpError(404, 'not_found', `no ${list} entry for this subject`);
        await publishListWrite(s.hub, r.value);
        return { list, version: r.value.version, key: subjectKeyToHex(key) };
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
        params: ListSubjectParamsSchema,
        body: HealthEntryInputSchema,
        response: { 200: ListEntryWriteSchema, ...errors(400, 401) },
      },
    },
    (req) => put(req, 'health', healthRow(s, req.params.subject, req.body)),
  );

  app.put(
    '/lists/whitelist/entries/:subject',
    {
      schema: {
        summary: 'Create or replace one whitelist entry (a new list version)',
        tags: ['admin'],
        security: adminSecurity,
        params: ListSubjectParamsSchema,
        body: WhitelistEntryInputSchema,
        response: { 200: ListEntryWriteSchema, ...errors(400, 401) },
      },
    },
    (req) => put(req, 'whitelist', whitelistRow(s, req.params.subject, req.body)),
  );
}
