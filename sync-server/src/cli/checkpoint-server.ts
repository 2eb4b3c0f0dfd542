#!/usr/bin/env node
import { chmodSync, mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer } from '../app.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { folderExposure, PRIVATE_DIR_MODE } from '../db/file-modes.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { DATABASE_URL_ENV, describeUrl, openPg, type PgPool } from '../db/pg/open-pg.js';
import { runPgMigrations } from '../db/pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../db/pg/pg-migrations.js';
import { openPgStore } from '../db/pg/pg-store.js';
import { PgSettingsStore } from '../db/pg/stores/pg-settings.js';
import { openSqliteSettings } from '../db/store/sqlite-settings.js';
import type { OpenedStore } from '../db/store/sqlite-store.js';
import type { SettingsStore } from '../db/store/store.js';
import { FLEET_KEY_SETTING, newFleetKey } from '../events/fleet-bus.js';
import { PgFleetBus } from '../events/pg-fleet-bus.js';
import { generateListKey } from '../lists/subject-key.js';
import { createLogger } from '../logger.js';

const HELP = `checkpoint-server: máy chủ đồng bộ của chốt kiểm soát / the checkpoint-lane sync server

Usage: checkpoint-server migrate [--database URL]   (fleet mode: migrate the schema and exit)
       checkpoint-server [--port 8080] [--host 127.0.0.1] [--data DIR | --database URL] [--log-level info]
                         [--enroll-rate-limit 10] [--offline-after 180] [--stream-grace 45]
                         [--trust-proxy ADDRS] [--officer-pin-min-digits 6]
                         [--imports-at-once 2] [--database-pool-size 10] [--scan-subject-retain-days 30]
                         [--trace-hop2-max 20000] [--declare-rate-limit 20] [--declare-id-limit 5]

Máy chủ đồng bộ trên SQLite nhúng (DIR/server.db) / the sync server on embedded SQLite.
--database postgres://USER@HOST:PORT/DB (or env ${DATABASE_URL_ENV}): chế độ đội máy / fleet mode:
  the server's state in PostgreSQL; any number of servers on one database serve one fleet
  (lanes list them all: checkpoint-lane --server URL1,URL2). Migrates the schema at start.
--scan-retain-months N (fleet mode): whole months of scans kept before the current one; older
  months are dropped by the daily upkeep (default: keep all).
--scan-subject-retain-days N: ngày giữ đối tượng của lượt quét để truy vết / days scans keep their
  subject (ID, passport, plate; sealed and keyed) for contact tracing, 1..3650 (default 30); the
  daily upkeep then erases it (and the pass id) from older scans, which stay as counts (checkpoint,
  lane, time), and deletes movement declarations whose pass (or, held, travel date) ended before.
--trace-hop2-max N: số người tiếp xúc bước 1 tối đa mà truy vết 2 bước đi tiếp / the most hop-1
  contacts a 2-hop trace goes on from, 0..10000000 (default 20000, ≈ 50 F0s at a busy checkpoint);
  a trace over it keeps hop 1 and says hop 2 was not run (hop 2 from 1,000 F0s reaches almost
  everyone scanned in the period, and takes hours).
--database-pool-size N (fleet mode): PostgreSQL connections this server opens at most, 2..200
  (default 10). Each running list import holds one of them from its first rows to its end; a
  request that waits more than 5 s for a connection answers 503 database_busy.
--imports-at-once N: list imports this server runs at once, 1..50 (default 2); another answers
  503 import_busy with Retry-After. Keep it well below --database-pool-size.
--snapshot-memory-mb N (fleet mode): MiB of list snapshots this server keeps in memory to serve
  lanes, 0..65536 (default 256): each is read from the database once, then sent from memory. A
  larger one is streamed from the database, at most a third of the pool's connections at once.
The admin token comes from CHECKPOINT_ADMIN_TOKEN; if unset, one is generated on first start,
printed once, and only its hash is stored. The admin console is at /admin/.
--declare-rate-limit N: khai báo di chuyển mỗi phút từ một địa chỉ / movement declarations a
  minute from one address on /api/v1/public/declarations, 1..1000000 (default 20; a carrier's NAT
  puts many phones behind one address). --declare-id-limit N: declarations per personal ID from one
  address in 24 h, 1..1000 (default 5; another address has its own count, so a stranger cannot use
  up someone's). Both are counted across every server of a fleet.
--log-level LEVEL: trace, debug, info (default), warn, error (logs never hold IDs or names).
--offline-after SEC: a lane with no event stream and no heartbeat for this long shows offline.
--stream-grace SEC: once a lane's event stream closes, it shows offline after this long unless it
  reconnects or sends a heartbeat (lanes send one every 30 s).
--trust-proxy ADDRS: off unless given. A TLS-terminating reverse proxy at these addresses
  (comma-separated IPs or CIDRs, e.g. 127.0.0.1) forwards X-Forwarded-Proto/-Host/-For; the
  console's cookie is then Secure.
--officer-pin-min-digits N: số chữ số tối thiểu của PIN cán bộ mới hoặc đổi PIN / the fewest digits
  a new or changed officer PIN may have, 4..8 (default 6; PINs are at most 8 digits). Shorter PINs
  set before keep working at the lanes until changed.
--drain-grace SEC: on SIGTERM the server first drains: GET /ready answers 503, event streams are
  told to reconnect (elsewhere) and end, new ones are refused; it then waits until no request is
  in flight, at most SEC seconds (0..60, default 2), and closes. SIGINT drains without the wait.`;

