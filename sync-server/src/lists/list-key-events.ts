import type { Db } from '../db/open-database.js';
import type { EventHub } from '../events/event-hub.js';

/**
 * Sends a `list-key` event (`keyId`) to each connected, unrevoked lane at one of the checkpoints;
 * lanes not connected learn the key id from their next heartbeat. Returns how many lanes were told.
 */
export function publishListKey(
  db: Db,
  hub: Pick<EventHub, 'connectedLanes' | 'publishLane'>,
  checkpointIds: readonly string[],
  keyId: number,
): number {
  const connected = hub.connectedLanes();
  if (connected.size === 0 || checkpointIds.length === 0) return 0;
  const lanes = db
    .prepare(
      `SELECT id FROM kiosks
       WHERE revoked_at IS NULL AND checkpoint_id IN (SELECT value FROM json_each(?))`,
    )
    .pluck()
    .all(JSON.stringify(checkpointIds)) as string[];
  let told = 0;
  for (const id of lanes) {
    if (!connected.has(id)) continue;
    hub.publishLane(id, { type: 'list-key', data: { keyId } });
    told += 1;
  }
  return told;
}
