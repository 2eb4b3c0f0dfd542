import { randomUUID } from 'node:crypto';
import { EnrollAnswer, EnrollRequest } from '@checkpoint-lane/shared';
import { generateToken, hashToken, normalizeEnrollmentCode } from '../../auth/tokens.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { errors, type App } from '../schemas.js';

/**
 * `POST /api/v1/kiosk/enroll`: a one-time code becomes a lane's kiosk id, token, config, the
 * current list key of its checkpoint's key scope (with its id) and the scan seal public key.
 */
export function registerEnrollRoute(app: App, s: Services): void {
  const work = s.store.lane;
  app.post(
    '/enroll',
    {
      config: { rateLimit: { max: s.enrollRateLimit, timeWindow: 60_000 } },
      schema: {
        summary: 'Enroll a lane with a one-time code (rate limited)',
        tags: ['kiosk'],
        body: EnrollRequest,
        response: { 201: EnrollAnswer, ...errors(400, 403, 429) },
      },
    },
    async (req, reply) => {
      const laneId = randomUUID();
      const token = generateToken('ck_');
      const now = s.clock();
      const res = await work.enroll(
        hashToken(normalizeEnrollmentCode(req.body.code)),
        { id: laneId, name: req.body.name.trim(), tokenHash: hashToken(token) },
        now,
      );
      if (!res)
        throw new HttpError(
          403,
          'bad_enrollment_code',
          'the enrollment code is unknown, expired or already used',
        );
      const checkpoint = await s.checkpoints.get(res.checkpointId);
      if (!checkpoint)
        throw new HttpError(404, 'unknown_checkpoint', 'the checkpoint of this code no longer exists');
      const listKey = await s.listKeys.forCheckpoint(res.checkpointId);
      req.log.info({ kioskId: laneId, checkpointId: res.checkpointId }, 'kiosk enrolled');
      return reply.code(201).send({
        kioskId: laneId,
        token,
        checkpoint: { ...checkpoint, blockingStatuses: [...checkpoint.blockingStatuses] },
        listKey: listKey.key.toString('base64'),
        listKeyId: listKey.id,
        scanSealKey: s.scanSeal.publicKeyBase64(),
        // Pinned by the lane: it takes list data signed by these keys (or keys they endorse) only.
        listSigningKeys: s.signer.publicKeys(),
      });
    },
  );
}
