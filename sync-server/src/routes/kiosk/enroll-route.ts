import { randomUUID } from 'node:crypto';
import { CheckpointConfig } from '@checkpoint-lane/shared';
import Type from 'typebox';
import { generateToken, hashToken, normalizeEnrollmentCode } from '../../auth/tokens.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { errors, type App } from '../schemas.js';

/** `POST /api/v1/kiosk/enroll`: a one-time code becomes a kiosk id, token, config and list key. */
export function registerEnrollRoute(app: App, s: Services): void {
  app.post(
    '/enroll',
    {
      config: { rateLimit: { max: s.enrollRateLimit, timeWindow: 60_000 } },
      schema: {
        summary: 'Enroll a lane with a one-time code (rate limited)',
        tags: ['kiosk'],
        body: Type.Object({
          code: Type.String({ minLength: 4, maxLength: 32 }),
          name: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        response: {
          201: Type.Object({
            kioskId: Type.String(),
            token: Type.String(),
            checkpoint: CheckpointConfig,
            listKey: Type.String({ description: 'base64 of the 32-byte list key K' }),
          }),
          ...errors(400, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const kioskId = randomUUID();
      const token = generateToken('ck_');
      const now = s.clock();
      const res = s.db.transaction(() => {
        const r = s.kiosks.enroll(
          hashToken(normalizeEnrollmentCode(req.body.code)),
          { id: kioskId, name: req.body.name.trim(), tokenHash: hashToken(token) },
          now,
        );
        if (r)
          s.audit.record(now, `kiosk:${kioskId}`, 'kiosk.enroll', r.checkpointId, {
            name: req.body.name.trim(),
          });
        return r;
      })();
      if (!res)
        throw new HttpError(
          403,
          'bad_enrollment_code',
          'the enrollment code is unknown, expired or already used',
        );
      const checkpoint = s.checkpoints.get(res.checkpointId);
      if (!checkpoint)
        throw new HttpError(404, 'unknown_checkpoint', 'the checkpoint of this code no longer exists');
      req.log.info({ kioskId, checkpointId: res.checkpointId }, 'kiosk enrolled');
      return reply.code(201).send({
        kioskId,
        token,
        checkpoint: { ...checkpoint, blockingStatuses: [...checkpoint.blockingStatuses] },
        listKey: s.listKey.toString('base64'),
      });
    },
  );
}
