import {
  CHECKPOINT_DEFAULTS,
  CheckpointConfig,
  CheckpointInputSchema,
  CheckpointListSchema,
} from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** `/api/v1/admin/checkpoints`: create/update and list checkpoints. */
export function registerCheckpointRoutes(app: App, s: Services): void {
  app.post(
    '/checkpoints',
    {
      schema: {
        summary: 'Create or update a checkpoint (unset settings take the defaults)',
        tags: ['admin'],
        security: adminSecurity,
        body: CheckpointInputSchema,
        response: { 200: CheckpointConfig, 201: CheckpointConfig, ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const existing = s.checkpoints.get(b.id);
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
      };
      const created = s.checkpoints.save(config, s.clock(), adminActor(req));
      s.hub.publishCheckpoint(config.id, config, s.signer.signCheckpoint(config));
      await reply.code(created ? 201 : 200).send(config);
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
    () => ({ checkpoints: s.checkpoints.list() }),
  );
}
