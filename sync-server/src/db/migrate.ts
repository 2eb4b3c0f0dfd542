import type Database from 'better-sqlite3';
import { migration001 } from './migrations/001-initial.js';

/** One forward-only schema step. `version` is its number; `up` runs inside a transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}

/** Every migration, in order. Append only: never edit or renumber a shipped migration. */
export const MIGRATIONS: readonly Migration[] = [migration001];

/** The schema version of a database (SQLite's `user_version`). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Runs every migration newer than the database, each in its own transaction together with
 * the `user_version` bump, so a crash leaves the schema at a whole step. Refuses a database
 * written by a newer server rather than guessing.
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema ${current} is newer than this server (${latest}); upgrade the server`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return schemaVersion(db);
}
