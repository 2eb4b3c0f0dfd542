import type { Migration } from './migration.js';

/**
 * A lane keeps only the whitelist entries valid at its own checkpoint (or everywhere): the
 * entries an older server sent for other checkpoints go. The list's version stays: what is
 * left is exactly what a server that scopes its lists sends at that version.
 */
export const migration002: Migration = {
  version: 2,
  name: 'whitelist-here-only',
  up(db) {
    db.exec('DELETE FROM whitelist_entries WHERE valid_here = 0');
  },
};
