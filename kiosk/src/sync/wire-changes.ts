import { parseSubjectKeyHex, type ListName, type WireChange } from '@checkpoint-lane/shared';
import { LIST_DESCRIPTORS, type LaneEntry, type LaneListChange } from '../store/list-descriptors.js';

/**
 * Checks and converts a list's changes from the server (a delta, or an urgent push) with the
 * list's descriptor. One malformed change rejects them all (null): the lane then keeps its
 * list and re-syncs, never half-applying. An entry that does not apply at `checkpointId` (a
 * whitelist entry for other checkpoints) becomes a delete.
 */
export function toLaneChanges<L extends ListName>(
  list: L,
  changes: readonly WireChange[],
  checkpointId: string,
): LaneListChange<LaneEntry<L>>[] | null {
  const d = LIST_DESCRIPTORS[list];
  const out: LaneListChange<LaneEntry<L>>[] = [];
  for (const c of changes) {
    const key = parseSubjectKeyHex(c.key);
    if (key === null) return null;
    if (c.op === 'delete') {
      out.push({ op: 'delete', key });
      continue;
    }
    if (!d.isWireEntry(c.entry)) return null;
    // The lane keeps only what applies here (an older server still sends other checkpoints').
    const value = d.toLane(key, c.entry, checkpointId);
    out.push(value === null ? { op: 'delete', key } : { op: 'put', value });
  }
  return out;
}
