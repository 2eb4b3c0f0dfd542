import Database from 'better-sqlite3';
import { prepareDatabaseFile, restrictDatabaseCompanions } from './file-modes.js';
import { runMigrations } from './migrate.js';

/** A better-sqlite3 connection, as the repositories use it. */
export type Db = Database.Database;

/**
 * Opens (or creates) the server's SQLite database: WAL journal, foreign keys on, a busy timeout
 * for concurrent readers, then brings the schema up to date. The file and its -wal/-shm are
 * owner-only (0600) whatever the folder and umask. `:memory:` is accepted for tests.
 */
export function openDatabase(file: string): Db {
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) prepareDatabaseFile(file);
  const db = new Database(file);
  configureConnection(db);
  if (onDisk) restrictDatabaseCompanions(file);
  runMigrations(db);
  return db;
}

/** Pragmas every connection (writer or snapshot reader) gets. */
export function configureConnection(db: Db): void {
  if (!db.memory && !db.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // WAL makes NORMAL durable against process crashes; only a power loss may drop the last commits.
  db.pragma('synchronous = NORMAL');
  // A larger page cache keeps the random-order indexes (subject keys, record ids) hot during ingest.
  db.pragma('cache_size = -65536');
}
