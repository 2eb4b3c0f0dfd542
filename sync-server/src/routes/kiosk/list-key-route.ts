import { ListKeyAnswer } from '@checkpoint-lane/shared';
import { requireLane } from '../../auth/auth-hooks.js';
import type { Services } from '../../services.js';
import { errors, kioskSecurity, type App } from '../schemas.js';

/**
 * `GET /api/v1/kiosk/list-key` (behind the kiosk token, so a revoked lane is refused): the
 * current list key K of the lane's key scope, its id, and the public key scans are sealed to.
 */
export function registerListKeyRoute(app: App, s: Services): void {
  app.get(
    '/list-key',
    {
      schema: {
        summary:
          'The current list key of this lane’s key scope (with its id) and the public key scan subjects are sealed to',
        tags: ['kiosk'],
        security: kioskSecurity,
        response: { 200: ListKeyAnswer, ...errors(401) },
      },
    },
    async (req, reply): Promise<ListKeyAnswer> => {
      const lane = requireLane(req);
      const key = await s.listKeys.forCheckpoint(lane.checkpointId);
      void reply.header('cache-control', 'no-store');
      return {
        keyId: key.id,
        listKey: key.key.toString('base64'),
        scanSealKey: s.scanSeal.publicKeyBase64(),
      };
    },
  );
}
