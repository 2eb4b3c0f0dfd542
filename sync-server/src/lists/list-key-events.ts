import type { KiosksStore } from '../db/store/store.js';
import type { EventHub } from '../events/event-hub.js';

/**
 * Sends a `list-key` event (`keyId`) to each connected, unrevoked lane at one of the checkpoints;
 * lanes not connected learn the key id from their next heartbeat. Returns how many lanes were told.
 */
export async function publishListKey(
  kiosks: Pick<KiosksStore, 'unrevokedAt'>,
  hub: Pick<EventHub, 'connectedLanes' | 'publishLane'>,
  checkpointIds: readonly string[],
  keyId: number,
): Promise<number> {
  const connected = hub.connectedLanes();
  if (connected.size === 0 || checkpointIds.length === 0) return 0;
  const lanes = await kiosks.unrevokedAt(checkpointIds);
  let told = 0;
  for (const id of lanes) {
    if (!connected.has(id)) continue;
    hub.publishLane(id, { type: 'list-key', data: { keyId } });
    told += 1;
  }
  return told;
}
