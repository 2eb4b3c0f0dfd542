import type { Migration } from './migration.js';

/**
 * Vehicle mode (issue 15): the vehicle open at this lane survives a restart. One row at most:
 * the plate scan's record id (the vehicle's id, already the outbox's), when it opened, and
 * whether its plate is a green-lane plate here (a whitelist fact the scan record does not
 * keep). No plate and no ID: its passengers, their count and colours are the outbox's scans
 * that carry this vehicle id, read again at start.
 */
export const migration005: Migration = {
  version: 5,
  name: 'open-vehicle',
  up(db) {
    db.exec(`
      CREATE TABLE open_vehicle (
        slot       INTEGER PRIMARY KEY CHECK (slot = 1),
        vehicle_id TEXT NOT NULL,
        opened_at  INTEGER NOT NULL,
        green_lane INTEGER NOT NULL CHECK (green_lane IN (0, 1))
      ) STRICT;
    `);
  },
};
