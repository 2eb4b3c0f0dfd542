import { EnrollmentAnswerSchema, EnrollmentRequestSchema } from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import { generateEnrollmentCode, hashToken, normalizeEnrollmentCode } from '../../auth/tokens.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** `/api/v1/admin/enrollments`: one-time codes that enroll a lane at a checkpoint. */
export function registerEnrollmentRoutes(app: App, s: Services): void {
  const fleet = s.store.fleet;
  app.post(
    '/enrollments',
    {
      schema: {
        summary: 'A one-time code to enroll a lane at a checkpoint',
        tags: ['admin'],
        security: adminSecurity,
        body: EnrollmentRequestSchema,
        response: { 201: EnrollmentAnswerSchema, ...errors(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const { checkpointId } = req.body;
      if (!(await s.checkpoints.get(checkpointId)))
        throw new HttpError(404, 'unknown_checkpoint', 'no such checkpoint');
      const code = generateEnrollmentCode();
      const now = s.clock();
      const expiresAt = now + (req.body.ttlSec ?? s.enrollmentTtlSec) * 1000;
      await fleet.createEnrollmentCode(
        hashToken(normalizeEnrollmentCode(code)),
        checkpointId,
        now,
        expiresAt,
        adminActor(req),
      );
      return reply.code(201).send({ code, expiresAt: new Date(expiresAt).toISOString(), checkpointId });
    },
  );
}
