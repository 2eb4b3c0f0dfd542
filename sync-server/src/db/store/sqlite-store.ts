import type { ListName } from '@checkpoint-lane/shared';
import { changeSubjects } from '../../lists/rekey.js';
import type { ListKey } from '../../lists/list-keys.js';
import { ListKeys } from '../../lists/list-keys.js';
import type { ListRows } from '../../lists/list-kinds.js';
import { ListWriter, type ListWriteInput } from '../../lists/list-writer.js';
import { ScanSealKeys } from '../../lists/scan-seal-keys.js';
import { SnapshotService } from '../../lists/snapshot-service.js';
import type { Db } from '../open-database.js';
import { AccountsRepository } from '../repositories/accounts-repository.js';
import { AuditRepository } from '../repositories/audit-repository.js';
import { CheckpointsRepository } from '../repositories/checkpoints-repository.js';
import { FleetTransactions } from '../repositories/fleet-transactions.js';
import { KiosksRepository } from '../repositories/kiosks-repository.js';
import { LaneTransactions } from '../repositories/lane-transactions.js';
import type { ListStaging } from '../repositories/list-staging.js';
import { ListsRepository } from '../repositories/lists-repository.js';
import { OfficersRepository } from '../repositories/officers-repository.js';
import { PassesRepository } from '../repositories/passes-repository.js';
import { ScansRepository } from '../repositories/scans-repository.js';
import { SqliteTraceScans, TracesRepository } from '../repositories/traces-repository.js';
import { MemoryLimitsStore } from './limits-store.js';
import { openSqliteSettings } from './sqlite-settings.js';
import { checkRetainDays, DEFAULT_SCAN_SUBJECT_RETAIN_DAYS, eraseOldSubjects } from './trace-rows.js';
import { eraseOldDeclarations, sqliteDeclarationsEraser } from './declaration-retention.js';
import type {
  Async,
  AuditEntry,
  ListStagingStore,
  ListWriteSource,
  ListWriterStore,
  Store,
} from './store.js';

/** `run()`'s value as a promise; what it throws, as a rejected one. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * `target`'s named methods as async functions: each awaits nothing and calls the synchronous
 * method (one better-sqlite3 transaction per call, as before the seam).
 */
export function asyncMethods<T extends object, const K extends keyof T>(
  target: T,
  names: readonly K[],
): Async<Pick<T, K>> {
  const out: Record<PropertyKey, unknown> = {};
  for (const name of names) {
    const method = target[name];
    if (typeof method !== 'function') throw new Error(`${String(name)} is not a method`);
    out[name] = (...args: unknown[]) =>
      settle(() => (method as (...a: unknown[]) => unknown).apply(target, args));
  }
  return out as Async<Pick<T, K>>;
}

function record(audit: AuditRepository, e: AuditEntry): void {
  audit.record(e.at, e.actor, e.action, e.target, e.details ?? null);
}

/** An import's TEMP table, wrapped; the writer unwraps it. */
class SqliteStaging<L extends ListName> implements ListStagingStore<L> {
  constructor(readonly inner: ListStaging<L>) {}
  get list(): L {
    return this.inner.list;
  }
  get kind(): ListStagingStore<L>['kind'] {
    return this.inner.kind;
  }
  add(rows: readonly { line: number; row: ListRows[L] }[]): Promise<void> {
    return settle(() => {
      this.inner.add(rows);
    });
  }
  rejectDuplicates(): ReturnType<ListStagingStore<L>['rejectDuplicates']> {
    return settle(() => this.inner.rejectDuplicates());
  }
  accepted(): Promise<number> {
    return settle(() => this.inner.accepted());
  }
  sample(max: number): Promise<ListRows[L][]> {
    return settle(() => this.inner.sample(max));
  }
  drop(): Promise<void> {
    return settle(() => {
      this.inner.drop();
    });
  }
}

function sqliteWriter(writer: ListWriter): ListWriterStore {
  const input = <L extends ListName>(source: ListWriteSource<L>): ListWriteInput<L> => {
    if ('rows' in source) return { rows: source.rows };
    if (!(source.staging instanceof SqliteStaging)) throw new Error('staging from another engine');
    return { staging: (source.staging as SqliteStaging<L>).inner };
  };
  return {
    version: (list) => settle(() => writer.version(list)),
    stage: (list) => settle(() => new SqliteStaging(writer.stage(list))),
    write: (list, source, meta) => settle(() => writer.write(list, input(source), meta)),
    putEntry: (list, row, by) => settle(() => writer.putEntry(list, row, by)),
    deleteEntry: (list, key, by) => settle(() => writer.deleteEntry(list, key, by)),
    recordRefused: (list, meta) =>
      settle(() => {
        writer.recordRefused(list, meta);
      }),
  };
}

// One process owns a SQLite file: its counters live in memory, shared by every store opened on
// the same connection.
const memoryLimits = new WeakMap<Db, MemoryLimitsStore>();

/** What a store needs besides its database. */
export interface StoreOptions {
  /** The 32-byte index key: opened scan subjects are keyed with it. */
  readonly indexKey: Buffer;
  /** Epoch ms. */
  readonly clock: () => number;
  /** Where snapshots are cached (null: in memory). */
  readonly snapshotDir?: string | null;
  /**
   * Days scans keep their subject (key and seal) for tracing; `maintain` erases it from older
   * scans (default {@link DEFAULT_SCAN_SUBJECT_RETAIN_DAYS}).
   */
  readonly scanSubjectRetainDays?: number;
}

