// The gate of an unattended lane (issue 17): what the relay board is told, and when. Fail safe:
// only a recorded green opens the gate, for the profile's open time, once per scan, and not again
// for the same code within `passbackSec` (anti-passback); a red or an amber shuts it at once (even
// while open); any fault holds it shut; at start the board is driven to idle (shut) before
// anything else, and at stop again. A keep-alive re-sends frames while the lane runs, so a board
// with a hardware watchdog shuts by itself when the lane dies.
//
// A board in `error` (it answered wrongly or not at all: a lost Modbus echo) is degraded, not
// gone: the gate holds `relay_lost` but keeps writing to it (the fault frames at once, then the
// current state's frames again every keep-alive or `ERROR_PROBE_MS`), so the barrier is told to
// shut whatever the answers, and the first good answer brings it back. Only a `disconnected` (or
// `connecting`) board is not written to; it gets the state it should be in when it connects.
//
// The relay is optional: a gate-mode lane with no relay (a screen-only totem) runs the same
// state machine so its screens show the same states and countdowns.
//
// Logs name gate actions and reasons only: never a subject, a scan's content or a scan id.
import {
  GATE_FAULTS,
  type DecisionColour,
  type GateCounts,
  type GateFault,
  type GateReport,
  type GateState,
  type GateView,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { Relay, RelayState } from '../relays/relay.js';

/** The decoded frames of a relay profile, per state (sent in order). */
export interface GateFrames {
  readonly idle: readonly Uint8Array[];
  readonly green: readonly Uint8Array[];
  readonly red: readonly Uint8Array[];
  readonly amber: readonly Uint8Array[];
  readonly fault: readonly Uint8Array[];
  /** Keep-alive frames; null: re-send the current state's frames. */
  readonly keepAlive: readonly Uint8Array[] | null;
}

/** A relay board and how to drive it. */
export interface GateRelaySetup {
  readonly relay: Relay;
  readonly frames: GateFrames;
  /** How long a green keeps the gate open. */
  readonly openMs: number;
  /** How long red/amber frames stay before idle (5 s). */
  readonly holdMs?: number;
  /** Keep-alive period; null/absent: no keep-alive. */
  readonly keepAliveMs?: number | null;
  /** Anti-passback window (s): a code that opened the gate does not open it again within it; 0: off (300). */
  readonly passbackSec?: number;
}

/** Options of a gate controller. */
export interface GateControllerOptions {
  /** The relay board; null: a screen-only gate (states and countdowns, nothing sent). */
  readonly relay: GateRelaySetup | null;
  /** Gate mode: no officer at the lane. */
  readonly unattended: boolean;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Open time of a screen-only gate (the countdown), 5 s. */
  readonly openMs?: number;
  /** Hold of a screen-only gate after a red/amber, 5 s. */
  readonly holdMs?: number;
  /** Anti-passback window of a screen-only gate (s), 300; 0: off. */
  readonly passbackSec?: number;
  /** How long `start` waits for the board to connect before writing idle anyway (3 s). */
  readonly connectWaitMs?: number;
  /** How long `stop` waits for the idle write (1 s). */
  readonly stopWaitMs?: number;
  /** Called after every change of state, faults or open time. */
  readonly onChange?: (view: GateView) => void;
  /** The relay's device state, on every change (the lane reports it as a device). */
  readonly onRelayStatus?: (state: RelayState) => void;
}

/** What a decision says to the gate. */
export interface GateDecision {
  readonly decision: DecisionColour;
  /** Recorded (a repeat scan is not). */
  readonly record: boolean;
  /** The scan's id (never logged): a scan opens the gate at most once. */
  readonly scanId: string | null;
  /**
   * An opaque key of the scanned code (the decision loop's per-boot HMAC of it; never logged,
   * never stored): a code that opened the gate does not open it again within `passbackSec`.
   * Null/absent: no anti-passback for this scan.
   */
  readonly passbackKey?: string | null;
}

/**
 * What the gate did with a decision: `open`; `shut` (red/amber); `passback` (a green whose code
 * opened the gate within `passbackSec`: held shut); `repeat` (a green not recorded: nothing);
 * `held` (a green while a fault holds the gate shut); `again` (this scan already opened it);
 * `stopped`.
 */
export type GateOutcome = 'open' | 'shut' | 'passback' | 'repeat' | 'held' | 'again' | 'stopped';

const DEFAULT_MS = 5000;
/** Default anti-passback window (s). */
export const DEFAULT_PASSBACK_SEC = 300;
/** How often a board in `error` is sent the current state's frames again when it has no keep-alive. */
export const ERROR_PROBE_MS = 1000;
/** Passback keys held at most (a lane sees far fewer opens within a window). */
const PASSBACK_MAX = 10_000;

function zeroCounts(): GateCounts {
  return {
    opens: 0,
    shuts: 0,
    reds: 0,
    ambers: 0,
    repeats: 0,
    passbacks: 0,
    faults: 0,
    writeFailures: 0,
    unlocks: 0,
  };
}

/** The fail-safe gate state machine (see the file's head). */
export class GateController {
  readonly #o: GateControllerOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #relay: GateRelaySetup | null;
  readonly #openMs: number;
  readonly #holdMs: number;
  readonly #faults = new Set<GateFault>();
  readonly #counts: GateCounts = zeroCounts();
  #state: GateState = 'idle';
  #openUntil: number | null = null;
  /** Frames of the state the board is in (the keep-alive re-sends them). */
  #current: readonly Uint8Array[] = [];
  /** Ends an open or a hold. */
  #timer: NodeJS.Timeout | null = null;
  #keepAlive: NodeJS.Timeout | null = null;
  #keepAliveInFlight = false;
  /** The scans that opened the gate (a scan opens it at most once; a few kept). */
  readonly #opened: string[] = [];
  /** Anti-passback window (ms); 0: off. */
  readonly #passbackMs: number;
  /** Passback key → when its code last opened the gate (time order: oldest first). RAM only. */
  readonly #passback = new Map<string, number>();
  /** The passback keys of the latest scans, for an officer's override to green (a few kept). */
  readonly #scanKeys = new Map<string, string>();
  #started = false;
  #stopped = false;
  /** Until `start` wrote idle, a connect does not re-drive the board (start does). */
  #starting = false;
  #relayStatus: RelayState['status'] | null = null;
  #relayState: RelayState | null = null;
  #connected: (() => void) | null = null;
  readonly #changeListeners = new Set<(view: GateView) => void>();
  readonly #relayListeners = new Set<(state: RelayState) => void>();

  constructor(options: GateControllerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'gate' });
    this.#clock = options.clock ?? Date.now;
    this.#relay = options.relay;
    this.#openMs = options.relay?.openMs ?? options.openMs ?? DEFAULT_MS;
    this.#holdMs = options.relay?.holdMs ?? options.holdMs ?? DEFAULT_MS;
    this.#passbackMs = (options.relay?.passbackSec ?? options.passbackSec ?? DEFAULT_PASSBACK_SEC) * 1000;
    if (options.relay !== null) this.#current = options.relay.frames.idle;
  }

  /** Calls `listener` after every change (as `onChange`); answers the unsubscribe. */
  onChange(listener: (view: GateView) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Calls `listener` on every relay status change (as `onRelayStatus`); answers the unsubscribe. */
  onRelayStatus(listener: (state: RelayState) => void): () => void {
    this.#relayListeners.add(listener);
    return () => this.#relayListeners.delete(listener);
  }

  /** The relay's device state; null: no relay. */
  relayState(): RelayState | null {
    if (this.#relay === null) return null;
    return this.#relayState ?? this.#relay.relay.state();
  }

  /** Gate mode (no officer at the lane). */
  get unattended(): boolean {
    return this.#o.unattended;
  }

  /** The relay driven, e.g. `serial:/dev/ttyUSB0`; null: none. */
  get relayDevice(): string | null {
    return this.#relay?.relay.device ?? null;
  }

  /**
   * Starts the board and writes idle (shut) first, awaited (waiting up to `connectWaitMs` for
   * the board to connect); then the keep-alive runs. Never rejects.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const setup = this.#relay;
    if (setup === null) {
      this.#log.info({ gate: 'idle', reason: 'start', relay: null }, 'gate ready (no relay)');
      this.#changed();
      return;
    }
    this.#starting = true;
    const connected = new Promise<void>((resolve) => {
      this.#connected = resolve;
    });
    setup.relay.start((state) => {
      this.#onRelayStatus(state);
    });
    this.#onRelayStatus(setup.relay.state());
    const waitMs = this.#o.connectWaitMs ?? 3000;
    if (this.#relayStatus !== 'connected') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connected,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, waitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#connected = null;
    const frames = this.#faults.size > 0 ? setup.frames.fault : setup.frames.idle;
    this.#current = frames;
    // Idle first, whatever comes next; a fault already held (the lane locked) then shows it.
    const written = await this.#write(setup.frames.idle, 'start');
    if (this.#faults.size > 0) await this.#write(setup.frames.fault, 'fault');
    this.#starting = false;
    this.#counts.shuts++;
    this.#log.info({ gate: 'idle', reason: 'start', written }, 'gate driven shut at start');
    if (!this.#stopped) {
      // The keep-alive; without one, the same timer only re-sends to a board in error.
      this.#keepAlive = setInterval(() => {
        this.#beat();
      }, this.#keepAliveMs() ?? ERROR_PROBE_MS);
      this.#keepAlive.unref();
    }
    this.#changed();
  }

  /**
   * A decision of the lane: a recorded green opens the gate (unless a fault holds it shut or this
   * scan already opened it); a repeat green does nothing; a red or an amber shuts it at once.
   */
  decision(d: GateDecision): GateOutcome {
    if (this.#stopped) return 'stopped';
    const key = d.passbackKey ?? null;
    if (d.record && d.scanId !== null && key !== null) {
      this.#scanKeys.set(d.scanId, key);
      if (this.#scanKeys.size > 16) this.#scanKeys.delete(this.#scanKeys.keys().next().value ?? '');
    }
    if (d.decision === 'green') {
      if (!d.record) {
        this.#counts.repeats++;
        this.#log.info({ gate: this.#state, reason: 'repeat' }, 'repeat green: the gate does not open again');
        return 'repeat';
      }
      return this.#open(d.scanId, 'green', key);
    }
    // A repeat red/amber shuts all the same, but only recorded ones are counted.
    if (d.record) {
      if (d.decision === 'red') this.#counts.reds++;
      else this.#counts.ambers++;
    }
    this.#shut(d.decision);
    return 'shut';
  }

  /**
   * An officer's override of the latest recorded scan (the agent checks it is that scan, within
   * the traveller hold): to green opens the gate once, like a green; to red/amber shuts it.
   */
  override(scanId: string, decision: DecisionColour): void {
    if (this.#stopped) return;
    // The officer checked the person: no anti-passback; the open is remembered for the code.
    if (decision === 'green') this.#open(scanId, 'override', this.#scanKeys.get(scanId) ?? null);
    else this.#shut(decision, 'override');
  }

  /** Holds (`on`) or clears a fault. The first fault shuts the gate; the last one cleared idles it. */
  fault(fault: GateFault, on: boolean): void {
    if (this.#stopped && fault !== 'agent_stopping') return;
    if (on === this.#faults.has(fault)) return;
    if (on) {
      this.#faults.add(fault);
      this.#log.warn({ gate: 'fault', reason: fault }, 'gate fault: held shut');
      if (this.#state !== 'fault') {
        if (this.#state === 'open') this.#counts.shuts++;
        this.#counts.faults++;
        this.#clearTimer();
        this.#state = 'fault';
        this.#openUntil = null;
        this.#send('fault', fault);
      } else if (fault === 'relay_lost') {
        // The board misbehaved (it may have missed the fault frames): tell it again if it can hear.
        this.#send('fault', fault);
      }
    } else {
      this.#faults.delete(fault);
      this.#log.info({ gate: 'fault_cleared', reason: fault }, 'gate fault cleared');
      if (this.#faults.size === 0 && this.#state === 'fault') {
        this.#state = 'idle';
        this.#send('idle', 'fault_cleared');
      }
    }
    this.#changed();
  }

  /** Faults held now, in the contract's order. */
  faults(): GateFault[] {
    return GATE_FAULTS.filter((f) => this.#faults.has(f));
  }

  /** Counts an officer panel unlock (staff card or PIN). */
  countUnlock(): void {
    this.#counts.unlocks++;
  }

  state(): GateState {
    return this.#state;
  }

  /** The view for displays (unlock null: the agent adds it). */
  view(): GateView {
    return {
      unattended: this.#o.unattended,
      relay: this.relayDevice,
      state: this.#state,
      openUntil: this.#state === 'open' ? this.#openUntil : null,
      faults: this.faults(),
      unlock: null,
    };
  }

  /** The heartbeat's `gate`. */
  report(): GateReport {
    return {
      unattended: this.#o.unattended,
      relay: this.relayDevice,
      state: this.#state,
      faults: this.faults(),
      counts: { ...this.#counts },
    };
  }

  /**
   * Stops the keep-alive and timers, writes idle (best effort, bounded by `stopWaitMs`), closes
   * the board. Never rejects.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearTimer();
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    this.#connected?.();
    const setup = this.#relay;
    // Shut from now on (a fault held, e.g. agent_stopping, still reads as the fault).
    if (this.#state !== 'fault') this.#state = 'idle';
    this.#openUntil = null;
    this.#counts.shuts++;
    if (setup === null) {
      this.#log.info({ gate: 'idle', reason: 'stop' }, 'gate stopped');
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const written = await Promise.race([
      this.#write(setup.frames.idle, 'stop'),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
          resolve('timeout');
        }, this.#o.stopWaitMs ?? 1000);
      }),
    ]);
    clearTimeout(timer);
    this.#log.info({ gate: 'idle', reason: 'stop', written }, 'gate driven shut at stop');
    try {
      await setup.relay.stop();
    } catch (error) {
      this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, 'relay stop failed');
    }
  }

  #open(scanId: string | null, reason: 'green' | 'override', key: string | null): GateOutcome {
    if (scanId !== null && this.#opened.includes(scanId)) {
      this.#log.info({ gate: this.#state, reason: `${reason}_again` }, 'this scan already opened the gate');
      return 'again';
    }
    if (this.#faults.size > 0) {
      this.#log.warn(
        { gate: 'fault', reason: `${reason}_held`, faults: this.faults() },
        'green while a fault holds the gate shut',
      );
      return 'held';
    }
    const now = this.#clock();
    if (this.#passbackMs > 0 && key !== null) {
      this.#forgetPassbacks(now);
      const at = this.#passback.get(key);
      // Within the window either way (a lane clock set back keeps it too).
      if (reason === 'green' && at !== undefined && Math.abs(now - at) < this.#passbackMs) {
        // The same code opened the gate a moment ago: someone else may be using it. Shut; see staff.
        this.#counts.passbacks = (this.#counts.passbacks ?? 0) + 1;
        this.#log.warn(
          { gate: 'passback', reason: 'passback' },
          'this code opened the gate recently: held shut',
        );
        this.#shut('amber', 'passback');
        return 'passback';
      }
      this.#passback.delete(key);
      this.#passback.set(key, now);
      if (this.#passback.size > PASSBACK_MAX) this.#passback.delete(this.#passback.keys().next().value ?? '');
    }
    if (scanId !== null) {
      this.#opened.push(scanId);
      if (this.#opened.length > 16) this.#opened.shift();
    }
    this.#clearTimer();
    this.#counts.opens++;
    this.#state = 'open';
    this.#openUntil = now + this.#openMs;
    // The timer before the frames: a board that fails as it is written to raises a fault at once
    // (it clears this timer; the state it leaves must stay).
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#state !== 'open') return;
      this.#counts.shuts++;
      this.#state = 'idle';
      this.#openUntil = null;
      this.#send('idle', 'open_time_up');
      this.#changed();
    }, this.#openMs);
    this.#timer.unref();
    this.#send('green', reason);
    this.#changed();
    return 'open';
  }

  /** Drops passback keys whose open is older than the window (the map is in time order). */
  #forgetPassbacks(now: number): void {
    for (const [k, at] of this.#passback) {
      if (now - at < this.#passbackMs) break;
      this.#passback.delete(k);
    }
  }

  #shut(decision: 'red' | 'amber', reason: string = decision): void {
    if (this.#faults.size > 0) {
      // Already shut, the tower showing the fault.
      this.#log.info({ gate: 'fault', reason }, 'gate held shut (fault)');
      return;
    }
    if (this.#state === 'open') this.#counts.shuts++;
    this.#clearTimer();
    this.#state = 'shut';
    this.#openUntil = null;
    // The timer before the frames (as in #open).
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#state !== 'shut') return;
      this.#state = 'idle';
      this.#send('idle', 'hold_over');
      this.#changed();
    }, this.#holdMs);
    this.#timer.unref();
    this.#send(decision, reason);
    this.#changed();
  }

  /** Sends a state's frames (and logs the action). */
  #send(which: 'idle' | 'green' | 'red' | 'amber' | 'fault', reason: string): void {
    const gate =
      which === 'green' ? 'open' : which === 'idle' ? 'idle' : which === 'fault' ? 'fault' : 'shut';
    this.#log.info({ gate, reason }, `gate ${gate}`);
    const setup = this.#relay;
    if (setup === null) return;
    const frames = setup.frames[which];
    this.#current = frames;
    // Before start wrote idle, start sends what is current when it is done.
    if (!this.#started || this.#starting) return;
    // A board away gets the current state's frames when it is back (see #onRelayStatus); a board
    // in error is still written to (see the file's head).
    if (!this.#writable()) return;
    void this.#write(frames, which);
  }

  /** The board can be written to: connected, or in error (degraded); not away nor connecting. */
  #writable(): boolean {
    return this.#relayStatus === 'connected' || this.#relayStatus === 'error';
  }

  /** The keep-alive period, or null: none. */
  #keepAliveMs(): number | null {
    const ms = this.#relay?.keepAliveMs;
    return ms === undefined || ms === null || ms <= 0 ? null : ms;
  }

  /** Writes frames; counts a failure. Never rejects. */
  async #write(frames: readonly Uint8Array[], what: string): Promise<boolean> {
    const setup = this.#relay;
    if (setup === null || frames.length === 0) return true;
    let ok: boolean;
    try {
      ok = await setup.relay.write(frames);
    } catch {
      ok = false;
    }
    if (!ok) {
      this.#counts.writeFailures++;
      this.#log.warn({ gate: this.#state, frames: what }, 'relay write failed');
    }
    return ok;
  }

  /**
   * One keep-alive: its frames, or the current state's; skipped while the board is away or busy.
   * A board in error gets the current state's frames (the fault's), keep-alive or not: the barrier
   * is told again to shut, and a good answer brings the board back.
   */
  #beat(): void {
    const setup = this.#relay;
    if (setup === null || this.#stopped || this.#starting || this.#keepAliveInFlight) return;
    let frames: readonly Uint8Array[];
    if (this.#relayStatus === 'error') frames = this.#current;
    else if (this.#relayStatus === 'connected' && this.#keepAliveMs() !== null)
      frames = setup.frames.keepAlive ?? this.#current;
    else return;
    this.#keepAliveInFlight = true;
    void this.#write(frames, 'keep_alive').finally(() => {
      this.#keepAliveInFlight = false;
    });
  }

  #onRelayStatus(state: RelayState): void {
    const before = this.#relayStatus;
    this.#relayStatus = state.status;
    this.#relayState = state;
    if (before !== state.status) {
      this.#o.onRelayStatus?.(state);
      for (const listener of this.#relayListeners)
        this.#call(() => {
          listener(state);
        });
    }
    if (state.status === 'connected') {
      this.#connected?.();
      if (this.#faults.has('relay_lost')) {
        // Clearing the fault idles the board (or it stays in fault for another).
        this.fault('relay_lost', false);
        if (this.#faults.size > 0 && !this.#starting) void this.#write(this.#current, 'reconnect');
      } else if (
        before !== null &&
        before !== 'connected' &&
        this.#started &&
        !this.#starting &&
        !this.#stopped
      ) {
        // Came (back) without a fault held: drive it to the state it should be in.
        void this.#write(this.#current, 'reconnect');
      }
    } else if (state.status === 'disconnected' || state.status === 'error') {
      if (!this.#stopped) this.fault('relay_lost', true);
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #changed(): void {
    if (!this.#started) return;
    const view = this.view();
    this.#call(() => this.#o.onChange?.(view));
    for (const listener of this.#changeListeners) {
      this.#call(() => {
        listener(view);
      });
    }
  }

  /** Calls a listener; its failure is logged and stops nothing. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'gate listener failed',
      );
    }
  }
}
