import {
  ListKeyRotateAnswerSchema,
  ListKeyRotateRequestSchema,
  ListKeysAnswerSchema,
  type ListKeyRotateAnswer,
  type ListKeysAnswer,
} from '@checkpoint-lane/shared';
import { adminActor, requireRole } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import { publishListKey } from '../../lists/list-key-events.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/**
 * `/api/v1/admin/lists/keys`: the list keys K per key scope (ids and dates, never key bytes) and
 * the rotation of a checkpoint's scope. A rotation retires the scope's key, makes a new one,
 * audits `lists.rotate-key` in the same transaction, then tells the scope's connected lanes
 * (`list-key`); the others learn it from their next heartbeat.
 */
export function registerListKeyRoutes(app: App, s: Services): void {
  app.get(
    '/lists/keys',
    {
      schema: {
        summary: 'The key scopes: each one’s current list key id, when it was made, and its checkpoints',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: ListKeysAnswerSchema, ...errors(401) },
      },
    },
    async (): Promise<ListKeysAnswer> => ({ scopes: await s.listKeys.scopes() }),
  );

  app.post(
    '/lists/keys/rotate',
    {
      schema: {
        summary:
          'Rotate the list key of a checkpoint’s key scope: lanes of every checkpoint in the scope fetch the new key and take new snapshots',
        tags: ['admin'],
        security: adminSecurity,
        body: ListKeyRotateRequestSchema,
        response: { 200: ListKeyRotateAnswerSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (req): Promise<ListKeyRotateAnswer> => {
      requireRole(req, 'admin');
      const { checkpointId } = req.body;
      if (!(await s.checkpoints.get(checkpointId)))
        throw new HttpError(404, 'unknown_checkpoint', 'no such checkpoint');
      const now = s.clock();
      const scope = await s.listKeys.scopeOf(checkpointId);
      const key = await s.listKeys.rotate(scope, now, 'rotate', (k) => ({
        at: now,
        actor: adminActor(req),
        action: 'lists.rotate-key',
        target: scope,
        details: { keyId: k.id, reason: 'rotate', checkpointId },
      }));
      const checkpoints = await s.listKeys.checkpointsIn(scope);
      const told = await publishListKey(s.kiosks, s.hub, checkpoints, key.id);
      req.log.info({ keyId: key.id, lanesTold: told }, 'list key rotated');
      return { scope, keyId: key.id, checkpoints };
    },
  );
}
