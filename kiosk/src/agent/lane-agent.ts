// One lane: its decision loop, desk, scanners and sync wired together. Opening the data folder is
// in lane-open.ts; what displays hear (events, the traveller's view) in lane-publisher.ts.
import {
  CheckpointConfig,
  type DecisionColour,
  type Desk,
  type DeskOfficer,
  type GateFault,
  type GateReport,
  type GateUnlock,
  type GateView,
  type LaneSyncView,
  type OverrideRequestBody,
  type ScanSource,
  type VehiclePassenger,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Value from 'typebox/value';
import { GateController } from '../gate/gate-controller.js';
import { gateRelaySetup } from '../gate/gate-relay.js';
import { StaffAccess, type StaffCardResult, type StaffPinRefusal } from '../gate/staff-access.js';
import type { Relay, RelayProfile } from '../relays/index.js';
import type { DeviceState, Scanner } from '../scanners/scanner.js';
import type { LaneVault } from '../secrets/lane-vault.js';
import { ListKeyRing } from '../secrets/list-key-ring.js';
import { laneHealthStatusOf } from '../store/lane-outbox.js';
import type { EnrollmentAdoption, LaneStore } from '../store/lane-store.js';
import type { LaneCredentials } from '../sync/credentials.js';
import { LaneSync, type SyncStatus } from '../sync/lane-sync.js';
import { ServerApi } from '../sync/server-api.js';
import type { ServerPoolOptions } from '../sync/server-pool.js';
import { DecisionLoop, type LaneDecision } from './decision-loop.js';
import { LaneDesk, type AcknowledgeResult, type OfficerDetails } from './desk.js';
import {
  lockedCheckpoint,
  openLaneData,
  readStoredCheckpoint,
  type LaneLock,
  type LaneOpenOptions,
} from './lane-open.js';
import { LanePublisher, travellerGateView, type LaneEvent } from './lane-publisher.js';
import type { OfficerRegistry, OfficerRoster } from './officers.js';
import { overrideDecision, type OverrideResult } from './override.js';
import { listKeyers, type LaneKeyers } from './subject-keyer.js';
import { createSubjectSealer } from './subject-sealer.js';
import { VehicleTracker, type PassedResult } from './vehicle-tracker.js';

export { LaneStartError, type LaneLock } from './lane-open.js';
export type { LaneEvent } from './lane-publisher.js';
export type { LaneSyncView } from '@checkpoint-lane/shared';

/** How long every scanner of a lane may be lost before the gate holds shut (`scanner_lost`). */
export const SCANNER_LOST_MS = 5000;
/** How long a gate-mode lane may have no gate screen connected before it holds shut (`display_lost`). */
export const DISPLAY_LOST_MS = 10_000;

/** What `gateUnlock` answers (the contract's answer and refusals). */
export type GateUnlockResult =
  | { readonly ok: true; readonly unlock: GateUnlock }
  | {
      readonly ok: false;
      readonly error: StaffPinRefusal | 'not_gate_mode';
      readonly lockedUntil?: number;
    };

/** How to start a lane. */
export interface LaneAgentOptions extends LaneOpenOptions {
  readonly scanners: readonly Scanner[];
  readonly clock?: () => number;
  /**
   * How long after the latest scan an override of that scan still reaches the traveller's screen
   * (3 min); later the screen stays at "ready": whoever stands at the gate may not be that person.
   */
  readonly travellerHoldMs?: number;
  readonly onDecision?: (decision: LaneDecision, details: OfficerDetails) => void;
  readonly onDeviceState?: (state: DeviceState) => void;
  readonly onSyncStatus?: (status: SyncStatus) => void;
  /**
   * Vehicle mode (`--vehicle-mode`): on whatever the checkpoint says; without it, on when the
   * checkpoint config synced from the server says `vehicleMode: true`.
   */
  readonly vehicleMode?: boolean;
  /** How long a vehicle stays open after its plate scan (10 minutes), for tests. */
  readonly vehicleOpenMs?: number;
  /**
   * Gate mode (`--gate-mode`): no officer at the lane; a gate screen, staff cards and the PIN
   * corner open the officer panel for a minute. Works with or without a relay.
   */
  readonly gateMode?: boolean;
  /**
   * A relay board driving a barrier and/or a tower light (not started: the gate starts it), with
   * its profile (validated by the loader). Ignored when `gate` is given.
   */
  readonly relay?: { readonly relay: Relay; readonly profile: RelayProfile };
  /**
   * A gate controller already started by the caller (the CLI drives the relay to idle before
   * anything else, then opens the lane). Its `unattended` should match `gateMode`.
   */
  readonly gate?: GateController;
  /**
   * Gate mode with a served gate screen: with none connected for `DISPLAY_LOST_MS` the gate holds
   * shut (`display_lost`); the display server reports connections through `displayConnected`.
   */
  readonly gateDisplay?: boolean;
  /** Gate fault timings, for tests. */
  readonly gateTimings?: { scannerLostMs?: number; displayLostMs?: number; unlockMs?: number };
  /** Sync timings, for tests. */
  readonly sync?: {
    pollMs?: number;
    heartbeatMs?: number;
    uploadIdleMs?: number;
    retry?: { baseMs: number; capMs: number };
    /** Fail-over timings of a lane given several servers (sync/server-pool.ts). */
    servers?: ServerPoolOptions;
  };
}

/**
 * One lane: its store, scanners, decision loop and sync. Decides with or without the server,
 * with or without a display; a failing device or network never stops it.
 */
export class LaneAgent {
  readonly store: LaneStore;
  /** Why the lane could not unseal its secrets; null when it did. A locked lane does not sync. */
  readonly lock: LaneLock | null;
  readonly #o: LaneAgentOptions;
  readonly #log: Logger;
  readonly #loop: DecisionLoop;
  readonly #sync: LaneSync | null;
  readonly #devices = new Map<string, DeviceState>();
  readonly #publisher: LanePublisher;
  readonly #officers: OfficerRegistry;
  readonly #clock: () => number;
  readonly #desk: LaneDesk;
  /** The lane's sealed secrets; null when the lane is locked. */
  readonly #vault: LaneVault | null;
  /** The list keys held in the vault; null when the lane is locked. */
  readonly #keys: ListKeyRing | null;
  /** The sealer of the scan seal key it was made for (made again when the vault's key changes). */
  #sealer: { readonly key: string; readonly seal: ((canonicalSubject: string) => string) | null } | null =
    null;
  #checkpoint: CheckpointConfig;
  #reEnrollment: EnrollmentAdoption | null = null;
  /** The vehicle open at this lane (vehicle mode). */
  readonly #vehicles: VehicleTracker;
  /** Closes a vehicle whose 10 minutes are up while no scan comes. */
  #vehicleTimer: NodeJS.Timeout | null = null;
  /** The gate (gate mode or a relay); null: neither. */
  readonly #gate: GateController | null;
  /** Staff cards and the PIN corner (gate mode only). */
  readonly #staff: StaffAccess | null;
  /** Raises `scanner_lost` when every scanner stays lost. */
  #scannerLostTimer: NodeJS.Timeout | null = null;
  /** Raises `display_lost` when no gate screen comes. */
  #displayLostTimer: NodeJS.Timeout | null = null;
  /** Gate screens connected now (gate mode with a display). */
  #displays = 0;
  #gateFaultsSeen = '';
  #stopping = false;

  private constructor(
    options: LaneAgentOptions,
    store: LaneStore,
    vault: LaneVault | null,
    officers: OfficerRegistry,
    lock: LaneLock | null,
  ) {
    this.#o = options;
    this.#officers = officers;
    this.store = store;
    this.#vault = vault;
    const credentials = vault?.credentials ?? null;
    this.#keys = vault === null ? null : new ListKeyRing(vault);
    this.lock = lock;
    this.#log = options.logger.child({ module: 'lane-agent' });
    this.#checkpoint =
      credentials === null
        ? lockedCheckpoint(store, lock?.identity ?? null)
        : (readStoredCheckpoint(store) ?? credentials.checkpoint);
    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    this.#publisher = new LanePublisher({
      logger: this.#log,
      clock,
      travellerHoldMs: options.travellerHoldMs,
    });
    this.#sync = credentials === null ? null : this.#newSync(options, store, credentials);
    this.#vehicles = new VehicleTracker({
      clock,
      ...(options.vehicleOpenMs !== undefined && { openMs: options.vehicleOpenMs }),
      onClose: ({ vehicle, reason }) => {
        this.#log.info(
          { passengers: vehicle.passengers, decision: vehicle.decision, reason },
          'vehicle closed',
        );
        // The store's open vehicle goes with it (a next plate has already taken its place).
        if (reason !== 'next_plate') this.store.closeVehicle(vehicle.id);
        // A plate that closes one vehicle opens the next: the desk message of its scan follows.
        if (reason !== 'next_plate') this.#emitDesk();
      },
    });
    this.#restoreVehicle();
    const sealer = (): ((canonicalSubject: string) => string) | null => this.#sealSubject();
    this.#loop = new DecisionLoop({
      store,
      keyers: this.#keyers(store),
      // Read for each scan: a seal key the server sends later (with a new list key) is used at once.
      get sealSubject() {
        return sealer();
      },
      checkpoint: () => this.#checkpoint,
      logger: options.logger,
      clock,
      onDecision: (d, details, gateDetails) => {
        // The gate first: a red shuts it before anything else happens. The passback key goes to
        // the gate only (memory; never in the decision, never stored or logged).
        const outcome = this.#gate?.decision({
          decision: d.decision,
          record: d.record,
          scanId: d.scanId,
          passbackKey: gateDetails.passbackKey,
        });
        if ((d.decision === 'red' || outcome === 'passback') && this.#gate?.unattended === true)
          this.#sync?.heartbeatSoon();
        options.onDecision?.(d, details);
        this.#emit({ type: 'decision', data: d });
        this.#desk.addScan(d, details);
        this.#publisher.showTraveller(d);
        this.#sync?.requestUpload(d.alert);
      },
      onUrgent: () => {
        this.#sync?.requestUpload();
      },
      vehicles: { enabled: () => this.vehicleMode(), tracker: this.#vehicles },
    });
    for (const s of options.scanners) this.#devices.set(s.device, s.state());
    this.#desk = new LaneDesk({
      store,
      clock,
      onChange: (desk, latest) => {
        this.#emit({ type: 'desk', data: { ...desk, ...this.#vehicleDesk() }, latest });
      },
    });
    this.#desk.restore();
    // An override (whoever records it) settles its scan on the desk, then tells the traveller's
    // screen only when it is for the latest scan, within the hold (LanePublisher.showOverride).
    this.onEvent((event) => {
      if (event.type !== 'override') return;
      this.#vehicles.applyOverride(event.data.scanId, event.data.decision);
      this.#desk.applyOverrideOf(event.data.scanId);
      // The gate follows an override of the latest scan within the hold only (as the screen).
      if (this.#publisher.showOverride(event.data.scanId, event.data.decision)) {
        this.#gate?.override(event.data.scanId, event.data.decision);
      }
    });
    this.#gate = this.#newGate(options);
    this.#staff =
      options.gateMode === true
        ? new StaffAccess({
            // A locked lane has no pinned keys it can use: every card is refused.
            trust: this.#sync?.trust ?? { verifyDetached: () => ({ ok: false, error: 'unknown_key' }) },
            officers,
            checkpointId: () => this.#checkpoint.id,
            clock,
            logger: this.#log,
            ...(options.gateTimings?.unlockMs !== undefined && { unlockMs: options.gateTimings.unlockMs }),
          })
        : null;
    this.#staff?.onChange((unlock) => {
      if (unlock !== null) this.#gate?.countUnlock();
      this.#emitGate();
    });
    // A failed unlock (PIN or card) tells the centre soon; a refused card shows on the gate screen.
    this.#staff?.onFailure((failure) => {
      this.#sync?.heartbeatSoon();
      if (failure.via === 'staff_card') this.#emitGate();
    });
    if (lock !== null) this.#gate?.fault('lane_locked', true);
  }

  /** The gate of a lane in gate mode or with a relay: given by the caller, or made here. */
  #newGate(options: LaneAgentOptions): GateController | null {
    const gate =
      options.gate ??
      (options.gateMode === true || options.relay !== undefined
        ? new GateController({
            relay:
              options.relay === undefined ? null : gateRelaySetup(options.relay.relay, options.relay.profile),
            unattended: options.gateMode === true,
            logger: options.logger,
            clock: this.#clock,
          })
        : null);
    if (gate === null) return null;
    gate.onChange(() => {
      this.#emitGate();
      const faults = gate.faults().join(',');
      if (faults !== this.#gateFaultsSeen) {
        this.#gateFaultsSeen = faults;
        this.#sync?.heartbeatSoon();
      }
    });
    const relay = gate.relayState();
    if (relay !== null) this.#devices.set(relay.device, relay);
    gate.onRelayStatus((state) => {
      this.#devices.set(state.device, state);
      this.#sync?.heartbeatSoon();
      this.#emit({ type: 'device', data: state });
    });
    return gate;
  }

  /** The enrollment unsealed at start, as the vault holds it now; null when the lane is locked (see `lock`). */
  get credentials(): LaneCredentials | null {
    return this.#vault?.credentials ?? null;
  }

  /**
   * Each list keyed with the key its table is keyed with now (the store's record, switched with
   * the table), from the keys in the vault; null when the lane is locked.
   */
  #keyers(store: LaneStore): LaneKeyers | null {
    const keys = this.#keys;
    if (keys === null) return null;
    return listKeyers(
      (list) => store.listKeyId(list),
      (keyId) => keys.keyer(keyId),
      () => {
        const newest = keys.keyer(keys.newestId());
        if (newest === null) throw new Error('the newest list key is always held');
        return newest;
      },
    );
  }

  /**
   * Seals a scan's subject to the server's scan seal key held in the vault; null when the vault
   * holds none (a lane enrolled before the server had one: it uploads its key-0 subject key).
   */
  #sealSubject(): ((canonicalSubject: string) => string) | null {
    const key = this.#keys?.scanSealKey() ?? null;
    if (key === null) return null;
    if (this.#sealer?.key !== key) {
      let seal: ((canonicalSubject: string) => string) | null = null;
      try {
        seal = createSubjectSealer(key);
      } catch (error) {
        this.#log.error(
          { err: error instanceof Error ? error.message : String(error) },
          'the scan seal key held is unusable; scans upload their subject key',
        );
      }
      this.#sealer = { key, seal };
    }
    return this.#sealer.seal;
  }

  /** The sync engine of an unlocked lane, with the server and token it enrolled with. */
  #newSync(options: LaneAgentOptions, store: LaneStore, credentials: LaneCredentials): LaneSync {
    const clock = this.#clock;
    const { servers, ...timings } = options.sync ?? {};
    const api = new ServerApi(credentials.serverUrl, credentials.token, undefined, {
      logger: options.logger,
      ...servers,
    });
    return new LaneSync({
      api,
      store,
      logger: options.logger,
      clock,
      checkpoint: () => this.#checkpoint,
      devices: () => [...this.#devices.values()],
      gate: () => this.gateReport(),
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
      listSigningKeys: credentials.listSigningKeys,
      ...(this.#keys !== null && { keyRing: this.#keys }),
      ...timings,
    });
  }

  /**
   * Opens a lane's data folder, enrolling with the server first if it has no credentials yet.
   * Throws `LaneStartError` with a plain reason (not enrolled, server unreachable, bad code).
   */
  static async open(options: LaneAgentOptions): Promise<LaneAgent> {
    const { store, vault, officers, adoption, lock } = await openLaneData(options);
    const agent = new LaneAgent(options, store, vault, officers, lock);
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

  /** Vehicle mode is on: `--vehicle-mode`, or the checkpoint's `vehicleMode` setting. */
  vehicleMode(): boolean {
    return this.#o.vehicleMode === true || this.#checkpoint.vehicleMode === true;
  }

  /**
   * "Xe đã qua": closes the open vehicle `vehicleId` (the plate scan's id), never another one.
   * Nothing is recorded: the vehicle's scans already carry its id.
   */
  vehiclePassed(
    vehicleId: string,
  ): PassedResult | { readonly ok: false; readonly error: 'not_vehicle_mode' } {
    if (!this.vehicleMode()) return { ok: false, error: 'not_vehicle_mode' };
    return this.#vehicles.passed(vehicleId);
  }

  /**
   * The vehicle open when the lane stopped (crash, power cut, restart), opened again if vehicle
   * mode is still on and its 10 minutes since the plate are not up: the rest of its passengers
   * join it. Its plate and passengers come back from the outbox (decisions after overrides, the
   * health status the lane kept); plate text and subjects were never stored, so the panel shows
   * neither. Otherwise it is closed, as it would have been had the lane run on.
   */
  #restoreVehicle(): void {
    const saved = this.store.openVehicle();
    if (saved === null) return;
    const records = this.vehicleMode() ? this.store.vehicleRecords(saved.id) : [];
    const latest = new Map<string, DecisionColour>();
    for (const r of records) if (r.type === 'override') latest.set(r.scanId, r.decision);
    const plate = records.find((r) => r.type === 'scan' && r.id === saved.id);
    const passengers: VehiclePassenger[] = [];
    for (const r of records) {
      if (r.type !== 'scan' || r.id === saved.id) continue;
      const health = r.reasons.includes('health_blocked') || r.reasons.includes('health_deceased');
      passengers.push({
        scanId: r.id,
        at: r.at,
        decision: latest.get(r.id) ?? r.decision,
        healthStatus: health ? laneHealthStatusOf(r) : null,
        subject: null,
      });
    }
    const restored =
      plate?.type === 'scan' &&
      this.#vehicles.restore(
        {
          id: saved.id,
          at: saved.openedAt,
          decision: latest.get(saved.id) ?? plate.decision,
          shown: null,
          greenLane: saved.greenLane,
        },
        passengers,
      );
    if (restored) {
      this.#log.info({ passengers: passengers.length }, 'vehicle open before the restart is open again');
    } else {
      this.store.closeVehicle(saved.id);
      this.#log.info('vehicle open before the restart closed (time up, or vehicle mode off)');
    }
  }

  /** What the desk says of vehicles: the mode, and the vehicle open now. */
  #vehicleDesk(): Pick<Desk, 'vehicleMode' | 'vehicle'> {
    const on = this.vehicleMode();
    return { vehicleMode: on, vehicle: on ? this.#vehicles.panel() : null };
  }

  #emitDesk(): void {
    this.#emit({ type: 'desk', data: this.desk(), latest: null });
  }

  /**
   * Starts the sync, then the scanners. A lane with no lists yet gives its first sync up to
   * `firstSyncMs` (its pass directory too) so that it does not greet its first travellers with
   * stale-list ambers, nor their passes with `pass_signature_invalid`; it never waits longer
   * than that: an offline lane decides from what it has.
   */
  async start(firstSyncMs = 0): Promise<void> {
    // The gate shut first (idle written), before the sync and the scanners.
    await this.startGate();
    this.#sync?.start();
    // The panel clears when a vehicle's time is up, scan or no scan (closing emits the desk).
    this.#vehicleTimer = setInterval(() => this.#vehicles.expire(), 1000);
    this.#vehicleTimer.unref();
    if (firstSyncMs > 0 && this.#sync !== null) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, firstSyncMs);
      });
      const sync = this.#sync;
      await Promise.race([Promise.all([this.syncListsNow(), sync.syncPasses()]), timeout]);
      clearTimeout(timer);
    }
    for (const scanner of this.#o.scanners) {
      scanner.start({
        scan: (input) => {
          // A staff card (gate mode) is never decided nor recorded.
          if (this.staffCard(input.text) !== null) return;
          this.#loop.handle(input);
        },
        status: (state) => {
          this.#devices.set(state.device, state);
          this.#sync?.heartbeatSoon();
          this.#o.onDeviceState?.(state);
          this.#emit({ type: 'device', data: state });
          this.#checkScanners();
        },
      });
    }
    this.#checkScanners();
  }

  /**
   * Starts the gate (gate mode or a relay): the relay driven to idle first, awaited; then the
   * fault watches (a gate screen expected in gate mode). `start` calls it; the CLI calls it
   * earlier, before the display. Never rejects.
   */
  async startGate(): Promise<void> {
    const gate = this.#gate;
    if (gate === null) return;
    await gate.start();
    if (this.#o.gateMode === true && this.#o.gateDisplay === true && this.#displays === 0)
      this.#armDisplayLost();
  }

  /**
   * The display server's count of gate screens connected (officer `/` screens in gate mode): with
   * none for `DISPLAY_LOST_MS`, the gate holds shut (`display_lost`) until one connects.
   */
  displayConnected(count: number): void {
    this.#displays = Math.max(0, count);
    if (this.#gate === null || this.#o.gateMode !== true || this.#o.gateDisplay !== true) return;
    if (this.#displays > 0) {
      if (this.#displayLostTimer !== null) clearTimeout(this.#displayLostTimer);
      this.#displayLostTimer = null;
      this.#gate.fault('display_lost', false);
    } else {
      this.#armDisplayLost();
    }
  }

  #armDisplayLost(): void {
    if (this.#displayLostTimer !== null || this.#stopping) return;
    this.#displayLostTimer = setTimeout(() => {
      this.#displayLostTimer = null;
      if (this.#displays === 0) this.#gate?.fault('display_lost', true);
    }, this.#o.gateTimings?.displayLostMs ?? DISPLAY_LOST_MS);
    this.#displayLostTimer.unref();
  }

  /** `scanner_lost` when every scanner of the lane is disconnected or in error for `SCANNER_LOST_MS`. */
  #checkScanners(): void {
    const gate = this.#gate;
    if (gate === null || this.#stopping) return;
    const lost = (): boolean =>
      this.#o.scanners.length > 0 &&
      this.#o.scanners.every((s) => {
        // Anything but connected: an unplugged serial scanner retries and says `connecting`
        // at each try, which must not restart the 5 s (nor clear a fault it raised).
        const status = this.#devices.get(s.device)?.status ?? s.state().status;
        return status !== 'connected';
      });
    if (!lost()) {
      if (this.#scannerLostTimer !== null) clearTimeout(this.#scannerLostTimer);
      this.#scannerLostTimer = null;
      gate.fault('scanner_lost', false);
      return;
    }
    if (this.#scannerLostTimer !== null || gate.faults().includes('scanner_lost')) return;
    this.#scannerLostTimer = setTimeout(() => {
      this.#scannerLostTimer = null;
      if (lost()) gate.fault('scanner_lost', true);
    }, this.#o.gateTimings?.scannerLostMs ?? SCANNER_LOST_MS);
    this.#scannerLostTimer.unref();
  }

  /** Gate mode is on (`--gate-mode`). */
  gateMode(): boolean {
    return this.#o.gateMode === true;
  }

  /**
   * The gate as a display sees it: `officer` with who has the panel open, `traveller` with
   * `unlock` null. A lane with neither gate mode nor a relay answers an idle, attended gate.
   */
  gateView(view: 'officer' | 'traveller' = 'officer'): GateView {
    const base: GateView = this.#gate?.view() ?? {
      unattended: false,
      relay: null,
      state: 'idle',
      openUntil: null,
      faults: [],
      unlock: null,
    };
    const full: GateView = {
      ...base,
      unlock: this.#staff?.current() ?? null,
      cardRefusedAt: this.#staff?.cardRefusedAt() ?? null,
    };
    return view === 'officer' ? full : { ...travellerGateView(full), cardRefusedAt: null };
  }

  /** The heartbeat's `gate` (undefined: neither gate mode nor a relay). */
  gateReport(): GateReport | undefined {
    const report = this.#gate?.report();
    if (report === undefined || this.#staff === null) return report;
    return { ...report, counts: { ...report.counts, unlockFailures: this.#staff.failures() } };
  }

  /** Faults the gate holds now. */
  gateFaults(): GateFault[] {
    return this.#gate?.faults() ?? [];
  }

  /**
   * A scanned text checked as a staff card (gate mode): null when it is not one (or the lane is
   * not in gate mode): decide it as usual. Otherwise it is never decided nor recorded; a valid
   * card opens the officer panel for a minute.
   */
  staffCard(text: string): StaffCardResult | null {
    return this.#staff?.card(text) ?? null;
  }

  /** An officer opens the panel with a PIN (the gate screen's hidden corner). */
  async gateUnlock(officerId: string, pin: string): Promise<GateUnlockResult> {
    if (this.#staff === null) return { ok: false, error: 'not_gate_mode' };
    return this.#staff.pin(officerId, pin);
  }

  /** The officer closes the panel ("Khoá"); answers the panel's state now (null: locked). */
  gateLock(): { readonly ok: true; readonly unlock: GateUnlock | null } {
    this.#staff?.lock();
    return { ok: true, unlock: this.#staff?.current() ?? null };
  }

  #emitGate(): void {
    if (this.#gate === null) return;
    this.#publisher.showGate(this.gateView('officer'));
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
      this.#sync?.requestUpload();
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
    if (result.ok) this.#sync?.requestUpload();
    return result;
  }

  /** The officer's desk: pending scans and the last 20, for a display that (re)connects. */
  desk(): Desk {
    return { ...this.#desk.snapshot(), ...this.#vehicleDesk() };
  }

  /** Subscribes to the lane's events; answers the unsubscribe function. */
  onEvent(listener: (event: LaneEvent) => void): () => void {
    return this.#publisher.onEvent(listener);
  }

  #emit(event: LaneEvent): void {
    this.#publisher.emit(event);
  }

  /** Device states and sync status, for the display and heartbeats. */
  status(): { devices: DeviceState[]; sync: LaneSyncView; checkpoint: CheckpointConfig } {
    return {
      devices: [...this.#devices.values()],
      sync: this.#displaySync(this.#sync?.status() ?? this.#lockedStatus()),
      checkpoint: this.#checkpoint,
    };
  }

  /**
   * A locked lane's sync status: offline, no list it can use (a screen shows the lists as out of
   * date, which every amber then is), and the reason as its last error.
   */
  #lockedStatus(): SyncStatus {
    return {
      online: false,
      revoked: false,
      clockSkewMs: null,
      lastError: `lane_locked: ${this.lock?.message ?? 'no sealed secrets'}`,
      listVersions: { health: 0, whitelist: 0 },
      listsSyncedAt: { health: null, whitelist: null },
      backlog: this.store.backlog().count,
    };
  }

  /** The sync status with what a screen needs to be honest about it: since when offline, the lists' budget. */
  #displaySync(s: SyncStatus): LaneSyncView {
    return this.#publisher.syncView(s, this.#checkpoint.freshnessBudgetSec);
  }

  /** Lists brought up to date once (for tests and `--once` style scripts). */
  syncListsNow(): Promise<boolean[]> {
    const sync = this.#sync;
    if (sync === null) return Promise.resolve([false, false]);
    return Promise.all([sync.syncList('health'), sync.syncList('whitelist')]);
  }

  /** Waits until the outbox is empty or `timeoutMs` passes; answers what is left. */
  async drainOutbox(timeoutMs: number): Promise<number> {
    if (this.#sync === null) return this.store.backlog().count;
    const deadline = Date.now() + timeoutMs;
    this.#sync.requestUpload();
    while (this.store.backlog().count > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.store.backlog().count;
  }

  /**
   * Shuts the gate (`agent_stopping`, then idle written, bounded 1 s), stops scanners and sync,
   * then closes the store. Unsent scans stay for the next start.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#vehicleTimer !== null) clearInterval(this.#vehicleTimer);
    if (this.#scannerLostTimer !== null) clearTimeout(this.#scannerLostTimer);
    if (this.#displayLostTimer !== null) clearTimeout(this.#displayLostTimer);
    this.#staff?.stop();
    // The gate shut before anything else stops; then idle written (bounded) and the board closed.
    this.#gate?.fault('agent_stopping', true);
    await this.#gate?.stop();
    await Promise.allSettled(this.#o.scanners.map((s) => s.stop()));
    await this.#sync?.stop();
    this.store.close();
  }

  /**
   * Takes a synced officer roster in: written to `officers.json` (atomically, PIN hashes peppered) so a restart
   * offline keeps it, and swapped into the registry (keeping its lock-out state).
   */
  #adoptOfficers(roster: OfficerRoster): void {
    try {
      this.#officers.writeRoster(this.#o.dataDir, roster);
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
    if (next.id !== this.#checkpoint.id) {
      this.#log.warn('server sent the config of another checkpoint; keeping the current one');
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(this.#checkpoint)) return;
    this.#log.info(
      { checkpoint: next.id, mode: next.mode, vehicleMode: next.vehicleMode === true },
      'checkpoint config updated',
    );
    const vehicleModeBefore = this.vehicleMode();
    this.#checkpoint = next;
    this.store.setSetting('checkpoint', JSON.stringify(next));
    if (vehicleModeBefore !== this.vehicleMode()) {
      // Closing a vehicle tells the displays; with none open, they still learn the mode changed.
      if (!this.#vehicles.closeAll('mode_off')) this.#emitDesk();
    }
  }
}
