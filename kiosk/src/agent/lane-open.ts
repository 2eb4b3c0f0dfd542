// Opening a lane's data folder: its sealed secrets (enrolling first when there are none,
// migrating an old plain credentials file), its store (adopting a new enrollment over an old one)
// and its officers. What `LaneAgent.open` runs before the agent is built. A lane whose secrets
// cannot be unsealed still opens, locked: no list key, no sync, every scan amber.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS, CheckpointConfig, LIST_NAMES } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { KeyStore } from '../secrets/key-store.js';
import { LaneVault, SECRETS_FILE, type LaneIdentity, type VaultProblem } from '../secrets/lane-vault.js';
import { ListKeyRing } from '../secrets/list-key-ring.js';
import { LaneStore, type EnrollmentAdoption } from '../store/lane-store.js';
import { readCredentials, removePlainCredentials, type LaneCredentials } from '../sync/credentials.js';
import { ServerApi } from '../sync/server-api.js';
import { refuseServerTransport } from '../sync/server-transport.js';
import { OfficerRegistry } from './officers.js';

/** Why a lane could not start; said plainly on the command line. */
export class LaneStartError extends Error {}

/** Where a lane's data lives and how to enroll it. */
export interface LaneOpenOptions {
  readonly dataDir: string;
  /** The sync server; may be omitted once enrolled (the credentials remember it). */
  readonly serverUrl?: string | undefined;
  /** A one-time enrollment code from the centre; needed on the first start only. */
  readonly enrollCode?: string | undefined;
  /** Allow plain http:// to a server on another machine (`--insecure-http`); loopback is always allowed. */
  readonly insecureHttp?: boolean | undefined;
  readonly laneName?: string | undefined;
  readonly logger: Logger;
  /**
   * Where the lane's secrets are sealed (`--key-store`; see secrets/key-store-choice.ts): the TPM
   * on a lane; tests and the demo pass the insecure file store explicitly.
   */
  readonly keyStore: KeyStore;
  /**
   * The lane's 32-byte officer PIN pepper. Default: the one in the lane's sealed secrets (made at
   * enrollment or migration, kept across restarts).
   */
  readonly pinPepper?: Uint8Array | undefined;
}

/** Why a lane is locked: it could not open its sealed secrets. */
export interface LaneLock {
  readonly code: VaultProblem['code'];
  /** A plain sentence for the log and the console (no secret in it). */
  readonly message: string;
  /** The lane's plain identity file, if readable (kiosk id, server, checkpoint). */
  readonly identity: LaneIdentity | null;
}

/** An opened data folder: what a lane agent is built from. */
export interface OpenedLane {
  readonly store: LaneStore;
  /** The enrollment unsealed into memory; null when the lane is locked. */
  readonly credentials: LaneCredentials | null;
  /** The opened secrets (to update them when the server changes them); null when locked. */
  readonly vault: LaneVault | null;
  /** Why the lane is locked; null when its secrets opened. */
  readonly lock: LaneLock | null;
  readonly officers: OfficerRegistry;
  /** What adopting this enrollment did to the store (`changed`: enrolled again over an old one). */
  readonly adoption: EnrollmentAdoption;
}

/** The lane store setting that holds each officer's wrong-PIN state. */
const PIN_STATE_SETTING = 'officer-pin-state';

/**
 * Opens a lane's data folder: unseals its secrets, migrating a plain `lane-credentials.json`
 * into the sealed store, or enrolls with the server first if it has neither. A lane whose
 * secrets do not unseal opens locked (see `OpenedLane.lock`). A plain credentials file beside
 * sealed secrets (a migration cut short, or a copy put back) is never read: it is wiped, whether
 * or not the secrets unseal. Throws `LaneStartError` with a plain reason (not enrolled, server
 * unreachable, bad code, cannot seal).
 */