/** A {@link Store} and the seal key pair it opens uploads' sealed subjects with (kept in its settings). */
export type OpenedStore = Store & { readonly scanSeal: ScanSealKeys };

/**
 * Every store over one SQLite connection: today's synchronous repositories, each call wrapped.
 * Composite changes (a write and its audit record) run in one better-sqlite3 transaction.
 */
export function openSqliteStore(db: Db, opts: StoreOptions): OpenedStore {
  const audit = new AuditRepository(db);
  const scanSeal = ScanSealKeys.open(db, opts.clock);
  const checkpoints = new CheckpointsRepository(db);
  const lists = new ListsRepository(db);
  const kiosks = new KiosksRepository(db);
  const scans = new ScansRepository(db, { sealKeys: scanSeal, indexKey: opts.indexKey });
  const accounts = new AccountsRepository(db);
  const officers = new OfficersRepository(db);
  const listKeys = new ListKeys(db, opts.clock);
  const lane = new LaneTransactions({ db, kiosks, scans, audit, officers, lists });
  const fleet = new FleetTransactions({ db, kiosks, audit, listKeys });
  const snapshots = new SnapshotService(db, opts.snapshotDir ?? null);
  const limits = memoryLimits.get(db) ?? new MemoryLimitsStore();
  memoryLimits.set(db, limits);
  const traceScans = new SqliteTraceScans(db);
  const auditStore = asyncMethods(audit, ['record', 'list']);
  const eraseDeclarations = sqliteDeclarationsEraser(db);
  const retainDays = checkRetainDays(opts.scanSubjectRetainDays ?? DEFAULT_SCAN_SUBJECT_RETAIN_DAYS);

  return {
    engine: 'sqlite',
    scanSeal,
    settings: openSqliteSettings(db),
    checkpoints: asyncMethods(checkpoints, ['save', 'upsert', 'get', 'list', 'view', 'views']),
    audit: auditStore,
    accounts: asyncMethods(accounts, [
      'create',
      'get',
      'getById',
      'passwordHash',
      'list',
      'countActiveAdmins',
      'update',
      'recordFailure',
      'recordSuccess',
      'createSession',
      'findSession',
      'touchSession',
      'deleteSession',
      'deleteSessionsOf',
      'deleteExpiredSessions',
      'countSessions',
      'add',
      'change',
      'recordWrongPassword',
      'signIn',
      'signOut',
      'changeOwnPassword',
    ]),
    officers: asyncMethods(officers, [
      'version',
      'bumpVersion',
      'list',
      'get',
      'activeAt',
      'activeSharing',
      'upsert',
      'setDisabled',
      'save',
      'changeDisabled',
    ]),
    kiosks: asyncMethods(kiosks, [
      'addEnrollmentCode',
      'enroll',
      'findByTokenHash',
      'get',
      'list',
      'revoke',
      'heartbeat',
      'unrevokedAt',
    ]),
    lists: asyncMethods(lists, ['state', 'count', 'getEntry', 'changesSince', 'history']),
    listWriter: sqliteWriter(new ListWriter(db, audit)),
    listKeys: {
      ...asyncMethods(listKeys, ['current', 'forCheckpoint', 'scopeOf', 'byId', 'checkpointsIn', 'scopes']),
      rotate: (scope, now, reason, entry) =>
        settle(() =>
          db.transaction((): ListKey => {
            const key = listKeys.rotate(scope, now, reason);
            if (entry) record(audit, entry(key));
            return key;
          })(),
        ),
    },
    scans: asyncMethods(scans, [
      'unopenedSeals',
      'ackedThrough',
      'search',
      'lastNo',
      'firstNo',
      'countUpTo',
      'exportPage',
      'hourly',
      'countScans',
      'alert',
      'alerts',
      'alertSubject',
      'ack',
      'acknowledge',
      'arrivals',
    ]),
    lane: {
      changes: (list, since, checkpointId) =>
        settle(() =>
          db.transaction(() => {
            const d = lane.changesWithCount(list, since, checkpointId);
            return d.kind === 'ok' ? { ...d, subjects: changeSubjects(db, list, d.fromVersion) } : d;
          })(),
        ),
      ...asyncMethods(lane, ['listRefusals', 'enroll', 'upload', 'roster']),
    },
    fleet: asyncMethods(fleet, ['createEnrollmentCode', 'revokeLane', 'heardSince']),
    snapshots,
    limits,
    traceScans,
    traces: new TracesRepository(db),
    passes: new PassesRepository(db),
    // A file a worker thread can open beside this connection (WAL); not an in-memory database.
    ...(!db.memory && { traceWorker: { engine: 'sqlite', file: db.name } }),
    ping: () => {
      try {
        db.prepare('SELECT 1').get();
        return Promise.resolve({ ok: true });
      } catch (err) {
        return Promise.resolve({ ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    },
    // SQLite's scans are one table (no partitions to add): old scans lose their subject and pass id,
    // long-ended declarations go, ended counters go.
    maintain: async (now) => {
      await eraseOldSubjects(traceScans, auditStore, now, retainDays);
      await eraseOldDeclarations(eraseDeclarations, auditStore, now, retainDays);
      await limits.sweep(now);
    },
    close: () =>
      settle(() => {
        db.close();
      }),
  };
}
