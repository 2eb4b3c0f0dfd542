import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointConfig,
  type Desk,
  type DeskOfficer,
  type OverrideRequestBody,
  type ScanSource,
  type TravellerView,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { DeviceState, Scanner } from '../scanners/scanner.js';
import { LaneStore, type EnrollmentAdoption } from '../store/lane-store.js';
import { readCredentials, writeCredentials, type LaneCredentials } from '../sync/credentials.js';
import { LaneSync, type SyncStatus } from '../sync/lane-sync.js';
import { ServerApi } from '../sync/server-api.js';
import { refuseServerTransport } from '../sync/server-transport.js';
import { DecisionLoop, type LaneDecision } from './decision-loop.js';
import { LaneDesk, type AcknowledgeResult, type OfficerDetails } from './desk.js';
import { OfficerRegistry, writeOfficersFile, type OfficerRoster } from './officers.js';
import { overrideDecision, type OverrideResult } from './override.js';
import { createSubjectKeyer } from './subject-keyer.js';

/** Everything a display (or any observer) hears from the lane. */
export type LaneEvent =
  | { readonly type: 'decision'; readonly data: LaneDecision }
  | { readonly type: 'device'; readonly data: DeviceState }
  | { readonly type: 'sync'; readonly data: SyncStatus }
  | {
      readonly type: 'override';
      readonly data: { scanId: string; decision: string; originalDecision: string };
    }
  /** The officer's desk after any change; `latest` names a scan that just arrived. */
  | { readonly type: 'desk'; readonly data: Desk; readonly latest: string | null }
  /** What the traveller's screen shows now: never why, and every non-green alike. */
  | { readonly type: 'traveller'; readonly data: TravellerView };

/** The sync status as displays get it: also since when the server is unreachable, and the lists' freshness budget. */
export interface LaneSyncView extends SyncStatus {
  /** Epoch ms since which the server has not answered; null while online. */
  readonly offlineSince: number | null;
  /** How old lists may get before greens turn amber (the checkpoint's budget, seconds). */
  readonly freshnessBudgetSec: number;
}

/** How to start a lane. */
export interface LaneAgentOptions {
  readonly dataDir: string;
  /** The sync server; may be omitted once enrolled (the credentials remember it). */
  readonly serverUrl?: string | undefined;
  /** A one-time enrollment code from the centre; needed on the first start only. */
  readonly enrollCode?: string | undefined;
  /** Allow plain http:// to a server on another machine (`--insecure-http`); loopback is always allowed. */
  readonly insecureHttp?: boolean | undefined;
  readonly laneName?: string | undefined;
  readonly scanners: readonly Scanner[];
  readonly logger: Logger;
  readonly clock?: () => number;
  /**
   * How long after the latest scan an override of that scan still reaches the traveller's screen
   * (3 min); later the screen stays at "ready": whoever stands at the gate may not be that person.
   */
  readonly travellerHoldMs?: number;
  readonly onDecision?: (decision: LaneDecision, details: OfficerDetails) => void;
  readonly onDeviceState?: (state: DeviceState) => void;
  readonly onSyncStatus?: (status: SyncStatus) => void;
  /** Sync timings, for tests. */
  readonly sync?: {
    pollMs?: number;
    heartbeatMs?: number;
    uploadIdleMs?: number;
    retry?: { baseMs: number; capMs: number };
  };
}

/** Why a lane could not start; said plainly on the command line. */
export class LaneStartError extends Error {}

/**
 * One lane: its store, scanners, decision loop and sync. Decides with or without the server,
 * with or without a display; a failing device or network never stops it.
 */
export class LaneAgent {
  readonly store: LaneStore;
  readonly credentials: LaneCredentials;
  readonly #o: LaneAgentOptions;
  readonly #log: Logger;
  readonly #loop: DecisionLoop;
  readonly #sync: LaneSync;
  readonly #devices = new Map<string, DeviceState>();
  readonly #listeners = new Set<(event: LaneEvent) => void>();
  readonly #officers: OfficerRegistry;
  readonly #clock: () => number;
  readonly #desk: LaneDesk;
  #offlineSince: number | null = null;
  #checkpoint: CheckpointConfig;
  #reEnrollment: EnrollmentAdoption | null = null;
  /** The latest recorded scan, the one the traveller's screen speaks for; null after a repeat or a restart. */
  #travellerScan: { readonly scanId: string; readonly at: number } | null = null;

