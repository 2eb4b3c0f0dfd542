import type { Arrival } from '@checkpoint-lane/shared';
import { toArrival, type ArrivalRow, type ArrivalsFilter } from '../../repositories/scans/arrivals-read.js';
import type { Queryable } from '../pg-tx.js';

/** Declared arrivals on PostgreSQL: the same rows as SQLite's `readArrivals`. */
export async function pgReadArrivals(q: Queryable, f: ArrivalsFilter): Promise<Arrival[]> {
  const r = await q.query<ArrivalRow>(
    `SELECT d.id, d.personal_id, d.full_name, d.phone, d.from_province, d.from_district, d.from_ward,
       d.to_province, d.to_district, d.to_ward, d.travel_date, d.plate, d.pass_id, d.valid_from, d.valid_until,
       d.revoked_at, coalesce(n.passages, 0) AS passages, l.checkpoint_id, c.name AS checkpoint_name, l.at
     FROM declarations d
       LEFT JOIN LATERAL (SELECT count(*) AS passages FROM scans s
         WHERE s.pass_id = d.pass_id AND s.decision = 'green') n ON true
       LEFT JOIN LATERAL (SELECT s.checkpoint_id, s.at FROM scans s
         WHERE s.pass_id = d.pass_id AND s.decision = 'green'
         ORDER BY s.at DESC, s.no DESC LIMIT 1) l ON true
       LEFT JOIN checkpoints c ON c.id = l.checkpoint_id
     WHERE d.to_province = $1 AND ($2::integer IS NULL OR d.to_district = $2)
       AND ($3::integer IS NULL OR d.to_ward = $3) AND d.valid_from <= $5 AND d.valid_until >= $4
     ORDER BY d.valid_from, d.id COLLATE "C" LIMIT $6`,
    [f.province, f.district ?? null, f.ward ?? null, f.from, f.to, f.limit],
  );
  return r.rows.map(toArrival);
}
