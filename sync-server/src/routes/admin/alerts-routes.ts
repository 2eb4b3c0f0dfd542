import {
  AlertAckBodySchema,
  AlertIdParamsSchema,
  AlertRecordSchema,
  AlertsAnswerSchema,
  AlertsQuerySchema,
  AlertSubjectSchema,
  type AdminEventData,
  type AlertRecord,
  type AlertsAnswer,
  type AlertSubject,
} from '@checkpoint-lane/shared';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** `/api/v1/admin/alerts…`: alerts, who one is about (admins only, audited), acknowledging one. */
export function registerAlertRoutes(app: App, s: Services): void {
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
        querystring: AlertsQuerySchema,
        response: { 200: AlertsAnswerSchema, ...errors(400, 401) },
      },
    },
    async (req): Promise<AlertsAnswer> => ({
      alerts: await s.scans.alerts({
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
        params: AlertIdParamsSchema,
        response: { 200: AlertSubjectSchema, ...errors(401, 403, 404) },
      },
    },
    async (req): Promise<AlertSubject> => {
      requireRole(req, 'admin');
      const now = s.clock();
      const r = await s.scans.alertSubject(req.params.id);
      if (!r) throw new HttpError(404, 'not_found', 'no such alert');
      // The log names the subject by its keyed hash, never by ID or name.
      await s.audit.record(now, adminActor(req), 'alert.subject', String(req.params.id), {
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
        params: AlertIdParamsSchema,
        body: AlertAckBodySchema,
        response: { 200: AlertRecordSchema, ...errors(400, 401, 404) },
      },
      // The body is optional: no body reads as `{}`.
      preValidation: (req, _reply, done) => {
        (req as { body?: unknown }).body ??= {};
        done();
      },
    },
    async (req): Promise<AlertRecord> => {
      const done = await s.scans.acknowledge(req.params.id, s.clock(), adminActor(req), req.body.note);
      if (!done) throw new HttpError(404, 'not_found', 'no such alert');
      if (done.acked) {
        const event: AdminEventData<'alert-ack'> = {
          id: done.alert.id,
          ackedAt: done.alert.ackedAt,
          ackedBy: done.alert.ackedBy,
        };
        s.hub.publishAdmin('alert-ack', event);
      }
      return done.alert;
    },
  );
}
