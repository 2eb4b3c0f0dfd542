// Opening a lane's data folder: its credentials (enrolling first when there are none), its store
// (adopting a new enrollment over an old one) and its officers. What `LaneAgent.open` runs
// before the agent is built.
import { createHash, hkdfSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CheckpointConfig } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { LaneStore, type EnrollmentAdoption } from '../store/lane-store.js';
import { readCredentials, writeCredentials, type LaneCredentials } from '../sync/credentials.js';
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
   * The lane's 32-byte officer PIN pepper from its sealed store. Without it, the pepper is
   * HKDF-SHA256 of the lane token (as safe as the token's storage).
   */
  readonly pinPepper?: Uint8Array | undefined;
}

/** An opened data folder: what a lane agent is built from. */
export interface OpenedLane {
  readonly store: LaneStore;
  readonly credentials: LaneCredentials;
  readonly officers: OfficerRegistry;
  /** What adopting this enrollment did to the store (`changed`: enrolled again over an old one). */
  readonly adoption: EnrollmentAdoption;
}

/** The lane store setting that holds each officer's wrong-PIN state. */
const PIN_STATE_SETTING = 'officer-pin-state';

/**
 * Opens a lane's data folder, enrolling with the server first if it has no credentials yet.
 * Throws `LaneStartError` with a plain reason (not enrolled, server unreachable, bad code).
 */
export async function openLaneData(options: LaneOpenOptions): Promise<OpenedLane> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  let credentials: LaneCredentials | null;
  try {
    credentials = readCredentials(options.dataDir);
  } catch (error) {
    throw new LaneStartError(error instanceof Error ? error.message : String(error));
  }
  const log = options.logger.child({ module: 'lane-agent' });
  // K, the token, PIN hashes and lists must not cross a network in clear: checked for the
  // enrollment URL and, before any request, for an enrolled lane's stored URL.
  const serverUrl = credentials?.serverUrl ?? options.serverUrl;
  const refused =
    serverUrl === undefined ? null : refuseServerTransport(serverUrl, options.insecureHttp === true, log);
  if (refused !== null) {
    throw new LaneStartError(credentials === null ? `--server ${refused}` : `the enrolled server ${refused}`);
  }
  if (credentials !== null && options.enrollCode !== undefined) {
    log.warn({ kioskId: credentials.kioskId }, 'already enrolled; the enrollment code is not used');
  }
  let justEnrolled = false;
  if (credentials === null) {
    credentials = await enroll(options, log);
    justEnrolled = true;
  } else if (options.serverUrl !== undefined && options.serverUrl !== credentials.serverUrl) {
    log.warn('--server differs from the enrolled server; using the enrolled one');
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
  let officers: OfficerRegistry;
  try {
    // Each officer's wrong-PIN count and lock live in the store: a restart does not reset them.
    officers = OfficerRegistry.load(options.dataDir, {
      pinPepper:
        options.pinPepper ??
        new Uint8Array(hkdfSync('sha256', credentials.token, '', 'checkpoint-lane officer PIN pepper', 32)),
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
  return { store, credentials, officers, adoption };
}

/** Enrolls a lane that has no credentials yet, and writes them. */
async function enroll(options: LaneOpenOptions, log: Logger): Promise<LaneCredentials> {
  if (options.enrollCode === undefined) {
    throw new LaneStartError(
      `this lane is not enrolled: start it once with --enroll CODE (data in ${options.dataDir})`,
    );
  }
  if (options.serverUrl === undefined) throw new LaneStartError('--server URL is needed to enroll');
  const api = new ServerApi(options.serverUrl, null);
  const res = await api.enroll(options.enrollCode, options.laneName ?? hostname());
  if (!res.ok) {
    const f = res.error;
    throw new LaneStartError(
      f.kind === 'offline'
        ? `cannot reach the sync server at ${options.serverUrl} to enroll (${f.message})`
        : `enrollment refused: ${f.message}`,
    );
  }
  const credentials: LaneCredentials = { serverUrl: options.serverUrl, ...res.value };
  writeCredentials(options.dataDir, credentials);
  log.info({ kioskId: credentials.kioskId, checkpoint: credentials.checkpoint.id }, 'enrolled');
  return credentials;
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
