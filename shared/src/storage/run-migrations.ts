/**
 * Numbered, forward-only schema migrations, for any SQLite connection shaped like
 * better-sqlite3's (the lane's store and the sync server's database both use this).
 */

/** The part of a SQLite connection the runner uses. */
export interface MigratableDb {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction(fn: () => void): () => void;
}

/** One forward-only schema step. `version` is its number; `up` runs inside a transaction. */
export interface Migration<Db> {
  readonly version: number;
  readonly name: string;
  up(db: Db): void;
}

/** The schema version of a database (SQLite's `user_version`). */
export function schemaVersion(db: MigratableDb): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Runs every migration newer than the database, each in its own transaction together with
 * the `user_version` bump, so a crash leaves the schema at a whole step. Refuses a database
 * written by newer software rather than guess, and never resets one (it may hold data, such as
 * unsent scans, that exists nowhere else).
 */
export function runMigrations<Db extends MigratableDb>(
  db: Db,
  migrations: readonly Migration<Db>[],
  owner: string,
): number {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `database schema ${current} is newer than this ${owner} (${latest}); upgrade the ${owner}`,
    );
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
