import {
  LIST_NAMES,
  URGENT_MAX_CHANGES,
  type HealthEntry,
  type HealthStatus,
  type ListName,
  type OfficerPinRule,
} from '@checkpoint-lane/shared';
import { subjectKeyToHex } from './lists/subject-key.js';
import { officerPinRule } from './auth/officer-pins.js';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from './auth/session-policy.js';
import type { Db } from './db/open-database.js';
import { EventHub, urgentHealthChange, type UrgentHealthChange } from './events/event-hub.js';
import { LocalBus, type FleetBus } from './events/fleet-bus.js';
import { FleetMonitor } from './events/fleet-monitor.js';
import { SSE_MAX_BUFFER_BYTES } from './events/sse.js';
import { ListSigner } from './lists/list-signing.js';
import { PassSigner } from './passes/pass-keys.js';
import type { ScanSealKeys } from './lists/scan-seal-keys.js';
import { openSqliteStore, type OpenedStore } from './db/store/sqlite-store.js';
import type {
  AccountsStore,
  AuditStore,
  CheckpointsStore,
  KiosksStore,
  ListKeysStore,
  ListsStore,
  OfficersStore,
  ScansStore,
  SnapshotsStore,
  Store,
} from './db/store/store.js';

/** What the app is built from (injected, so tests control storage, secrets and time). */
export interface AppOptions {
  /** The SQLite database (the embedded default); or give `store`. */
  readonly db?: Db;
  /** An opened store (fleet mode: PostgreSQL); takes the place of `db`. */
  readonly store?: OpenedStore;
  /**
   * What carries events to the other servers of a fleet (fleet mode: a `PgFleetBus`, started);
   * default: none (one server).
   */
  readonly bus?: FleetBus;
  /** Told of failed fleet event reads and sends (no personal data). */
  readonly onFleetError?: (what: string, err: unknown) => void;
  /** SHA-256 (hex) of the admin token. */
  readonly adminTokenHash: string;
  /**
   * The 32-byte index key: keys the server's own tables (entries, change log, scans, alerts) by
   * subject. Never sent to a lane (lanes get their scope's list key from `listKeys`).
   */
  readonly listKey: Buffer;
  /** Where snapshots are cached (null: in memory). */
  readonly snapshotDir?: string | null;
  /**
   * Days scans keep their subject for tracing before the daily upkeep erases it (default 30).
   * With `store` given, the store's own option (`StoreOptions.scanSubjectRetainDays`) counts.
   */
  readonly scanSubjectRetainDays?: number;
  /** Epoch ms. */
  readonly clock?: () => number;
  /** Largest CSV import body, bytes (default 512 MiB: 1M rows fit several times). */
  readonly importMaxBytes?: number;
  /**
   * List imports this server runs at once (default 2); more answer 503 `import_busy`. On
   * PostgreSQL each running import holds one pooled connection once its first rows are parsed.
   */
  readonly importsAtOnce?: number;
  /**
   * The most hop-1 contacts a 2-hop trace's hop 2 starts from (default 20,000); a trace with more
   * keeps its hop 1 and says hop 2 was not run.
   */
  readonly traceHop2Max?: number;
  /** Largest JSON body elsewhere, bytes (default 4 MiB: a 1000-record scan batch). */
  readonly bodyLimit?: number;
  /** Enrollment code lifetime, seconds (default 15 min). */
  readonly enrollmentTtlSec?: number;
  /** Enrollment attempts per minute and address (default 10). */
  readonly enrollRateLimit?: number;
  /** SSE keep-alive comment period (default 15 s). */
  readonly sseKeepAliveMs?: number;
  /** Bytes an event stream may leave unread before its client is dropped (default 1 MiB). */
  readonly sseMaxBufferBytes?: number;
  /** Where the built admin console is (default: `sync-server/dist/console`). */
  readonly consoleDir?: string;
  /** A lane with no stream and no heartbeat for this long is offline (default 3 min). */
  readonly kioskOfflineAfterMs?: number;
  /**
   * After a lane's event stream closes, it is offline this long after the close or its last
   * heartbeat since, unless it opens a stream again (default 45 s: a 30 s heartbeat and margin).
   */
  readonly kioskStreamGraceMs?: number;
  /** An admin console session unused this long ends, ms (default 30 min). */
  readonly sessionIdleMs?: number;
  /** An admin console session ends this long after sign-in, ms (default 12 h). */
  readonly sessionAbsoluteMs?: number;
  /** Sign-in attempts per minute and address (default 20). */
  readonly loginRateLimit?: number;
  /** The fewest digits a new or changed officer PIN may have, 4..8 (default 6). */
  readonly officerPinMinDigits?: number;
  /** Declarations per minute and address on the public route (default 20). */
  readonly declareRateLimit?: number;
  /** Declarations per personal ID in 24 hours (default 5). */
  readonly declareIdLimit?: number;
}

