import {
  HealthStatus,
  parseSubjectKeyHex,
  WhitelistCategory,
  type HealthEntry,
  type WhitelistEntry,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';
import type { LaneHealthEntry, LaneListChange, LaneWhitelistEntry } from '../store/lane-store.js';
import type { WireChange } from './server-api.js';

const Epoch = Type.Union([Type.Integer(), Type.Null()]);
const HealthWire = Type.Object({ status: HealthStatus, since: Epoch, until: Epoch });
const WhitelistWire = Type.Object({
  category: WhitelistCategory,
  validFrom: Epoch,
  validUntil: Epoch,
  checkpoints: Type.Union([Type.Array(Type.String()), Type.Null()]),
});

/** Is a whitelist entry valid at this lane's checkpoint? */
export function isValidHere(entry: Pick<WhitelistEntry, 'checkpoints'>, checkpointId: string): boolean {
  return entry.checkpoints === null || entry.checkpoints.includes(checkpointId);
}

/**
 * Checks and converts a health delta from the server. One malformed change rejects the whole
 * delta (null): the lane then keeps its list and re-syncs, never half-applying.
 */
export function toHealthChanges(changes: readonly WireChange[]): LaneListChange<LaneHealthEntry>[] | null {
  const out: LaneListChange<LaneHealthEntry>[] = [];
  for (const c of changes) {
    const key = parseSubjectKeyHex(c.key);
    if (key === null) return null;
    if (c.op === 'delete') out.push({ op: 'delete', key });
    else if (Value.Check(HealthWire, c.entry)) {
      const entry: HealthEntry = { status: c.entry.status, since: c.entry.since, until: c.entry.until };
      out.push({ op: 'put', value: { key, entry } });
    } else return null;
  }
  return out;
}

/**
 * Checks and converts a whitelist delta (see `toHealthChanges`); an entry not valid at this
 * checkpoint becomes a delete.
 */
export function toWhitelistChanges(
  changes: readonly WireChange[],
  checkpointId: string,
): LaneListChange<LaneWhitelistEntry>[] | null {
  const out: LaneListChange<LaneWhitelistEntry>[] = [];
  for (const c of changes) {
    const key = parseSubjectKeyHex(c.key);
    if (key === null) return null;
    if (c.op === 'delete') out.push({ op: 'delete', key });
    else if (Value.Check(WhitelistWire, c.entry)) {
      const { category, validFrom, validUntil } = c.entry;
      // The lane keeps only what applies here (an older server still sends other checkpoints').
      if (!isValidHere(c.entry, checkpointId)) out.push({ op: 'delete', key });
      else
        out.push({ op: 'put', value: { key, entry: { category, validFrom, validUntil }, validHere: true } });
    } else return null;
  }
  return out;
}