export async function openLaneData(options: LaneOpenOptions): Promise<OpenedLane> {
  const log = options.logger.child({ module: 'lane-agent' });
  prepareDataDir(options.dataDir, log);
  const keyStore = options.keyStore;
  let vault: LaneVault;
  let justEnrolled = false;
  if (LaneVault.exists(options.dataDir)) {
    wipePlain(options.dataDir, log, 'already in the sealed store');
    const started = performance.now();
    const opened = await LaneVault.open(options.dataDir, keyStore);
    if (!opened.ok) return openLocked(options, log, opened.error);
    vault = opened.value;
    log.info(
      { keyStore: keyStore.kind, unsealMs: Math.round(performance.now() - started) },
      'lane secrets unsealed',
    );
  } else {
    const migrated = await migratePlain(options, log);
    justEnrolled = migrated === null;
    vault = migrated ?? (await enroll(options, log));
  }
  const credentials = vault.credentials;
  // K, the token, PIN hashes and lists must not cross a network in clear: checked for the
  // enrollment URL and, before any request, for an enrolled lane's stored URL.
  if (!justEnrolled) {
    const refused = refuseServerTransport(credentials.serverUrl, options.insecureHttp === true, log);
    if (refused !== null) throw new LaneStartError(`the enrolled server ${refused}`);
    if (options.enrollCode !== undefined) {
      log.warn({ kioskId: credentials.kioskId }, 'already enrolled; the enrollment code is not used');
    }
    if (options.serverUrl !== undefined && options.serverUrl !== credentials.serverUrl) {
      log.warn('--server differs from the enrolled server; using the enrolled one');
    }
  }
  const store = LaneStore.open(join(options.dataDir, 'lane.db'));
  const adoption = store.adoptEnrollment({
    kioskId: credentials.kioskId,
    listKeyId: createHash('sha256').update(credentials.listKey).digest('hex').slice(0, 16),
    justEnrolled,
  });
  if (adoption.changed) {
    log.info(
      { kioskId: credentials.kioskId, carried: adoption.carried, listsReset: adoption.listsReset },
      'enrolled again over an old store: unsent records carried over to the new enrollment',
    );
  }
  // A list keyed with a key the vault does not hold cannot be looked up: emptied, to be fetched
  // again (a lookup never keys a subject with another key than its list's).
  const ring = new ListKeyRing(vault);
  for (const list of LIST_NAMES) {
    const keyId = store.listKeyId(list);
    if (ring.holds(keyId) || (store.listState(list).version === 0 && store.countEntries(list) === 0))
      continue;
    log.warn(
      { list, keyId },
      'list keyed with a list key the lane does not hold: emptied, to be fetched again',
    );
    store.resetList(list);
  }
  let officers: OfficerRegistry;
  try {
    // Each officer's wrong-PIN count and lock live in the store: a restart does not reset them.
    officers = OfficerRegistry.load(options.dataDir, {
      pinPepper: options.pinPepper ?? vault.pinPepper,
      logger: options.logger.child({ module: 'officers' }),
      state: {
        read: () => store.getSetting(PIN_STATE_SETTING),
        write: (text) => {
          store.setSetting(PIN_STATE_SETTING, text);
        },
      },
    });
  } catch (error) {
    store.close();
    throw new LaneStartError(error instanceof Error ? error.message : String(error));
  }
  // Another enrollment, maybe of another checkpoint: its roster is fetched, never assumed.
  if (adoption.changed && officers.version > 0) officers.replace({ version: 0, officers: [] });
  warnIfInsecure(keyStore, log);
  return { store, credentials, vault, lock: null, officers, adoption };
}

/**
 * A lane with no sealed secrets: moves a plain `lane-credentials.json` into a new sealed store
 * and wipes it; null when there is none to move (an empty or zero-filled one, left by a wipe cut
 * short, is wiped as none).
 */
async function migratePlain(options: LaneOpenOptions, log: Logger): Promise<LaneVault | null> {
  const keyStore = options.keyStore;
  let plain: LaneCredentials | null;
  try {
    plain = readCredentials(options.dataDir);
  } catch (error) {
    throw new LaneStartError(error instanceof Error ? error.message : String(error));
  }
  if (plain === null) {
    wipePlain(options.dataDir, log, 'is empty');
    return null;
  }
  const created = await LaneVault.create(options.dataDir, keyStore, plain);
  if (!created.ok) {
    throw new LaneStartError(
      `cannot move lane-credentials.json into the ${keyStore.kind} key store: ${created.error.message}. ` +
        'The plain file is left as it was; choose a key store this machine has (--key-store)',
    );
  }
  wipePlain(options.dataDir, log, `migrated into the ${keyStore.kind} key store`);
  return created.value;
}

/**
 * Creates the data folder 0700, or tightens an existing one that group or others can read or
 * enter to 0700 when this user owns it (saying so); warns when it cannot.
 */
function prepareDataDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const stat = statSync(dir);
  if ((stat.mode & 0o077) === 0) return;
  const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
  if (stat.uid === process.getuid?.()) {
    try {
      chmodSync(dir, 0o700);
      log.warn(`the data folder ${dir} was open to other users (mode ${octal}): set to 0700`);
      return;
    } catch {
      // Not changeable here (a read-only mount): warned below.
    }
  }
  log.warn(
    `the data folder ${dir} is open to other users (mode ${octal}); run "chmod 700 ${dir}" so nobody else can list or read it`,
  );
}

/**
 * A lane whose secrets do not unseal: its store (unsent records stay; scans are still recorded)
 * and no officer (no PIN can be checked without the sealed pepper; officers.json is left as is).
 */
