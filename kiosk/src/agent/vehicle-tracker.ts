// Vehicle mode (issue 15): the vehicle open at a lane. A plate scan opens one (closing any open
// one); the people scanned after it belong to it until the next plate, the officer's "Xe đã qua",
// or VEHICLE_OPEN_MS after the plate scan (counted from the plate, not from the latest scan: a
// car that waits at the lane for ten minutes has long passed or needs a new plate scan anyway).
// Held in memory; the lane's store keeps which vehicle is open (written with its plate scan,
// removed when it closes), and a restarted lane gives it back with `restore` if its time is not
// up, its passengers read again from the outbox (the same closing rules apply).
import {
  VEHICLE_PASSENGERS_SHOWN,
  type DecisionColour,
  type VehiclePanel,
  type VehiclePassenger,
  type VehicleSummary,
} from '@checkpoint-lane/shared';

/** How long a vehicle stays open after its plate scan (10 minutes). */
export const VEHICLE_OPEN_MS = 10 * 60_000;

/** Why a vehicle closed. */
export type VehicleCloseReason = 'next_plate' | 'passed' | 'timeout' | 'mode_off';

/** A plate scan that opens a vehicle. */
export interface PlateScan {
  /** The plate scan's record id: the vehicle's id. */
  readonly id: string;
  readonly at: number;
  readonly decision: DecisionColour;
  /** The plate as the officer sees it (in full); null if unknown. */
  readonly shown: string | null;
  /** The plate is whitelisted as `green_lane`, valid now at this checkpoint. */
  readonly greenLane: boolean;
}

/** A person scanned in the open vehicle. */
export type PassengerScan = VehiclePassenger;

/** A closed vehicle, as the listener hears of it. */
export interface ClosedVehicle {
  readonly vehicle: VehicleSummary;
  readonly reason: VehicleCloseReason;
}

/** The answer of "Xe đã qua". */
export type PassedResult =
  | { readonly ok: true; readonly vehicle: VehicleSummary }
  | { readonly ok: false; readonly error: 'unknown_vehicle' | 'vehicle_closed' };

/** How many closed vehicles' ids are remembered (for the answer to a late "Xe đã qua"). */
const CLOSED_REMEMBERED = 50;

const RANK: Readonly<Record<DecisionColour, number>> = { green: 0, amber: 1, red: 2 };

/**
 * A vehicle's colour: red if the plate or any passenger is red (a green-lane truck too: green
 * only if its plate is green, i.e. whitelisted where the checkpoint asks for it, and no one in it
 * is red); else amber if any of them is amber (the officer checks that one by hand); else green.
 */
export function vehicleColour(plate: DecisionColour, passengers: readonly DecisionColour[]): DecisionColour {
  let worst = plate;
  for (const d of passengers) if (RANK[d] > RANK[worst]) worst = d;
  return worst;
}

interface OpenVehicle {
  plate: PlateScan;
  plateDecision: DecisionColour;
  /** Every passenger, in scan order (the panel shows the first VEHICLE_PASSENGERS_SHOWN). */
  readonly passengers: { -readonly [K in keyof VehiclePassenger]: VehiclePassenger[K] }[];
}

/**
 * The vehicle open at this lane. Pure state with an injected clock: `current` and `expire`
 * close a vehicle whose time is up; the lane agent calls `expire` every second so the officer's
 * screen clears on time without a scan.
 */
export class VehicleTracker {
  readonly #clock: () => number;
  readonly #openMs: number;
  readonly #onClose: (closed: ClosedVehicle) => void;
  #open: OpenVehicle | null = null;
  /** Ids of the vehicles closed lately (a late "Xe đã qua" on one is 409, not 404). */
  readonly #closed: string[] = [];

  constructor(options: { clock: () => number; openMs?: number; onClose?: (closed: ClosedVehicle) => void }) {
    this.#clock = options.clock;
    this.#openMs = options.openMs ?? VEHICLE_OPEN_MS;
    this.#onClose = options.onClose ?? (() => undefined);
  }

  /** The id of the vehicle open now (closing it first if its time is up); null: none. */
  openId(): string | null {
    this.expire();
    return this.#open?.plate.id ?? null;
  }

