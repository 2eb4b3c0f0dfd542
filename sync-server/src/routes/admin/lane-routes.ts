import {
  LaneIdParamsSchema,
  LanesAnswerSchema,
  LaneViewSchema,
  type LaneView,
} from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import { publishListKey } from '../../lists/list-key-events.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** `/api/v1/admin/kiosks…`: the lane fleet and revoking a lane ("kiosk" is the API's word). */
export function registerLaneRoutes(app: App, s: Services): void {
  const fleet = s.store.fleet;
  app.get(
    '/kiosks',
    {
      schema: {
        summary: 'The fleet: last heartbeat, list versions, backlog, devices, online state',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: LanesAnswerSchema, ...errors(401) },
      },
    },
    async () => ({
      kiosks: (await s.kiosks.list()).map((k): LaneView => ({ ...k, online: s.fleet.isOnline(k.id) })),
    }),
  );

  app.post(
    '/kiosks/:id/revoke',
    {
      schema: {
        summary:
          'Revoke a lane: its token stops working at once; the list key of its key scope is rotated and the scope’s other lanes told',
        tags: ['admin'],
        security: adminSecurity,
        params: LaneIdParamsSchema,
        response: { 200: LaneViewSchema, ...errors(401, 404) },
      },
    },
    async (req): Promise<LaneView> => {
      const laneId = req.params.id;
      const revocation = await fleet.revokeLane(laneId, s.clock(), adminActor(req));
      if (!revocation) throw new HttpError(404, 'not_found', 'no such kiosk');
      s.hub.publishLane(laneId, { type: 'revoked', data: { kioskId: laneId } });
      s.hub.closeLane(laneId);
      s.fleet.forget(laneId);
      const key = revocation.rotated;
      if (key) {
        const told = await publishListKey(s.kiosks, s.hub, await s.listKeys.checkpointsIn(key.scope), key.id);
        req.log.info({ keyId: key.id, lanesTold: told }, 'list key rotated: a lane of its scope was revoked');
      }
      const k = await s.kiosks.get(laneId);
      if (!k) throw new HttpError(404, 'not_found', 'no such kiosk');
      return { ...k, online: false };
    },
  );
}