/** Repositories and services the routes use. */
export interface Services {
  /** Every store of the server's database (SQLite or PostgreSQL). */
  readonly store: Store;
  readonly clock: () => number;
  /** The index key (server only; see `AppOptions.listKey`). */
  readonly listKey: Buffer;
  /** The list keys lanes are sent: one current key per key scope. */
  readonly listKeys: ListKeysStore;
  /** The X25519 key pair scan subjects are sealed to (made at first start, kept in settings). */
  readonly scanSeal: ScanSealKeys;
  readonly adminTokenHash: string;
  /**
   * The admin token's hash as the fleet stores it now (another server may have been started with
   * a new `CHECKPOINT_ADMIN_TOKEN`): read from the settings at most every 5 s; `adminTokenHash`
   * when none is stored.
   */
  currentAdminTokenHash(): Promise<string>;
  readonly checkpoints: CheckpointsStore;
  readonly lists: ListsStore;
  readonly kiosks: KiosksStore;
  readonly scans: ScansStore;
  readonly audit: AuditStore;
  readonly accounts: AccountsStore;
  readonly officers: OfficersStore;
  /** The rule new and changed officer PINs follow. */
  readonly officerPinRule: OfficerPinRule;
  readonly sessionPolicy: SessionPolicy;
  readonly loginRateLimit: number;
  readonly snapshots: SnapshotsStore;
  /** Signs what lanes are sent of the lists (its key made at first start, kept in settings). */
  readonly signer: ListSigner;
  /** Signs lane passes (its first key made at first start, kept in `pass_keys`). */
  readonly passSigner: PassSigner;
  /** See `AppOptions.declareRateLimit`. */
  readonly declareRateLimit: number;
  /** See `AppOptions.declareIdLimit`. */
  readonly declareIdLimit: number;
  readonly hub: EventHub;
  readonly fleet: FleetMonitor;
  readonly importMaxBytes: number;
  /** List imports run at once at most (see `AppOptions.importsAtOnce`). */
  readonly importsAtOnce: number;
  /** See `AppOptions.traceHop2Max` (undefined: the trace jobs' default). */
  readonly traceHop2Max: number | undefined;
  readonly enrollmentTtlSec: number;
  readonly enrollRateLimit: number;
  readonly sseKeepAliveMs: number;
  readonly sseMaxBufferBytes: number;
}