function fail(message: string): never {
  console.error(`checkpoint-server: ${message}`);
  process.exit(2);
}

const MIGRATE_HELP = `Usage: checkpoint-server migrate [--database URL]

Brings the fleet's PostgreSQL schema up to date (the server also does it at start), prints the
schema version and the steps applied, and exits 0. The URL comes from --database or env
${DATABASE_URL_ENV}. Exits 2 without a URL or when the database cannot be reached, 1 when a step
fails or the database's schema is newer than this server.`;

/** `checkpoint-server migrate`: runs the PostgreSQL migrations and exits. */
async function migrateCommand(args: readonly string[]): Promise<never> {
  let options: { database?: string | undefined; help?: boolean | undefined };
  try {
    ({ values: options } = parseArgs({
      args: [...args],
      options: { database: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    return fail(`migrate: ${(e as Error).message}\n\n${MIGRATE_HELP}`);
  }
  if (options.help === true) {
    console.log(MIGRATE_HELP);
    process.exit(0);
  }
  const env = process.env[DATABASE_URL_ENV];
  const url = options.database ?? (env !== undefined && env !== '' ? env : undefined);
  if (url === undefined) fail(`migrate: needs --database postgres://… (or env ${DATABASE_URL_ENV})`);
  if (!/^postgres(ql)?:\/\//.test(url)) fail('migrate: --database must be a postgres:// URL');
  const pool = await openPg({ url, max: 1, applicationName: 'checkpoint-server migrate' }).catch(
    (err: unknown) => fail(`migrate: ${(err as Error).message}`),
  );
  try {
    const result = await runPgMigrations(pool, PG_MIGRATIONS);
    console.log(
      `checkpoint-server migrate: PostgreSQL at ${describeUrl(url)}: schema version ${result.version}, ` +
        (result.applied.length > 0 ? `applied ${result.applied.join(', ')}` : 'already up to date'),
    );
    await pool.end();
    process.exit(0);
  } catch (err) {
    console.error(`checkpoint-server: migrate failed: ${(err as Error).message}`);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
}

if (process.argv[2] === 'migrate') await migrateCommand(process.argv.slice(3));

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: '.data/sync-server' },
        database: { type: 'string' },
        'scan-retain-months': { type: 'string' },
        'scan-subject-retain-days': { type: 'string', default: '30' },
        'trace-hop2-max': { type: 'string', default: '20000' },
        'database-pool-size': { type: 'string' },
        'snapshot-memory-mb': { type: 'string' },
        'imports-at-once': { type: 'string', default: '2' },
        'log-level': { type: 'string', default: 'info' },
        'enroll-rate-limit': { type: 'string', default: '10' },
        'declare-rate-limit': { type: 'string', default: '20' },
        'declare-id-limit': { type: 'string', default: '5' },
        'offline-after': { type: 'string', default: '180' },
        'stream-grace': { type: 'string', default: '45' },
        'trust-proxy': { type: 'string' },
        'officer-pin-min-digits': { type: 'string', default: '6' },
        'drain-grace': { type: 'string', default: '2' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n\n${HELP}`);
  }
})();

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be 0..65535, not "${values.port}"`);

const enrollRateLimit = Number(values['enroll-rate-limit']);
if (!Number.isInteger(enrollRateLimit) || enrollRateLimit < 1)
  fail('--enroll-rate-limit must be a positive integer');
const declareRateLimit = Number(values['declare-rate-limit']);
if (!Number.isInteger(declareRateLimit) || declareRateLimit < 1 || declareRateLimit > 1_000_000)
  fail('--declare-rate-limit must be 1..1000000');
const declareIdLimit = Number(values['declare-id-limit']);
if (!Number.isInteger(declareIdLimit) || declareIdLimit < 1 || declareIdLimit > 1000)
  fail('--declare-id-limit must be 1..1000');

const offlineAfterSec = Number(values['offline-after']);
if (!Number.isInteger(offlineAfterSec) || offlineAfterSec < 1 || offlineAfterSec > 86_400)
  fail('--offline-after must be 1..86400 seconds');
const streamGraceSec = Number(values['stream-grace']);
if (!Number.isInteger(streamGraceSec) || streamGraceSec < 1 || streamGraceSec > 86_400)
  fail('--stream-grace must be 1..86400 seconds');

const officerPinMinDigits = Number(values['officer-pin-min-digits']);
if (!Number.isInteger(officerPinMinDigits) || officerPinMinDigits < 4 || officerPinMinDigits > 8)
  fail(`--officer-pin-min-digits must be 4..8, not "${values['officer-pin-min-digits']}"`);

const drainGraceSec = Number(values['drain-grace']);
if (!Number.isFinite(drainGraceSec) || drainGraceSec < 0 || drainGraceSec > 60)
  fail(`--drain-grace must be 0..60 seconds, not "${values['drain-grace']}"`);

const envUrl = process.env[DATABASE_URL_ENV];
const databaseUrl = values.database ?? (envUrl !== undefined && envUrl !== '' ? envUrl : undefined);
let scanRetainMonths: number | undefined;
if (values['scan-retain-months'] !== undefined) {
  scanRetainMonths = Number(values['scan-retain-months']);
  if (!Number.isInteger(scanRetainMonths) || scanRetainMonths < 1 || scanRetainMonths > 1200)
    fail('--scan-retain-months must be 1..1200');
  if (databaseUrl === undefined) fail('--scan-retain-months needs --database (fleet mode)');
}
const scanSubjectRetainDays = Number(values['scan-subject-retain-days']);
if (!Number.isInteger(scanSubjectRetainDays) || scanSubjectRetainDays < 1 || scanSubjectRetainDays > 3650)
  fail(`--scan-subject-retain-days must be 1..3650, not "${values['scan-subject-retain-days']}"`);
let databasePoolSize = 10;
if (values['database-pool-size'] !== undefined) {
  databasePoolSize = Number(values['database-pool-size']);
  if (!Number.isInteger(databasePoolSize) || databasePoolSize < 2 || databasePoolSize > 200)
    fail(`--database-pool-size must be 2..200, not "${values['database-pool-size']}"`);
  if (databaseUrl === undefined) fail('--database-pool-size needs --database (fleet mode)');
}
let snapshotMemoryMb: number | undefined;
if (values['snapshot-memory-mb'] !== undefined) {
  snapshotMemoryMb = Number(values['snapshot-memory-mb']);
  if (!Number.isInteger(snapshotMemoryMb) || snapshotMemoryMb < 0 || snapshotMemoryMb > 65_536)
    fail(`--snapshot-memory-mb must be 0..65536, not "${values['snapshot-memory-mb']}"`);
  if (databaseUrl === undefined) fail('--snapshot-memory-mb needs --database (fleet mode)');
}
const traceHop2Max = Number(values['trace-hop2-max']);
if (!Number.isInteger(traceHop2Max) || traceHop2Max < 0 || traceHop2Max > 10_000_000)
  fail(`--trace-hop2-max must be 0..10000000, not "${values['trace-hop2-max']}"`);
const importsAtOnce = Number(values['imports-at-once']);
if (!Number.isInteger(importsAtOnce) || importsAtOnce < 1 || importsAtOnce > 50)
  fail(`--imports-at-once must be 1..50, not "${values['imports-at-once']}"`);
if (databaseUrl !== undefined && importsAtOnce >= databasePoolSize)
  fail('--imports-at-once must be below --database-pool-size (each running import holds a connection)');

let db: Db | undefined;
let pgPool: PgPool | undefined;
let pgStore: OpenedStore | undefined;
let bus: PgFleetBus | undefined;
let settings: SettingsStore;
let snapshotDir: string | undefined;
if (databaseUrl !== undefined) {
  // Fleet mode: nothing kept on this machine; the database holds the state.
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) fail('--database must be a postgres:// URL');
  const pool = await openPg({ url: databaseUrl, max: databasePoolSize }).catch((err: unknown) =>
    fail((err as Error).message),
  );
  const migrated = await runPgMigrations(pool, PG_MIGRATIONS);
  console.log(
    `checkpoint-server: PostgreSQL at ${describeUrl(databaseUrl)}, schema version ${migrated.version}` +
      (migrated.applied.length > 0 ? ` (applied ${migrated.applied.join(', ')})` : ''),
  );
  settings = new PgSettingsStore(pool);
  pgPool = pool;
} else {
  const dataDir = resolve(values.data);
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const exposure = folderExposure(dataDir);
  if (exposure !== null) console.warn(`checkpoint-server: warning: ${exposure}`);
  // Snapshots hold the lists (keyed hashes and statuses): their folder is owner-only too.
  snapshotDir = join(dataDir, 'snapshots');
  mkdirSync(snapshotDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(snapshotDir, PRIVATE_DIR_MODE);
  db = openDatabase(join(dataDir, 'server.db'));
  settings = openSqliteSettings(db);
}
// The index key: keys the server's own tables by subject and is never sent to a lane (lanes get
// their key scope's list key, kept in `list_keys` and made on first use). One for the fleet.
const listKey = await settings.getOrCreate('list_key', generateListKey);

let adminTokenHash: string;
const envToken = process.env.CHECKPOINT_ADMIN_TOKEN;
if (envToken !== undefined && envToken !== '') {
  if (envToken.length < 16) fail('CHECKPOINT_ADMIN_TOKEN must be at least 16 characters');
  adminTokenHash = hashToken(envToken);
  await settings.set('admin_token_hash', Buffer.from(adminTokenHash));
  console.log('checkpoint-server: admin token from CHECKPOINT_ADMIN_TOKEN');
} else {
  const stored = await settings.get('admin_token_hash');
  if (stored) {
    adminTokenHash = stored.toString('utf8');
    console.log('checkpoint-server: using the stored admin token (set CHECKPOINT_ADMIN_TOKEN to replace it)');
  } else {
    const token = generateToken();
    adminTokenHash = hashToken(token);
    await settings.set('admin_token_hash', Buffer.from(adminTokenHash));
    console.log(`checkpoint-server: generated admin token (shown once, keep it safe): ${token}`);
  }
}

const logger = createLogger({ level: values['log-level'] });
if (databaseUrl !== undefined && pgPool !== undefined) {
  const pool = pgPool;
  bus = new PgFleetBus({
    url: databaseUrl,
    pool,
    // Fleet messages are authenticated with it: only roles that can read the settings can forge one.
    key: await settings.getOrCreate(FLEET_KEY_SETTING, newFleetKey),
    onStateChange: (state) => {
      if (state.connected) logger.info('fleet event bus connected');
      else logger.warn({ error: state.lastError }, 'fleet event bus cut off; reconnecting');
    },
    onHandlerError: (err) => {
      logger.error({ err }, 'fleet event handler failed');
    },
  });
  await bus
    .start()
    .catch((err: unknown) => fail(`cannot listen for fleet events: ${(err as Error).message}`));
  pgStore = await openPgStore(pool, {
    indexKey: listKey,
    databaseUrl,
    clock: Date.now,
    ...(scanRetainMonths !== undefined && { scanRetainMonths }),
    ...(snapshotMemoryMb !== undefined && { snapshotMemoryBytes: snapshotMemoryMb * 2 ** 20 }),
    scanSubjectRetainDays,
  });
}
const app = await buildServer({
  ...(db !== undefined && { db }),
  ...(pgStore !== undefined && { store: pgStore }),
  ...(bus !== undefined && { bus }),
  onFleetError: (what, err) => {
    logger.warn({ err, what }, 'fleet event failed');
  },
  adminTokenHash,
  listKey,
  ...(snapshotDir !== undefined && { snapshotDir }),
  scanSubjectRetainDays,
  logger,
  enrollRateLimit,
  declareRateLimit,
  declareIdLimit,
  kioskOfflineAfterMs: offlineAfterSec * 1000,
  kioskStreamGraceMs: streamGraceSec * 1000,
  officerPinMinDigits,
  importsAtOnce,
  traceHop2Max,
  ...(values['trust-proxy'] !== undefined && { trustProxy: values['trust-proxy'] }),
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  closing = true;
  logger.info({ signal }, 'shutting down: draining, then finishing in-flight requests');
  try {
    await app.drain(signal === 'SIGTERM' ? drainGraceSec * 1000 : 0);
    await app.close();
    await bus?.close();
    await pgStore?.close();
    db?.close();
    logger.info('database closed; bye');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const address = await app.listen({ port, host: values.host });
  console.log(`checkpoint-server listening on ${address} (admin console: ${address}/admin/)`);
} catch (err) {
  db?.close();
  fail(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`);
}
