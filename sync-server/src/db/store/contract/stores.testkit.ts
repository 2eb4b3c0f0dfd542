// Contract-test helper: the leaf stores (settings, checkpoints, audit, accounts, officers) of one
// engine's database, and a second set on the same database as another server would open it.
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { PgAccountsStore } from '../../pg/stores/pg-accounts.js';
import { PgAuditStore } from '../../pg/stores/pg-audit.js';
import { PgCheckpointsStore } from '../../pg/stores/pg-checkpoints.js';
import { PgOfficersStore } from '../../pg/stores/pg-officers.js';
import { PgSettingsStore } from '../../pg/stores/pg-settings.js';
import type { EngineDb } from '../engines.testkit.js';
import { openSqliteStore } from '../sqlite-store.js';
import type { Store } from '../store.js';

/** The stores these contract tests cover. */
export type LeafStores = Pick<Store, 'settings' | 'checkpoints' | 'audit' | 'accounts' | 'officers'>;

function pgStores(pool: PgPool): LeafStores {
  return {
    settings: new PgSettingsStore(pool),
    checkpoints: new PgCheckpointsStore(pool),
    audit: new PgAuditStore(pool),
    accounts: new PgAccountsStore(pool),
    officers: new PgOfficersStore(pool),
  };
}

/** The leaf stores over `d`: SQLite's adapters, or the PostgreSQL classes on its pool. */
export function leafStores(d: EngineDb, clock: () => number = () => 0): LeafStores {
  if (d.engine === 'sqlite') return openSqliteStore(d.db, { indexKey: Buffer.alloc(32, 7), clock });
  return pgStores(d.pool);
}

/**
 * Stores as a second server would have them: on PostgreSQL over a second pool on the same
 * database (closed by `close`); on SQLite over the same connection (one process owns the file).
 */
export async function secondServer(d: EngineDb): Promise<{ stores: LeafStores; close: () => Promise<void> }> {
  if (d.engine === 'sqlite') return { stores: leafStores(d), close: () => Promise.resolve() };
  const url = (d.pool as PgPool & { options: { connectionString: string } }).options.connectionString;
  const pool = await openPg({ url, applicationName: 'checkpoint-server-2' });
  return { stores: pgStores(pool), close: () => pool.end() };
}
