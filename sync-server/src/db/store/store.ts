import type { ListName, ListRefusalReport, LaneRecord, OfficerRoster } from '@checkpoint-lane/shared';
import type { Result } from '@checkpoint-lane/shared';
import type { ListKind, ListRows } from '../../lists/list-kinds.js';
import type { ListKey, ListKeys } from '../../lists/list-keys.js';
import type { ListWrite, ListWriteBy, ListWriteMeta } from '../../lists/list-writer.js';
import type { BuiltSnapshot, SnapshotBuildStats } from '../../lists/snapshot-service.js';
import type { AccountsRepository } from '../repositories/accounts-repository.js';
export type { NewSession } from '../repositories/accounts-repository.js';
import type { AuditRepository } from '../repositories/audit-repository.js';
import type { CheckpointsRepository } from '../repositories/checkpoints-repository.js';
import type { LaneRevocation } from '../repositories/fleet-transactions.js';
import type { KiosksRepository } from '../repositories/kiosks-repository.js';
import type { LimitsStore } from './limits-store.js';
export type { LimitHit, LimitsStore } from './limits-store.js';
import type { LaneRef } from '../repositories/lane-transactions.js';
import type { DuplicateGroup } from '../repositories/list-staging.js';
import type { ChangesResult, ListsRepository } from '../repositories/lists-repository.js';
import type { OfficersRepository } from '../repositories/officers-repository.js';
import type { IngestResult, ScansRepository } from '../repositories/scans-repository.js';
import type { SettingsRepository } from '../repositories/settings-repository.js';
import type { TraceScansStore, TracesStore, TraceWorkerSource } from './traces-store.js';
import type { PassesStore } from '../../passes/passes-store.js';
export type { PassesStore } from '../../passes/passes-store.js';

/**
 * The storage seam (docs/fleet-mode.md): one asynchronous interface per repository, implemented
 * over SQLite (`sqlite-store.ts`: today's synchronous repositories, each call wrapped) and over
 * PostgreSQL (`../pg/`). Routes see only these interfaces.
 *
 * Most interfaces are a repository's public methods with the same parameters, each answering a
 * promise of what the SQLite method returns ({@link Async}); the few with generic methods are
 * written out. One call is one transaction: methods that must commit together are one method
 * (an audit record rides along as an {@link AuditEntry}).
 */
export type Async<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** An audit record written in the same transaction as the change it records. */
export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly details?: unknown;
}

/** Server settings: named binary values (signing keys, seal keys). */
export type SettingsStore = Async<Pick<SettingsRepository, 'get' | 'getOrCreate'>> & {
  /** Stores a value, with an audit record in the same transaction when one is given. */
  set(key: string, value: Buffer, audit?: AuditEntry): Promise<void>;
  /**
   * Replaces a value with what `change` makes of the stored one (null: none stored), with its
   * audit record, in one transaction that holds the value locked: two servers changing it at once
   * each see the other's change (read-modify-write without a lost update). Answers the stored value.
   */
  update(key: string, change: (current: Buffer | null) => SettingChange): Promise<Buffer>;
};

/** A new value for a setting and the audit record of the change. */
export interface SettingChange {
  readonly value: Buffer;
  readonly audit?: AuditEntry;
}

export type CheckpointsStore = Async<
  Pick<CheckpointsRepository, 'save' | 'upsert' | 'get' | 'list' | 'view' | 'views'>
>;

export type AuditStore = Async<Pick<AuditRepository, 'record' | 'list'>>;

export type AccountsStore = Async<
  Pick<
    AccountsRepository,
    | 'create'
    | 'get'
    | 'getById'
    | 'passwordHash'
    | 'list'
    | 'countActiveAdmins'
    | 'update'
    | 'recordFailure'
    | 'recordSuccess'
    | 'createSession'
    | 'findSession'
    | 'touchSession'
    | 'deleteSession'
    | 'deleteSessionsOf'
    | 'deleteExpiredSessions'
    | 'countSessions'
    | 'add'
    | 'change'
    | 'recordWrongPassword'
    | 'signIn'
    | 'signOut'
    | 'changeOwnPassword'
  >
>;

export type OfficersStore = Async<
  Pick<
    OfficersRepository,
    | 'version'
    | 'bumpVersion'
    | 'list'
    | 'get'
    | 'activeAt'
    | 'activeSharing'
    | 'upsert'
    | 'setDisabled'
    | 'save'
    | 'changeDisabled'
  >
>;

export type KiosksStore = Async<
  Pick<
    KiosksRepository,
    | 'addEnrollmentCode'
    | 'enroll'
    | 'findByTokenHash'
    | 'get'
    | 'list'
    | 'revoke'
    | 'heartbeat'
    | 'unrevokedAt'
  >
>;

export type ListsStore = Async<
  Pick<ListsRepository, 'state' | 'count' | 'getEntry' | 'changesSince' | 'history'>
>;

/** The list keys lanes are sent: one current key per key scope. */
export type ListKeysStore = Async<
  Pick<ListKeys, 'current' | 'forCheckpoint' | 'scopeOf' | 'byId' | 'checkpointsIn' | 'scopes'>
> & {
  /**
   * Retires a scope's key and makes a new one; with `audit`, its record (made from the new key)
   * is written in the same transaction.
   */
  rotate(scope: string, now: number, reason: string, audit?: (key: ListKey) => AuditEntry): Promise<ListKey>;
};