/** Wires the stores and services over one database. */
export async function createServices(opts: AppOptions): Promise<Services> {
  const clock = opts.clock ?? Date.now;
  let store: OpenedStore;
  if (opts.store) store = opts.store;
  else if (opts.db) {
    store = openSqliteStore(opts.db, {
      indexKey: opts.listKey,
      clock,
      snapshotDir: opts.snapshotDir ?? null,
      ...(opts.scanSubjectRetainDays !== undefined && { scanSubjectRetainDays: opts.scanSubjectRetainDays }),
    });
  } else throw new Error('createServices: give a SQLite db or an opened store');
  const checkpoints = store.checkpoints;
  const blocking = async (id: string): Promise<readonly HealthStatus[]> =>
    (await checkpoints.get(id))?.blockingStatuses ?? [];
  const signer = await ListSigner.load(store.settings, clock());
  const passSigner = await PassSigner.load(store.passes, clock());
  const bus = opts.bus ?? new LocalBus();
  // Fleet messages name what changed; each reader below re-reads it from the database.
  const hub = new EventHub(blocking, (facts) => signer.signList(facts), clock, {
    bus,
    // Another server rotated the signing keys, or this one missed messages: read them again.
    readSigningKeys: async () => {
      await signer.reload();
      return signer.publicKeys();
    },
    readCheckpoint: async (id) => {
      const config = await checkpoints.get(id);
      return config && { config, ...signer.checkpointSignatures(config) };
    },
    // A lane the database does not know counts as revoked.
    readLaneRevoked: async (id) => {
      const lane = await store.kiosks.get(id);
      return lane === null || lane.revokedAt !== null;
    },
    readVersion: async (what) =>
      what === 'officers' ? store.officers.version() : (await store.lists.state(what)).version,
    readUrgent: (list, fromVersion, version) => readUrgent(store, list, fromVersion, version),
    readAlert: (id) => store.scans.alert(id),
    readCurrent: async () => ({
      lists: await Promise.all(
        LIST_NAMES.map(async (list) => ({ list, version: (await store.lists.state(list)).version })),
      ),
      officers: await store.officers.version(),
    }),
    ...(opts.onFleetError && { onError: opts.onFleetError }),
  });
  return {
    store,
    clock,
    listKey: opts.listKey,
    listKeys: store.listKeys,
    scanSeal: store.scanSeal,
    adminTokenHash: opts.adminTokenHash,
    currentAdminTokenHash: cachedSetting(store, 'admin_token_hash', opts.adminTokenHash, clock),
    checkpoints,
    lists: store.lists,
    kiosks: store.kiosks,
    scans: store.scans,
    audit: store.audit,
    accounts: store.accounts,
    officers: store.officers,
    officerPinRule: officerPinRule(opts.officerPinMinDigits),
    sessionPolicy: {
      ...DEFAULT_SESSION_POLICY,
      idleMs: opts.sessionIdleMs ?? DEFAULT_SESSION_POLICY.idleMs,
      absoluteMs: opts.sessionAbsoluteMs ?? DEFAULT_SESSION_POLICY.absoluteMs,
    },
    loginRateLimit: opts.loginRateLimit ?? 20,
    snapshots: store.snapshots,
    signer,
    passSigner,
    declareRateLimit: opts.declareRateLimit ?? 20,
    declareIdLimit: opts.declareIdLimit ?? 5,
    hub,
    fleet: new FleetMonitor(
      hub,
      clock,
      opts.kioskOfflineAfterMs ?? 180_000,
      opts.kioskStreamGraceMs ?? 45_000,
      // One server owns a SQLite database: it hears every heartbeat itself.
      store.engine === 'postgres' ? (since) => store.fleet.heardSince(since) : undefined,
    ),
    importMaxBytes: opts.importMaxBytes ?? 512 * 1024 * 1024,
    importsAtOnce: opts.importsAtOnce ?? 2,
    traceHop2Max: opts.traceHop2Max,
    enrollmentTtlSec: opts.enrollmentTtlSec ?? 900,
    enrollRateLimit: opts.enrollRateLimit ?? 10,
    sseKeepAliveMs: opts.sseKeepAliveMs ?? 15_000,
    sseMaxBufferBytes: opts.sseMaxBufferBytes ?? SSE_MAX_BUFFER_BYTES,
  };
}

/**
 * The urgent health changes another server's write carried (`fromVersion` → `version`), read
 * back from the change log: null when the list moved on since (lanes then fetch the changes
 * themselves), when the changes are not all puts of health entries, or when there are more than
 * a push carries.
 */
async function readUrgent(
  store: Store,
  list: ListName,
  fromVersion: number,
  version: number,
): Promise<readonly UrgentHealthChange[] | null> {
  if (list !== 'health') return null;
  // The health list is the same at every checkpoint: any checkpoint id reads it.
  const d = await store.lane.changes('health', fromVersion, '');
  if (d.kind !== 'ok' || d.toVersion !== version) return null;
  if (d.changes.length === 0 || d.changes.length > URGENT_MAX_CHANGES) return null;
  const urgent: UrgentHealthChange[] = [];
  for (const c of d.changes) {
    const subject = d.subjects.get(c.key);
    if (c.op !== 'put' || c.entry === undefined || subject === undefined) return null;
    urgent.push(urgentHealthChange(subjectKeyToHex(c.key), subject, c.entry as HealthEntry));
  }
  return urgent;
}

/** A text setting read at most every 5 s (`fallback` while none is stored). */
function cachedSetting(
  store: Store,
  key: string,
  fallback: string,
  clock: () => number,
): () => Promise<string> {
  let value = fallback;
  let readAt = -Infinity;
  return async () => {
    const now = clock();
    if (now - readAt < 5_000) return value;
    readAt = now;
    const stored = await store.settings.get(key);
    value = stored === null || stored.length === 0 ? fallback : stored.toString('utf8');
    return value;
  };
}
