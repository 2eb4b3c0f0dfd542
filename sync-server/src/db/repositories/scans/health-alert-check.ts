import { healthBlocks, type HealthEntry } from '@checkpoint-lane/shared';
import type { Db } from '../../open-database.js';

/**
 * The server's alert check for new scans: does the server's own health list block a subject
 * (by its keyed hash) at a checkpoint blocking these statuses, at the scan's lane time? It is
 * the shared rule `healthBlocks` that `decide` uses on the lane (status blocking here, entry in
 * force from `since` to `until`, both inclusive), so the server never disagrees with a lane on
 * the boundary; only its list may be newer than the lane's. No key, or no blocking status: false.
 */
export function healthAlertCheck(
  db: Db,
  blockingStatuses: readonly string[],
): (subjectKey: bigint | null, at: number) => boolean {
  const healthOf = db.prepare('SELECT status, since, until FROM health_entries WHERE subject_key = ?');
  return (subjectKey, at) => {
    if (subjectKey === null || blockingStatuses.length === 0) return false;
    // `healthBlocks` reads only these three fields of the entry.
    const entry = healthOf.get(subjectKey) as HealthEntry | undefined;
    return healthBlocks(entry ?? null, blockingStatuses, at);
  };
}
