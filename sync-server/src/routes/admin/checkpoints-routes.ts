import {
  CHECKPOINT_DEFAULTS,
  CheckpointConfig,
  CheckpointId,
  CheckpointMode,
  HealthStatus,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import { adminActor } from '../../auth/auth-hooks.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const CheckpointInput = Type.Object({
  id: CheckpointId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  mode: CheckpointMode,
  freshnessBudgetSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600 })),
  blockingStatuses: Type.Optional(Type.Array(HealthStatus, { uniqueItems: true, maxItems: 6 })),
  repeatWindowSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
});

/** `/api/v1/admin/checkpoints`: create/update and list checkpoints. */
export function registerCheckpointRoutes(app: App, s: Services): void {
  app.post(
    '/checkpoints',
    {
      schema: {
        summary: 'Create or update a checkpoint (unset settings take the defaults)',
        tags: ['admin'],
        security: adminSecurity,
        body: CheckpointInput,
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
      const now = s.clock();
      const created = s.db.transaction(() => {
        const c = s.checkpoints.upsert(config, now);
        s.audit.record(
          now,
          adminActor(req),
          c ? 'checkpoint.create' : 'checkpoint.update',
          config.id,
          config,
        );
        return c;
      })();
      s.hub.publishCheckpoint(config.id, config);
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
        response: { 200: Type.Object({ checkpoints: Type.Array(CheckpointConfig) }), ...errors(401) },
      },
    },
    () => ({ checkpoints: s.checkpoints.list() }),
  );
}
