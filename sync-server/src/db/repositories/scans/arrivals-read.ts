import type { Arrival } from '@checkpoint-lane/shared';
import type { Db } from '../../open-database.js';

/** `GET /arrivals` as the stores take it: a destination (district and ward narrow it) and a window. */
export interface ArrivalsFilter {
  readonly province: number;
  readonly district?: number;
  readonly ward?: number;
  /** Declarations whose validity window [valid_from, valid_until] meets [from, to] (epoch ms). */
  readonly from: number;
  readonly to: number;
  readonly limit: number;
}

/** A row of the arrivals query as both engines select it. */
export interface ArrivalRow {
  id: string;
  personal_id: string;
  full_name: string;
  phone: string;
  from_province: number;
  from_district: number | null;
  from_ward: number | null;
  to_province: number;
  to_district: number | null;
  to_ward: number | null;
  travel_date: string;
  plate: string | null;
  pass_id: string | null;
  valid_from: number;
  valid_until: number;
  revoked_at: number | null;
  passages: number;
  checkpoint_id: string | null;
  checkpoint_name: string | null;
  at: number | null;
}

export const toArrival = (r: ArrivalRow): Arrival => ({
  declarationId: r.id,
  personalId: r.personal_id,
  fullName: r.full_name,
  phone: r.phone,
  from: { province: r.from_province, district: r.from_district, ward: r.from_ward },
  to: { province: r.to_province, district: r.to_district, ward: r.to_ward },
  travelDate: r.travel_date,
  plate: r.plate,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  revoked: r.revoked_at !== null,
  passage:
    r.checkpoint_id === null || r.at === null
      ? null
      : { checkpointId: r.checkpoint_id, checkpointName: r.checkpoint_name ?? r.checkpoint_id, at: r.at },
  passages: r.passages,
});

/**
 * Declared arrivals (issue 16): declarations whose destination is the area, by the declarations'
 * destination index, each with its pass's latest passage (a scan decided green; `scans_pass_at`)
 * and how many there are. The pass id is selected for the join only: it is not in the answer.
 * Personal data: the route audits every read.
 */
export function readArrivals(db: Db, f: ArrivalsFilter): Arrival[] {
  const rows = db
    .prepare(
      `SELECT d.id, d.personal_id, d.full_name, d.phone, d.from_province, d.from_district, d.from_ward,
         d.to_province, d.to_district, d.to_ward, d.travel_date, d.plate, d.pass_id, d.valid_from, d.valid_until,
         d.revoked_at,
         CASE WHEN d.pass_id IS NULL THEN 0
           ELSE (SELECT count(*) FROM scans n WHERE n.pass_id = d.pass_id AND n.decision = 'green') END AS passages,
         s.checkpoint_id, c.name AS checkpoint_name, s.at
       FROM declarations d
         LEFT JOIN scans s ON d.pass_id IS NOT NULL
           AND s.no = (SELECT l.no FROM scans l WHERE l.pass_id = d.pass_id AND l.decision = 'green'
             ORDER BY l.at DESC, l.no DESC LIMIT 1)
         LEFT JOIN checkpoints c ON c.id = s.checkpoint_id
       WHERE d.to_province = @province AND (@district IS NULL OR d.to_district = @district)
         AND (@ward IS NULL OR d.to_ward = @ward) AND d.valid_from <= @to AND d.valid_until >= @from
       ORDER BY d.valid_from, d.id LIMIT @limit`,
    )
    .all({
      province: f.province,
      district: f.district ?? null,
      ward: f.ward ?? null,
      from: f.from,
      to: f.to,
      limit: f.limit,
    }) as ArrivalRow[];
  return rows.map(toArrival);
}
