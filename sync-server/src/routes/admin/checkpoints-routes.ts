import {
  CHECKPOINT_DEFAULTS,
  CheckpointConfig,
  CheckpointInputSchema,
  CheckpointListSchema,
  CheckpointViewSchema,
  type CheckpointView,
} from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import { publishListKey } from '../../lists/list-key-events.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/**
 * `/api/v1/admin/checkpoints`: create/update and list checkpoints. A checkpoint moved to another
 * key scope has its connected lanes told the new scope's key id (`list-key`).
 */
export function registerCheckpointRoutes(app: App, s: Services): void {
  app.post(
    '/checkpoints',
    {
      schema: {
        summary:
          'Create or update a checkpoint (unset settings keep the current ones or take the defaults; a new key scope tells its lanes the new list key id)',
        tags: ['admin'],
        security: adminSecurity,
        body: CheckpointInputSchema,
        response: { 200: CheckpointViewSchema, 201: CheckpointViewSchema, ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const existing = await s.checkpoints.get(b.id);
      const config: CheckpointConfig = {
        id: b.id,
        name: b.name.trim(),
        mode: b.mode,
        freshnessBudgetSec:
          b.freshnessBudgetSec ?? existing?.freshnessBudgetSec ?? CHECKPOINT_DEFAULTS.freshnessBudgetSec,
        blockingStatuses: b.blockingStatuses ??
          existing?.blockingStatuses ?? [...CHECKPOINT_DEFAULTS.blockingStatuses],
        repeatWindowSec:
          b.repeatWindowSec ?? existing?.repeatWindowSec ?? CHECKPOINT_DEFAULTS.repeatWindowSec,
        ...((b.vehicleMode ?? existing?.vehicleMode) === true && { vehicleMode: true }),
      };
      const scopeBefore = existing ? await s.listKeys.scopeOf(b.id) : null;
      const created = await s.checkpoints.save(config, s.clock(), adminActor(req), b.keyScope, b.location);
      s.hub.publishCheckpoint(config.id, config, s.signer.checkpointSignatures(config));
      const view = await s.checkpoints.view(config.id);
      if (!view) throw new Error('a saved checkpoint is missing');
      if (scopeBefore !== null && scopeBefore !== view.keyScope) {
        const key = await s.listKeys.current(view.keyScope);
        const told = await publishListKey(s.kiosks, s.hub, [config.id], key.id);
        req.log.info({ keyId: key.id, lanesTold: told }, 'checkpoint moved to another key scope');
      }
      await reply.code(created ? 201 : 200).send(view satisfies CheckpointView);
    },
  );

  app.get(
    '/checkpoints',
    {
      schema: {
        summary: 'List checkpoints',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: CheckpointListSchema, ...errors(401) },
      },
    },
    async () => ({ checkpoints: await s.checkpoints.views() }),
  );
}