function openLocked(options: LaneOpenOptions, log: Logger, problem: VaultProblem): OpenedLane {
  const identity = LaneVault.readIdentity(options.dataDir);
  const lock: LaneLock = {
    code: problem.code,
    message:
      `cannot unseal the lane's secrets (${problem.code}): ${problem.message}. ` +
      `The lane does not sync and decides every scan amber until this is fixed; to enroll it ` +
      `again, remove ${join(options.dataDir, SECRETS_FILE)} and start it with --enroll CODE`,
    identity,
  };
  log.error(
    { code: problem.code, keyStore: options.keyStore.kind, kioskId: identity?.kioskId },
    `LANE LOCKED: ${lock.message}`,
  );
  warnIfInsecure(options.keyStore, log);
  const store = LaneStore.open(join(options.dataDir, 'lane.db'));
  const officers = new OfficerRegistry([], {
    pinPepper: randomBytes(32),
    logger: options.logger.child({ module: 'officers' }),
  });
  return {
    store,
    credentials: null,
    vault: null,
    lock,
    officers,
    adoption: { changed: false, carried: 0, listsReset: [] },
  };
}

/** The loud warning of every start with the development key store. */
function warnIfInsecure(keyStore: KeyStore, log: Logger): void {
  if (keyStore.kind !== 'file') return;
  log.warn(
    "INSECURE: --key-store file keeps the key to the lane's secrets in a plain file in its data " +
      'folder; a copy of the disk reveals every listed ID. For development only',
  );
}

/** Overwrites and deletes the plain credentials file if there is one, saying so in the log. */
function wipePlain(dataDir: string, log: Logger, why: string): void {
  try {
    if (!removePlainCredentials(dataDir)) return;
    log.info(`lane-credentials.json ${why}: the plain copy was overwritten and deleted`);
  } catch (error) {
    log.error(
      { err: error instanceof Error ? error.message : String(error) },
      `lane-credentials.json ${why}, but the plain copy could not be deleted: delete it by hand`,
    );
  }
}

/**
 * Enrolls a lane that has no secrets yet: seals a new wrapping key first (a lane that cannot
 * seal does not spend its one-time code), then enrolls and writes the sealed secrets.
 */
async function enroll(options: LaneOpenOptions, log: Logger): Promise<LaneVault> {
  if (options.enrollCode === undefined) {
    throw new LaneStartError(
      `this lane is not enrolled: start it once with --enroll CODE (data in ${options.dataDir})`,
    );
  }
  if (options.serverUrl === undefined) throw new LaneStartError('--server URL is needed to enroll');
  const refused = refuseServerTransport(options.serverUrl, options.insecureHttp === true, log);
  if (refused !== null) throw new LaneStartError(`--server ${refused}`);
  const pending = await LaneVault.begin(options.dataDir, options.keyStore);
  if (!pending.ok) {
    throw new LaneStartError(
      `cannot seal the lane's secrets with the ${options.keyStore.kind} key store ` +
        `(${pending.error.code}): ${pending.error.message}; the enrollment code was not used`,
    );
  }
  const api = new ServerApi(options.serverUrl, null);
  const res = await api.enroll(options.enrollCode, options.laneName ?? hostname());
  if (!res.ok) {
    pending.value.discard();
    const f = res.error;
    throw new LaneStartError(
      f.kind === 'offline'
        ? `cannot reach the sync server at ${options.serverUrl} to enroll (${f.message})`
        : `enrollment refused: ${f.message}`,
    );
  }
  const credentials: LaneCredentials = { serverUrl: options.serverUrl, ...res.value };
  const committed = pending.value.commit(credentials);
  if (!committed.ok) {
    throw new LaneStartError(
      `enrolled as ${credentials.kioskId}, but the sealed secrets could not be written ` +
        `(${committed.error.message}); ask the centre for a new enrollment code`,
    );
  }
  log.info(
    { kioskId: credentials.kioskId, checkpoint: credentials.checkpoint.id, keyStore: options.keyStore.kind },
    'enrolled; secrets sealed',
  );
  return committed.value;
}

/** The checkpoint config of a locked lane: the stored one, else an open checkpoint named by its identity. */
export function lockedCheckpoint(store: LaneStore, identity: LaneIdentity | null): CheckpointConfig {
  const id = identity?.checkpointId ?? 'unknown';
  return readStoredCheckpoint(store) ?? { id, name: id, mode: 'open', ...CHECKPOINT_DEFAULTS };
}

/** The checkpoint config the lane stored last (the server's newest it heard), or null. */
export function readStoredCheckpoint(store: LaneStore): CheckpointConfig | null {
  const text = store.getSetting('checkpoint');
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(CheckpointConfig, value) ? value : null;
  } catch {
    return null;
  }
}
