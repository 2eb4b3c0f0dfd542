import { runMigrations as runSchemaMigrations, schemaVersion } from '@checkpoint-lane/shared';
import type Database from 'better-sqlite3';
import { migration001 } from './migrations/001-initial.js';
import { migration002 } from './migrations/002-whitelist-here-only.js';
import { migration003 } from './migrations/003-list-keys.js';
import { migration004 } from './migrations/004-outbox-health-status.js';
import { migration005 } from './migrations/005-open-vehicle.js';
import { migration006 } from './migrations/006-pass-directory.js';

import type { Migration } from './migrations/migration.js';

export type { Migration };

/** Every migration, in order. Append only: a lane's unsent scans must survive every upgrade. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
];

export { schemaVersion };

/** Brings a lane store up to date (see the shared runner); refuses one written by a newer agent. */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  return runSchemaMigrations(db, migrations, 'agent');
}
