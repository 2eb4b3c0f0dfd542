// The admin API's checkpoints (`/api/v1/admin/checkpoints`): what each route takes and answers.
// A checkpoint is answered as the `CheckpointConfig` its lanes get (schemas/checkpoint-schemas.ts)
// and its key scope, which only the admin API shows.
import Type from 'typebox';
import { HealthStatus } from '../../schemas/list-schemas.js';
import { CheckpointConfig, CheckpointId, CheckpointMode } from '../../schemas/checkpoint-schemas.js';
import { KeyScope } from './list-keys.js';
import { SafeText } from '../safe-text.js';

/** Where a checkpoint stands: WGS 84 degrees (replay alerts measure the distance between checkpoints). */
export const CheckpointLocationSchema = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
});
/** A checkpoint's location. */
export type CheckpointLocation = Type.Static<typeof CheckpointLocationSchema>;

/**
 * `POST /checkpoints` body: create or update (answered 201 or 200 with the `CheckpointView`).
 * Unset settings keep a checkpoint's current ones, or take the defaults for a new one.
 */
export const CheckpointInputSchema = Type.Object({
  id: CheckpointId,
  name: SafeText({ minLength: 1, maxLength: 200 }),
  mode: CheckpointMode,
  freshnessBudgetSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600 })),
  blockingStatuses: Type.Optional(Type.Array(HealthStatus, { uniqueItems: true, maxItems: 6 })),
  repeatWindowSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })),
  /** Vehicle mode for the checkpoint's lanes (issue 15); unset keeps what the checkpoint has (new: off). */
  vehicleMode: Type.Optional(Type.Boolean()),
  /** The checkpoints sharing its list key (a province code); `fleet` puts it back in the default scope. */
  keyScope: Type.Optional(KeyScope),
  /** Where the checkpoint stands (issue 16); null removes it, unset keeps the current one. */
  location: Type.Optional(Type.Union([CheckpointLocationSchema, Type.Null()])),
});
/** `POST /checkpoints` body. */
export type CheckpointInput = Type.Static<typeof CheckpointInputSchema>;

/** A checkpoint as the admin API answers it: the config its lanes get, and its key scope. */
export const CheckpointViewSchema = Type.Object({
  ...CheckpointConfig.properties,
  keyScope: KeyScope,
  /** Where the checkpoint stands; null when not given. */
  location: Type.Optional(Type.Union([CheckpointLocationSchema, Type.Null()])),
});
/** A checkpoint as the admin API answers it. */
export type CheckpointView = Type.Static<typeof CheckpointViewSchema>;

/** `GET /checkpoints`: every checkpoint, by id. */
export const CheckpointListSchema = Type.Object({ checkpoints: Type.Array(CheckpointViewSchema) });
/** `GET /checkpoints` answer. */
export type CheckpointList = Type.Static<typeof CheckpointListSchema>;
