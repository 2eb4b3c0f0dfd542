import Type from 'typebox';
import { HealthStatus } from './list-schemas.js';

/** `open`: everyone passes unless flagged. `closed`: only whitelisted subjects pass. */
export const CheckpointMode = Type.Union([Type.Literal('open'), Type.Literal('closed')]);
/** Checkpoint mode. */
export type CheckpointMode = Type.Static<typeof CheckpointMode>;

/** Identifier of a checkpoint: short, URL- and CSV-safe. */
export const CheckpointId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

/** A checkpoint's decision settings, as the server sends them to its lanes. */
export const CheckpointConfig = Type.Object({
  id: CheckpointId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  mode: CheckpointMode,
  /** Lists older than this (since their last successful sync) turn would-be greens amber. */
  freshnessBudgetSec: Type.Integer({ minimum: 60, maximum: 30 * 24 * 3600 }),
  /** Health statuses that make a subject red (and raise an urgent alert). */
  blockingStatuses: Type.Array(HealthStatus, { uniqueItems: true, maxItems: 6 }),
  /** The same code again at the same lane within this window makes no new record. */
  repeatWindowSec: Type.Integer({ minimum: 0, maximum: 600 }),
  /**
   * Vehicle mode (issue 15): a plate scan opens a vehicle, and the people scanned after it at a
   * lane belong to it (until the next plate, "Xe đã qua", or 10 minutes after the plate). Absent
   * (older servers) means off; a lane's `--vehicle-mode` turns it on whatever this says. Covered
   * by the CLCFG2 signature (`checkpointSignatureV2`), not by CLCFG1, which predates it: a lane
   * takes a change of it only under CLCFG2 (kiosk/src/sync/config-trust.ts).
   */
  vehicleMode: Type.Optional(Type.Boolean()),
});
/** A checkpoint's decision settings. */
export type CheckpointConfig = Readonly<Type.Static<typeof CheckpointConfig>>;

/** Defaults from the product brief's decision table. */
export const CHECKPOINT_DEFAULTS = {
  freshnessBudgetSec: 6 * 3600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
} as const satisfies Omit<CheckpointConfig, 'id' | 'name' | 'mode'>;
