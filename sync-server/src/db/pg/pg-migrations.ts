import { pgMigration001 } from './migrations/001-lists-and-lanes.js';
import { pgMigration002 } from './migrations/002-scans.js';
import { pgMigration003 } from './migrations/003-admin-console.js';
import { pgMigration004 } from './migrations/004-snapshot-cache.js';
import { pgMigration005 } from './migrations/005-limits.js';
import { pgMigration006 } from './migrations/006-traces.js';
import { pgMigration007 } from './migrations/007-vehicle-mode.js';
import { pgMigration008 } from './migrations/008-trace-hop2-limit.js';
import { pgMigration009 } from './migrations/009-passes.js';
import { pgMigration010 } from './migrations/010-ingest-lane-checks.js';
import { pgMigration011 } from './migrations/011-replay-arrivals.js';
import { pgMigration012 } from './migrations/012-gates.js';
import { pgMigration013 } from './migrations/013-gate-fault-flaps.js';
import type { PgMigration } from './pg-migrate.js';

/**
 * Every PostgreSQL migration, in order: together the schema of SQLite steps 001–010 (SQLite's
 * 007, tracing, is 006 here; 008, vehicle mode, is 007; 009, the trace hop-2 limit, is 008; 010,
 * lane passes, is 009), and the fleet's shared snapshot cache (004), request counters (005)
 * and scan ingest without per-row lane checks (010), PostgreSQL only; 011 is SQLite's 011 (replay alerts, arrivals), 012 SQLite's 012 (gates), 013 SQLite's 013 (gate fault flaps). Append only: never edit or renumber a shipped step. A new SQLite step
 * gets its PostgreSQL twin here.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  pgMigration001,
  pgMigration002,
  pgMigration003,
  pgMigration004,
  pgMigration005,
  pgMigration006,
  pgMigration007,
  pgMigration008,
  pgMigration009,
  pgMigration010,
  pgMigration011,
  pgMigration012,
  pgMigration013,
];
