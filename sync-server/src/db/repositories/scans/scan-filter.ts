/** Scan filters shared by the search and the CSV export. */
export interface ScanFilter {
  readonly subjectKey?: bigint;
  readonly checkpointId?: string;
  /** The lane (its id; `kiosk` in the API). */
  readonly kioskId?: string;
  /** Lane scan time, inclusive (epoch ms). */
  readonly from?: number;
  /** Lane scan time, exclusive (epoch ms). */
  readonly to?: number;
  readonly decision?: string;
  /** One scan by its record id (an alert's link). */
  readonly scanId?: string;
  /** One vehicle's scans, by its plate scan's record id: the plate scan and its passengers. */
  readonly vehicleId?: string;
}

/** Scan search: filters, a page size and a cursor. */
export interface ScanQuery extends ScanFilter {
  readonly limit: number;
  /** Continue after this arrival number (newest first). */
  readonly before?: number;
}

/**
 * The WHERE clause of the scan filters with only the conditions given, and its parameters
 * (scans `s` joined to their lane `k`). (`@x IS NULL OR col = @x` would keep SQLite off the
 * indexes: every search and export page became a full scan.)
 */
export function scanWhere(
  f: ScanFilter,
  before: number | undefined,
): { sql: string; params: Record<string, string | number | bigint> } {
  const clauses: string[] = [];
  const params: Record<string, string | number | bigint> = {};
  const add = (clause: string, name: string, value: string | number | bigint | undefined): void => {
    if (value === undefined) return;
    clauses.push(clause);
    params[name] = value;
  };
  add('s.subject_key = @key', 'key', f.subjectKey);
  add('s.checkpoint_id = @checkpoint', 'checkpoint', f.checkpointId);
  add('k.id = @kiosk', 'kiosk', f.kioskId);
  add('s.at >= @from', 'from', f.from);
  add('s.at < @to', 'to', f.to);
  add('s.decision = @decision', 'decision', f.decision);
  add('s.id = @scanId', 'scanId', f.scanId);
  // The plate scan names itself as its vehicle; `s.id` keeps it in even where it does not (as
  // tracing reads a vehicle). Both sides are indexed (scans_vehicle, the id's unique index).
  add('(s.vehicle_id = @vehicle OR s.id = @vehicle)', 'vehicle', f.vehicleId);
  add('s.no < @before', 'before', before);
  return { sql: clauses.length === 0 ? '1' : clauses.join(' AND '), params };
}
