import type { Migration } from './migration.js';

/**
 * Each list records the id of the list key K its entries are keyed with (`list_state.key_id`):
 * a list is keyed with exactly one key, switched with its table when a snapshot keyed with
 * another key is swapped in. Lists kept before key scopes are keyed with the fleet-wide key 0.
 */
export const migration003: Migration = {
  version: 3,
  name: 'list-keys',
  up(db) {
    db.exec('ALTER TABLE list_state ADD COLUMN key_id INTEGER NOT NULL DEFAULT 0 CHECK (key_id >= 0)');
  },
};
