import type { Migration } from './migration.js';

/**
 * Vehicle mode per checkpoint (issue 15): `checkpoints.vehicle_mode`, 1 when the checkpoint's
 * lanes link the people scanned after a plate to that vehicle (the lane's `--vehicle-mode` turns it
 * on too). Existing checkpoints stay off.
 */
export const migration008: Migration = {
  version: 8,
  name: 'vehicle-mode',
  up(db) {
    db.exec(`
      ALTER TABLE checkpoints ADD COLUMN vehicle_mode INTEGER NOT NULL DEFAULT 0 CHECK (vehicle_mode IN (0, 1));
    `);
  },
};
