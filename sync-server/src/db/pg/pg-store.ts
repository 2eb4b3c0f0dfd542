import { ScanSealKeys } from '../../lists/scan-seal-keys.js';
import type { OpenedStore, StoreOptions } from '../store/sqlite-store.js';
import { checkRetainDays, DEFAULT_SCAN_SUBJECT_RETAIN_DAYS, eraseOldSubjects } from '../store/trace-rows.js';
import { eraseOldDeclarations, pgDeclarationsEraser } from '../store/declaration-retention.js';
import type { PgPool } from './open-pg.js';
import { maintainScanPartitions } from './pg-scan-partitions.js';
import { PgAccountsStore } from './stores/pg-accounts.js';
import { PgAuditStore } from './stores/pg-audit.js';
import { PgCheckpointsStore } from './stores/pg-checkpoints.js';
import { PgFleetStore } from './stores/pg-fleet.js';
import { PgKiosksStore } from './stores/pg-kiosks.js';
import { PgLimitsStore } from './stores/pg-limits.js';
import { PgLaneWork } from './stores/pg-lane.js';
import { PgListKeysStore } from './stores/pg-list-keys.js';
import { PgListWriterStore } from './stores/pg-list-writer.js';
import { PgListsStore } from './stores/pg-lists.js';
import { PgOfficersStore } from './stores/pg-officers.js';
import { PgPassesStore } from './stores/pg-passes.js';
import { PgScansStore } from './stores/pg-scans.js';
import { PgSettingsStore } from './stores/pg-settings.js';
import { PgSnapshotStore } from './stores/pg-snapshots.js';
import { PgTraceScansStore, PgTracesStore } from './stores/pg-traces.js';

/** Months of scan partitions kept made ahead of time (the current one and the next two). */
export const SCAN_MONTHS_AHEAD = 3;

/** PostgreSQL-only options of the fleet store. */
export interface PgStoreOptions extends StoreOptions {
  /** Whole months of scans kept before the current one; unset keeps every month. */
  readonly scanRetainMonths?: number;
  /** Ends the pool on close (default true; false when the caller owns it). */
  readonly closePool?: boolean;
  /** Bytes of list snapshots kept in this server's memory (default `SNAPSHOT_MEMORY_BYTES`, 256 MiB). */
  readonly snapshotMemoryBytes?: number;
  /**
   * The pool's database URL: a trace's worker thread opens its own small pool on it (unset: traces
   * run in the server's thread over this pool).
   */
  readonly databaseUrl?: string;
  /** The pool's statement timeout, ms, for the worker's pool too (default: `openPg`'s). */
  readonly statementTimeoutMs?: number;
}

/**
 * Every store over one PostgreSQL pool (fleet mode: any number of servers on one database). The
 * schema must be migrated first (`runPgMigrations`). The scan seal key pair is read from (or, on
 * a new database, made once in) the shared settings, so every server opens the same seals.
 */
export async function openPgStore(pool: PgPool, opts: PgStoreOptions): Promise<OpenedStore> {
  const settings = new PgSettingsStore(pool);
  const scanSeal = await ScanSealKeys.load(settings, opts.clock);
  const lists = new PgListsStore(pool);
  const scans = new PgScansStore(pool, { sealKeys: scanSeal, indexKey: opts.indexKey });
  const work = new PgLaneWork(pool);
  const limits = new PgLimitsStore(pool);
  const audit = new PgAuditStore(pool);
  const traceScans = new PgTraceScansStore(pool);
  const retainDays = checkRetainDays(opts.scanSubjectRetainDays ?? DEFAULT_SCAN_SUBJECT_RETAIN_DAYS);
  return {
    engine: 'postgres',
    scanSeal,
    settings,
    checkpoints: new PgCheckpointsStore(pool),
    audit,
    accounts: new PgAccountsStore(pool),
    officers: new PgOfficersStore(pool),
    kiosks: new PgKiosksStore(pool),
    lists,
    listWriter: new PgListWriterStore(pool),
    listKeys: new PgListKeysStore(pool, { clock: opts.clock }),
    scans,
    lane: {
      changes: (list, since, checkpointId) => lists.laneChanges(list, since, checkpointId),
      upload: (lane, records, now, blocking) => scans.upload(lane, records, now, blocking),
      listRefusals: (laneId, report, now) => work.listRefusals(laneId, report, now),
      enroll: (codeHash, lane, now) => work.enroll(codeHash, lane, now),
      roster: (checkpointId) => work.roster(checkpointId),
    },
    fleet: new PgFleetStore(pool),
    snapshots: new PgSnapshotStore(pool, {
      clock: opts.clock,
      ...(opts.snapshotMemoryBytes !== undefined && { memoryBytes: opts.snapshotMemoryBytes }),
    }),
    limits,
    traceScans,
    traces: new PgTracesStore(pool),
    passes: new PgPassesStore(pool),
    ...(opts.databaseUrl !== undefined && {
      traceWorker: {
        engine: 'postgres',
        url: opts.databaseUrl,
        ...(opts.statementTimeoutMs !== undefined && { statementTimeoutMs: opts.statementTimeoutMs }),
      },
    }),
    ping: async () => {
      try {
        await pool.query('SELECT 1');
        return { ok: true };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
    maintain: async (now) => {
      await maintainScanPartitions(pool, now, {
        monthsAhead: SCAN_MONTHS_AHEAD,
        ...(opts.scanRetainMonths !== undefined && { retainMonths: opts.scanRetainMonths }),
      });
      await eraseOldSubjects(traceScans, audit, now, retainDays);
      await eraseOldDeclarations(pgDeclarationsEraser(pool), audit, now, retainDays);
      await limits.sweep(now);
    },
    close: async () => {
      if (opts.closePool !== false) await pool.end();
    },
  };
}