  private constructor(
    options: LaneAgentOptions,
    store: LaneStore,
    credentials: LaneCredentials,
    officers: OfficerRegistry,
  ) {
    this.#o = options;
    this.#officers = officers;
    this.store = store;
    this.credentials = credentials;
    this.#log = options.logger.child({ module: 'lane-agent' });
    this.#checkpoint = readStoredCheckpoint(store) ?? credentials.checkpoint;
    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    const api = new ServerApi(credentials.serverUrl, credentials.token);
    this.#sync = new LaneSync({
      api,
      store,
      logger: options.logger,
      clock,
      checkpoint: () => this.#checkpoint,
      devices: () => [...this.#devices.values()],
      onStatus: (s) => {
        options.onSyncStatus?.(s);
        this.#emit({ type: 'sync', data: this.#displaySync(s) });
      },
      onCheckpoint: (c) => {
        this.#adoptCheckpoint(c);
      },
      officersVersion: () => this.#officers.version,
      onOfficers: (roster) => {
        this.#adoptOfficers(roster);
      },
      ...(options.sync ?? {}),
    });
    this.#loop = new DecisionLoop({
      store,
      keyer: createSubjectKeyer(Buffer.from(credentials.listKey, 'base64')),
      checkpoint: () => this.#checkpoint,
      logger: options.logger,
      clock,
      onDecision: (d, details) => {
        options.onDecision?.(d, details);
        this.#emit({ type: 'decision', data: d });
        this.#desk.addScan(d, details);
        // A repeat records nothing: no override can be for what the screen shows now.
        this.#travellerScan = d.scanId === null ? null : { scanId: d.scanId, at: d.at };
        this.#emit({
          type: 'traveller',
          data: { state: d.decision === 'green' ? 'go' : 'see_officer', at: d.at },
        });
        this.#sync.requestUpload(d.alert);
      },
      onUrgent: () => {
        this.#sync.requestUpload();
      },
    });
    for (const s of options.scanners) this.#devices.set(s.device, s.state());
    this.#desk = new LaneDesk({
      store,
      clock,
      onChange: (desk, latest) => {
        this.#emit({ type: 'desk', data: desk, latest });
      },
    });
    this.#desk.restore();
    const travellerHoldMs = options.travellerHoldMs ?? TRAVELLER_HOLD_MS;
    // An override (whoever records it) settles its scan on the desk. It tells the traveller only
    // when it is for the latest scan, within the hold: the desk's queue and strip let officers
    // override older scans, and those must never speak to (or open the gate for) whoever is there now.
    this.onEvent((event) => {
      if (event.type !== 'override') return;
      this.#desk.applyOverrideOf(event.data.scanId);
      const shown = this.#travellerScan;
      const now = this.#clock();
      if (shown?.scanId !== event.data.scanId || now - shown.at > travellerHoldMs) return;
      this.#emit({
        type: 'traveller',
        data: { state: event.data.decision === 'green' ? 'go' : 'see_officer', at: now },
      });
    });
  }

  /**
   * Opens a lane's data folder, enrolling with the server first if it has no credentials yet.
   * Throws `LaneStartError` with a plain reason (not enrolled, server unreachable, bad code).
   */
  static async open(options: LaneAgentOptions): Promise<LaneAgent> {
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
      throw new LaneStartError(
        credentials === null ? `--server ${refused}` : `the enrolled server ${refused}`,
      );
    }
    if (credentials !== null && options.enrollCode !== undefined) {
      log.warn({ kioskId: credentials.kioskId }, 'already enrolled; the enrollment code is not used');
    }
    let justEnrolled = false;
    if (credentials === null) {
      if (options.enrollCode === undefined) {
        throw new LaneStartError(
          `this lane is not enrolled: start it once with --enroll CODE (data in ${options.dataDir})`,
        );
      }
      if (options.serverUrl === undefined) throw new LaneStartError('--server URL is needed to enroll');
      const api = new ServerApi(options.serverUrl, null);
      const res = await api.enroll(options.enrollCode, options.laneName ?? hostname());
      if (!res.ok) {
        const f = res.failure;
        throw new LaneStartError(
          f.kind === 'offline'
            ? `cannot reach the sync server at ${options.serverUrl} to enroll (${f.message})`
            : `enrollment refused: ${f.message}`,
        );
      }
      credentials = { serverUrl: options.serverUrl, ...res.value };
      justEnrolled = true;
      writeCredentials(options.dataDir, credentials);
      log.info({ kioskId: credentials.kioskId, checkpoint: credentials.checkpoint.id }, 'enrolled');
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
    const agent = new LaneAgent(options, store, credentials, officers);
    if (adoption.changed) agent.#reEnrollment = adoption;
    return agent;
  }

  /** Set when this start enrolled the lane again over an old store: what was carried over. */
  get reEnrollment(): EnrollmentAdoption | null {
    return this.#reEnrollment;
  }

  /** The checkpoint config the lane decides by. */
  checkpoint(): CheckpointConfig {
    return this.#checkpoint;
  }

  /**
   * Starts the sync, then the scanners. A lane with no lists yet gives its first sync up to
   * `firstSyncMs` so that it does not greet its first travellers with stale-list ambers; it
   * never waits longer than that: an offline lane decides from what it has.
   */
  async start(firstSyncMs = 0): Promise<void> {
    this.#sync.start();
    if (firstSyncMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, firstSyncMs);
      });
      await Promise.race([this.syncListsNow(), timeout]);
      clearTimeout(timer);
    }
    for (const scanner of this.#o.scanners) {
      scanner.start({
        scan: (input) => {
          this.#loop.handle(input);
        },
        status: (state) => {
          this.#devices.set(state.device, state);
          this.#sync.heartbeatSoon();
          this.#o.onDeviceState?.(state);
          this.#emit({ type: 'device', data: state });
        },
      });
    }
  }

  /** Decides a code typed by the officer (or any source), exactly as a scan. */
  submit(text: string, source: ScanSource = 'manual', device?: string): LaneDecision {
    return this.#loop.handle({ text, source, device: device ?? (source === 'manual' ? 'keypad' : source) });
  }

  /**
   * An officer's override of scan `scanId` (the named officer's PIN, a reason; a named supervisor
   * for an F0 red → green), recorded and uploaded. PIN checks run off the event loop.
   */
  async override(scanId: string, body: OverrideRequestBody): Promise<OverrideResult> {
    const result = await overrideDecision(this.store, this.#officers, { ...body, scanId }, this.#clock);
    if (result.ok) {
      const { scanId, decision, originalDecision } = result.record;
      this.#emit({ type: 'override', data: { scanId, decision, originalDecision } });
      this.#sync.requestUpload();
    }
    return result;
  }

  /** The officers the override dialog lists, with each one's lock-out (no PIN hashes). */
  officers(): DeskOfficer[] {
    return this.#officers.list(this.#clock());
  }

  /**
   * The officer has seen a waiting scan ("Đã xem"), named by its id: an `ack` record (uploaded),
   * and the scan leaves the pending queue. A scan already handled is refused, never another's.
   */
  acknowledge(scanId: string, note?: string): AcknowledgeResult {
    const result = this.#desk.acknowledge(scanId, note);
    if (result.ok) this.#sync.requestUpload();
    return result;
  }

  /** The officer's desk: pending scans and the last 20, for a display that (re)connects. */
  desk(): Desk {
    return this.#desk.snapshot();
  }

  /** Subscribes to the lane's events; answers the unsubscribe function. */
  onEvent(listener: (event: LaneEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: LaneEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error(
          { err: error instanceof Error ? error.message : String(error) },
          'event listener failed',
        );
      }
    }
  }

  /** Device states and sync status, for the display and heartbeats. */
  status(): { devices: DeviceState[]; sync: LaneSyncView; checkpoint: CheckpointConfig } {
    return {
      devices: [...this.#devices.values()],
      sync: this.#displaySync(this.#sync.status()),
      checkpoint: this.#checkpoint,
    };
  }

  /** The sync status with what a screen needs to be honest about it: since when offline, the lists' budget. */
  #displaySync(s: SyncStatus): LaneSyncView {
    if (s.online) this.#offlineSince = null;
    else this.#offlineSince ??= this.#clock();
    return {
      ...s,
      offlineSince: this.#offlineSince,
      freshnessBudgetSec: this.#checkpoint.freshnessBudgetSec,
    };
  }

  /** Lists brought up to date once (for tests and `--once` style scripts). */
  syncListsNow(): Promise<boolean[]> {
    return Promise.all([this.#sync.syncList('health'), this.#sync.syncList('whitelist')]);
  }

  /** Waits until the outbox is empty or `timeoutMs` passes; answers what is left. */
  async drainOutbox(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    this.#sync.requestUpload();
    while (this.store.backlog().count > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.store.backlog().count;
  }

  /** Stops scanners and sync, then closes the store. Unsent scans stay for the next start. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.#o.scanners.map((s) => s.stop()));
    await this.#sync.stop();
    this.store.close();
  }

  /**
   * Takes a synced officer roster in: written to `officers.json` (atomically) so a restart
   * offline keeps it, and swapped into the registry (keeping its lock-out state).
   */
  #adoptOfficers(roster: OfficerRoster): void {
    try {
      writeOfficersFile(this.#o.dataDir, roster);
    } catch (error) {
      // Still take it in: the server says these are the officers now; a restart will fetch it again.
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'could not write officers.json; the new roster is in force until restart',
      );
    }
    this.#officers.replace(roster);
    this.#log.info({ version: roster.version, officers: roster.officers.length }, 'officers updated');
  }

  #adoptCheckpoint(next: CheckpointConfig): void {
    if (!Value.Check(CheckpointConfig, next)) {
      this.#log.warn('server sent an invalid checkpoint config; keeping the current one');
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(this.#checkpoint)) return;
    this.#log.info({ checkpoint: next.id, mode: next.mode }, 'checkpoint config updated');
    this.#checkpoint = next;
    this.store.setSetting('checkpoint', JSON.stringify(next));
  }
}

/** How long after its scan an override may still change the traveller's screen. */
const TRAVELLER_HOLD_MS = 3 * 60_000;

/** The lane store setting that holds each officer's wrong-PIN state. */
const PIN_STATE_SETTING = 'officer-pin-state';

function readStoredCheckpoint(store: LaneStore): CheckpointConfig | null {
  const text = store.getSetting('checkpoint');
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Value.Check(CheckpointConfig, value) ? value : null;
  } catch {
    return null;
  }
}
