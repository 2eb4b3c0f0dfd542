import type Database from 'better-sqlite3';
import { migration001 } from './migrations/001-initial.js';

/** One forward-only schema step of the lane's store; `up` runs inside a transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}

/** Every migration, in order. Append only: a lane's unsent scans must survive every upgrade. */
export const MIGRATIONS: readonly Migration[] = [migration001];

/** The schema version of a lane store (SQLite's `user_version`). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings a lane store up to date, one migration per transaction with its `user_version` bump.
 * Refuses a store written by a newer agent rather than guess (and never resets it: it may hold
 * scans the server has not acknowledged).
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`lane store schema ${current} is newer than this agent (${latest}); upgrade the agent`);
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
