import type Database from 'better-sqlite3';

/** The vehicle open at a lane as its store keeps it (vehicle mode; lane migration 005). */
export interface StoredOpenVehicle {
  /** The plate scan's record id: the vehicle's id. */
  readonly id: string;
  /** When the plate was scanned (epoch ms). */
  readonly openedAt: number;
  /** The plate is whitelisted as `green_lane`, valid at this checkpoint when it was scanned. */
  readonly greenLane: boolean;
}

/**
 * The store's `open_vehicle` row: which vehicle is open, so a restarted lane links the rest of
 * its passengers. No plate, no ID: the vehicle's scans are in the outbox, under its id.
 */
export class OpenVehicleTable {
  readonly #s;

  constructor(db: Database.Database) {
    this.#s = {
      get: db.prepare('SELECT vehicle_id, opened_at, green_lane FROM open_vehicle WHERE slot = 1'),
      put: db.prepare<[string, number, number]>(
        `INSERT INTO open_vehicle (slot, vehicle_id, opened_at, green_lane) VALUES (1, ?, ?, ?)
           ON CONFLICT (slot) DO UPDATE SET vehicle_id = excluded.vehicle_id, opened_at = excluded.opened_at,
             green_lane = excluded.green_lane`,
      ),
      remove: db.prepare<[string]>('DELETE FROM open_vehicle WHERE vehicle_id = ?'),
      clear: db.prepare('DELETE FROM open_vehicle'),
    };
  }

  /** The vehicle open, or null. */
  get(): StoredOpenVehicle | null {
    const row = this.#s.get.get() as
      { vehicle_id: string; opened_at: number; green_lane: number } | undefined;
    return row === undefined
      ? null
      : { id: row.vehicle_id, openedAt: row.opened_at, greenLane: row.green_lane === 1 };
  }

  /** Opens a vehicle (the one open before, if any, is closed by it). */
  put(vehicle: StoredOpenVehicle): void {
    this.#s.put.run(vehicle.id, vehicle.openedAt, vehicle.greenLane ? 1 : 0);
  }

  /** Closes whatever vehicle is open. */
  clear(): void {
    this.#s.clear.run();
  }

  /** Closes vehicle `id` if it is the one open (never the next one); true if it was. */
  remove(id: string): boolean {
    return this.#s.remove.run(id).changes > 0;
  }
}
