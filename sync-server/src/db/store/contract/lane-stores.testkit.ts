// Contract-test helper for the lane stores (kiosks, list keys, fleet, lane work): the stores of one
// engine's database, a second set on the same database as another server would open it, and raw
// SQL for seeding and for reading what the stores wrote.
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { PgFleetStore } from '../../pg/stores/pg-fleet.js';
import { PgKiosksStore } from '../../pg/stores/pg-kiosks.js';
import { PgLaneWork } from '../../pg/stores/pg-lane.js';
import { PgListKeysStore } from '../../pg/stores/pg-list-keys.js';
import type { EngineDb } from '../engines.testkit.js';
import { openSqliteStore } from '../sqlite-store.js';
import type { FleetStore, KiosksStore, LaneStore, ListKeysStore } from '../store.js';

/** The stores these contract tests cover. */
export interface LaneStores {
  readonly kiosks: KiosksStore;
  readonly listKeys: ListKeysStore;
  readonly fleet: FleetStore;
  readonly lane: Pick<LaneStore, 'listRefusals' | 'enroll' | 'roster'>;
}

function pgStores(pool: PgPool, clock: () => number): LaneStores {
  return {
    kiosks: new PgKiosksStore(pool),
    listKeys: new PgListKeysStore(pool, { clock }),
    fleet: new PgFleetStore(pool),
    lane: new PgLaneWork(pool),
  };
}

/** The lane stores over `d`: SQLite's adapters, or the PostgreSQL classes on its pool. */
export function laneStores(d: EngineDb, clock: () => number = () => 0): LaneStores {
  if (d.engine === 'sqlite') return openSqliteStore(d.db, { indexKey: Buffer.alloc(32, 7), clock });
  return pgStores(d.pool, clock);
}

/**
 * Stores as a second server would have them: on PostgreSQL over a second pool on the same
 * database (closed by `close`); on SQLite over the same connection (one process owns the file).
 */
export async function secondLaneServer(
  d: EngineDb,
  clock: () => number = () => 0,
): Promise<{ stores: LaneStores; close: () => Promise<void> }> {
  if (d.engine === 'sqlite') return { stores: laneStores(d, clock), close: () => Promise.resolve() };
  const url = (d.pool as PgPool & { options: { connectionString: string } }).options.connectionString;
  const pool = await openPg({ url, applicationName: 'checkpoint-server-2' });
  return { stores: pgStores(pool, clock), close: () => pool.end() };
}

/**
 * Opens `n` connections in each server's pool (concurrent reads), so a race that follows starts
 * on open connections and its transactions overlap instead of queueing behind connects.
 */
export async function warmUp(servers: readonly LaneStores[], n = 6): Promise<void> {
  await Promise.all(servers.flatMap((s) => Array.from({ length: n }, () => s.kiosks.get('warm-up'))));
}

/**
 * Runs one statement on either engine and answers its rows. Parameters are written `$1`, `$2`, …
 * each once and in order (SQLite gets `?` for each).
 */
export async function sql<T = Record<string, unknown>>(
  d: EngineDb,
  text: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  if (d.engine === 'postgres') return (await d.pool.query(text, [...params])).rows as T[];
  const stmt = d.db.prepare(text.replace(/\$\d+/g, '?'));
  if (stmt.reader) return stmt.all(...params) as T[];
  stmt.run(...params);
  return [];
}

/** Adds a checkpoint with a key scope (null: the scope `fleet`). */
export async function addCheckpoint(d: EngineDb, id: string, keyScope: string | null = null): Promise<void> {
  await sql(
    d,
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
       created_at, updated_at, key_scope) VALUES ($1, $2, 'open', 3600, '["F0"]', 0, 0, 0, $3)`,
    [id, id, keyScope],
  );
}

/** Adds an enrolled kiosk directly. */
export async function addKiosk(
  d: EngineDb,
  id: string,
  checkpointId: string,
  tokenHash = `hash-${id}`,
): Promise<void> {
  await sql(
    d,
    'INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ($1, $2, $3, $4, 0)',
    [id, `Lane ${id}`, checkpointId, tokenHash],
  );
}

/** Adds an officer directly (checkpoints null: every checkpoint), in each engine's column form. */
export async function addOfficer(
  d: EngineDb,
  o: {
    id: string;
    role?: 'officer' | 'supervisor';
    checkpoints?: string[] | null;
    disabledAt?: number | null;
  },
): Promise<void> {
  const checkpoints = o.checkpoints ?? null;
  await sql(
    d,
    `INSERT INTO officers (id, name, role, pin_hash, checkpoints, disabled_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, 0)`,
    [
      o.id,
      `Officer ${o.id}`,
      o.role ?? 'officer',
      `scrypt$c2FsdA==$${o.id}`,
      checkpoints === null ? null : d.engine === 'sqlite' ? `;${checkpoints.join(';')};` : checkpoints,
      o.disabledAt ?? null,
    ],
  );
}

/** The audit log's rows, oldest first, details parsed. */
export async function auditRows(
  d: EngineDb,
): Promise<{ at: number; actor: string; action: string; target: string | null; details: unknown }[]> {
  const rows = await sql<{
    at: number;
    actor: string;
    action: string;
    target: string | null;
    details: unknown;
  }>(d, 'SELECT at, actor, action, target, details FROM audit_log ORDER BY id');
  return rows.map((r) => ({
    ...r,
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
  }));
}

/** `SELECT count(*)` of a table (the table name is the test's own constant). */
export async function countRows(d: EngineDb, table: string): Promise<number> {
  const [row] = await sql<{ n: number | string }>(d, `SELECT count(*) AS n FROM ${table}`);
  return Number(row?.n);
}