/** Rows of a bulk import staged for one write (a TEMP table on SQLite). Drop it after. */
export interface ListStagingStore<L extends ListName = ListName> {
  readonly list: L;
  readonly kind: ListKind<L>;
  /** Stages validated rows with their line numbers. */
  add(rows: readonly { line: number; row: ListRows[L] }[]): Promise<void>;
  /** Marks every line whose subject appears more than once as rejected; returns the groups. */
  rejectDuplicates(): Promise<DuplicateGroup[]>;
  /** Rows staged and not rejected. */
  accepted(): Promise<number>;
  /** Up to `max` accepted rows (for the import's preview). */
  sample(max: number): Promise<ListRows[L][]>;
  drop(): Promise<void>;
}

/** What a list write takes: rows in hand, or an import's staging. */
export type ListWriteSource<L extends ListName> =
  { readonly rows: readonly ListRows[L][] } | { readonly staging: ListStagingStore<L> };

/** List writes: each one new version, gap-free, with its history row and audit record (see `ListWriter`). */
export interface ListWriterStore {
  version(list: ListName): Promise<number>;
  stage<L extends ListName>(list: L): Promise<ListStagingStore<L>>;
  write<L extends ListName>(list: L, input: ListWriteSource<L>, meta: ListWriteMeta): Promise<ListWrite>;
  putEntry<L extends ListName>(list: L, row: ListRows[L], by: ListWriteBy): Promise<ListWrite>;
  deleteEntry(list: ListName, key: bigint, by: ListWriteBy): Promise<Result<ListWrite, 'not_found'>>;
  recordRefused(list: ListName, meta: ListWriteMeta): Promise<void>;
}

export type ScansStore = Async<
  Pick<
    ScansRepository,
    | 'unopenedSeals'
    | 'ackedThrough'
    | 'search'
    | 'lastNo'
    | 'firstNo'
    | 'countUpTo'
    | 'exportPage'
    | 'hourly'
    | 'countScans'
    | 'alert'
    | 'alerts'
    | 'alertSubject'
    | 'ack'
    | 'acknowledge'
    | 'arrivals'
  >
>;

/** A lane's delta with, read at the same version, its entry count and its changes' raw subjects. */
export type LaneChanges =
  | Exclude<ChangesResult, { kind: 'ok' }>
  | (Extract<ChangesResult, { kind: 'ok' }> & { count: number; subjects: Map<bigint, string> });

/** The kiosk API's units of work (see `LaneTransactions`). */
export interface LaneStore {
  changes(list: ListName, since: number, checkpointId: string): Promise<LaneChanges>;
  listRefusals(laneId: string, report: ListRefusalReport, now: number): Promise<boolean>;
  enroll(
    codeHash: string,
    lane: { id: string; name: string; tokenHash: string },
    now: number,
  ): Promise<{ checkpointId: string } | null>;
  upload(
    lane: LaneRef,
    records: readonly LaneRecord[],
    now: number,
    blockingStatuses: readonly string[],
  ): Promise<IngestResult>;
  roster(checkpointId: string): Promise<OfficerRoster>;
}

/** The admin API's fleet changes (see `FleetTransactions`). */
export interface FleetStore {
  createEnrollmentCode(
    codeHash: string,
    checkpointId: string,
    now: number,
    expiresAt: number,
    actor: string,
  ): Promise<void>;
  revokeLane(laneId: string, now: number, actor: string): Promise<LaneRevocation | null>;
  /**
   * Lanes not revoked whose last heartbeat (on any server) is after `since`, with its time: how a
   * server of a fleet hears of lanes that talk to another server without an event stream.
   */
  heardSince(since: number): Promise<LaneHeard[]>;
}

/** A lane and its last heartbeat (epoch ms, the receiving server's clock). */
export interface LaneHeard {
  readonly id: string;
  readonly at: number;
}

/** Snapshots of the lists as lanes get them, built once per (list, version, checkpoint scope, key). */
export interface SnapshotsStore {
  current(list: ListName, checkpointId: string, key: ListKey): Promise<BuiltSnapshot>;
  readonly lastBuild: SnapshotBuildStats | null;
}

/** Which engine holds the server's state. */
export type StoreEngine = 'sqlite' | 'postgres';

/** Every store of one database. */
export interface Store {
  readonly engine: StoreEngine;
  readonly settings: SettingsStore;
  readonly checkpoints: CheckpointsStore;
  readonly audit: AuditStore;
  readonly accounts: AccountsStore;
  readonly officers: OfficersStore;
  readonly kiosks: KiosksStore;
  readonly lists: ListsStore;
  readonly listWriter: ListWriterStore;
  readonly listKeys: ListKeysStore;
  readonly scans: ScansStore;
  readonly lane: LaneStore;
  readonly fleet: FleetStore;
  readonly snapshots: SnapshotsStore;
  /** Counters and locks every server must share (request limits, unknown usernames' lock-out). */
  readonly limits: LimitsStore;
  /** What contact tracing reads of the scans, and the retention of their subjects. */
  readonly traceScans: TraceScansStore;
  /** Contact traces: their parameters, progress and contacts. */
  readonly traces: TracesStore;
  /** Lane passes: pass signing keys, the pass directory's version, declarations and revocations. */
  readonly passes: PassesStore;
  /**
   * Where a worker thread opens its own connection to run a trace off the event loop; absent when
   * none can (an in-memory SQLite database): traces then run in the server's thread.
   */
  readonly traceWorker?: TraceWorkerSource;
  /** Whether the database answers now (for `/health`); never throws. */
  ping(): Promise<{ ok: true } | { ok: false; error: string }>;
  /**
   * Periodic upkeep, run at start and daily (PostgreSQL: the scan partitions of the coming months;
   * both engines: scans older than the subject retention lose their subject, audited as
   * `scans.subjects_erased`); safe to run on several servers at once.
   */
  maintain(now: number): Promise<void>;
  /** Closes the database (the SQLite connection or the pool). */
  close(): Promise<void>;
}
