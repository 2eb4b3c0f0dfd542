import { runMigrations as runSchemaMigrations, schemaVersion } from '@checkpoint-lane/shared';
import type Database from 'better-sqlite3';
import { migration001 } from './migrations/001-initial.js';
import { migration002 } from './migrations/002-admin-console.js';
import { migration003 } from './migrations/003-officers.js';
import { migration004 } from './migrations/004-lane-outcomes.js';
import { migration005 } from './migrations/005-signed-lists.js';
import { migration006 } from './migrations/006-key-scopes.js';
import { migration007 } from './migrations/007-traces.js';
import { migration008 } from './migrations/008-vehicle-mode.js';
import { migration009 } from './migrations/009-trace-hop2-limit.js';
import { migration010 } from './migrations/010-passes.js';
import { migration011 } from './migrations/011-replay-arrivals.js';
import { migration012 } from './migrations/012-gates.js';
import { migration013 } from './migrations/013-gate-fault-flaps.js';

import type { Migration } from './migrations/migration.js';

export type { Migration };

/** Every migration, in order. Append only: never edit or renumber a shipped migration. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
  migration012,
  migration013,
];

export { schemaVersion };

/** Brings the server's database up to date (see the shared runner); refuses a newer one. */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  return runSchemaMigrations(db, migrations, 'server');
}
