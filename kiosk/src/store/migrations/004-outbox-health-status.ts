import { HEALTH_STATUSES, parseSubjectKeyHex } from '@checkpoint-lane/shared';
import type { Migration } from './migration.js';

const HEALTH_REASONS = new Set(['health_blocked', 'health_deceased']);

/**
 * The outbox keeps, beside each health-blocked scan, the status of the health entry the lane
 * decided with (`outbox.health_status`, never uploaded): scans sealed to the server carry no
 * subject key, so a restarted desk can no longer look the status up. Scans written before are
 * filled in here by their subject key, while the health list is still keyed with the key
 * their subject keys were made with.
 */
export const migration004: Migration = {
  version: 4,
  name: 'outbox-health-status',
  up(db) {
    db.exec(
      `ALTER TABLE outbox ADD COLUMN health_status TEXT
         CHECK (health_status IN (${HEALTH_STATUSES.map((s) => `'${s}'`).join(', ')}))`,
    );
    const scans = db
      .prepare(
        `SELECT seq, json_extract(record, '$.subjectKey') AS subjectKey, json_extract(record, '$.reasons') AS reasons
           FROM outbox WHERE json_extract(record, '$.type') = 'scan' AND json_extract(record, '$.subjectKey') IS NOT NULL`,
      )
      .all() as { seq: number; subjectKey: string; reasons: string }[];
    const statusOf = db
      .prepare('SELECT status FROM health_entries WHERE key = ?')
      .pluck()
      .safeIntegers(false);
    const set = db.prepare('UPDATE outbox SET health_status = ? WHERE seq = ?');
    for (const scan of scans) {
      const reasons = JSON.parse(scan.reasons) as unknown;
      if (!Array.isArray(reasons) || !reasons.some((r) => HEALTH_REASONS.has(r as string))) continue;
      const key = parseSubjectKeyHex(scan.subjectKey);
      if (key === null) continue;
      const status = statusOf.get(key) as number | undefined;
      const name = status === undefined ? undefined : HEALTH_STATUSES[status];
      if (name !== undefined) set.run(name, scan.seq);
    }
  },
};