  /**
   * A vehicle open when the lane stopped, given back at start (its plate shown as unknown, its
   * passengers without subject: the store keeps neither). Opens it only if no vehicle is open
   * and its time is not up; answers whether it did.
   */
  restore(plate: PlateScan, passengers: readonly PassengerScan[]): boolean {
    if (this.#open !== null || this.#clock() >= plate.at + this.#openMs) return false;
    this.#open = { plate, plateDecision: plate.decision, passengers: passengers.map((p) => ({ ...p })) };
    return true;
  }

  /** A plate scan: closes the open vehicle (`next_plate`) and opens this one. */
  plate(scan: PlateScan): VehicleSummary {
    this.expire();
    if (this.#open !== null) this.#close('next_plate');
    this.#open = { plate: scan, plateDecision: scan.decision, passengers: [] };
    return this.#summary(this.#open);
  }

  /**
   * A person scanned while vehicle `vehicleId` is open: joins it. Answers the vehicle after it;
   * null when that vehicle is no longer open (the scan then belongs to none).
   */
  passenger(vehicleId: string, scan: PassengerScan): VehicleSummary | null {
    this.expire();
    const open = this.#open;
    if (open?.plate.id !== vehicleId) return null;
    open.passengers.push({ ...scan });
    return this.#summary(open);
  }

  /** An override of a scan in the open vehicle changes its colour there; true if it was in it. */
  applyOverride(scanId: string, decision: DecisionColour): boolean {
    const open = this.#open;
    if (open === null) return false;
    if (open.plate.id === scanId) {
      open.plateDecision = decision;
      return true;
    }
    const p = open.passengers.find((x) => x.scanId === scanId);
    if (p === undefined) return false;
    p.decision = decision;
    return true;
  }

  /** "Xe đã qua" on vehicle `vehicleId`: only the vehicle open now, never the next one. */
  passed(vehicleId: string): PassedResult {
    this.expire();
    const open = this.#open;
    if (open?.plate.id !== vehicleId)
      return { ok: false, error: this.#closed.includes(vehicleId) ? 'vehicle_closed' : 'unknown_vehicle' };
    return { ok: true, vehicle: this.#close('passed') };
  }

  /** Closes the open vehicle if its time is up; true if it did. */
  expire(): boolean {
    const open = this.#open;
    if (open === null || this.#clock() < open.plate.at + this.#openMs) return false;
    this.#close('timeout');
    return true;
  }

  /** Closes the open vehicle (vehicle mode turned off); true if one was open. */
  closeAll(reason: VehicleCloseReason = 'mode_off'): boolean {
    if (this.#open === null) return false;
    this.#close(reason);
    return true;
  }

  /** The open vehicle as the officer's panel shows it; null: none. */
  panel(): VehiclePanel | null {
    this.expire();
    const open = this.#open;
    if (open === null) return null;
    const summary = this.#summary(open);
    return {
      id: open.plate.id,
      openedAt: open.plate.at,
      closesAt: open.plate.at + this.#openMs,
      plateShown: open.plate.shown,
      plateDecision: open.plateDecision,
      greenLane: open.plate.greenLane,
      decision: summary.decision,
      passengerCount: open.passengers.length,
      passengers: open.passengers.slice(0, VEHICLE_PASSENGERS_SHOWN).map((p) => ({ ...p })),
    };
  }

  /** The open vehicle as a decision names it; null: none. */
  summary(): VehicleSummary | null {
    this.expire();
    return this.#open === null ? null : this.#summary(this.#open);
  }

  #summary(open: OpenVehicle): VehicleSummary {
    return {
      id: open.plate.id,
      passengers: open.passengers.length,
      decision: vehicleColour(
        open.plateDecision,
        open.passengers.map((p) => p.decision),
      ),
    };
  }

  #close(reason: VehicleCloseReason): VehicleSummary {
    const open = this.#open;
    if (open === null) throw new Error('no vehicle is open');
    const vehicle = this.#summary(open);
    this.#open = null;
    this.#closed.push(vehicle.id);
    if (this.#closed.length > CLOSED_REMEMBERED) this.#closed.shift();
    this.#onClose({ vehicle, reason });
    return vehicle;
  }
}
