// One descriptor per list: how its entries arrive on the wire, how the lane stores them and
// how a stored row reads back. The store, the snapshot and the delta code are each written
// once over these, never once per list.
import {
  HEALTH_STATUSES,
  HealthStatus,
  WHITELIST_CATEGORIES,
  WhitelistCategory,
  type HealthEntry,
  type ListName,
  type WhitelistEntry,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';

/** A health list entry as a lane holds it: keyed hash, no identity. */
export interface LaneHealthEntry {
  readonly key: bigint;
  readonly entry: HealthEntry;
}

/** A whitelist entry as a lane holds it: keyed hash, and whether it is valid at this checkpoint. */
export interface LaneWhitelistEntry {
  readonly key: bigint;
  readonly entry: Omit<WhitelistEntry, 'checkpoints'>;
  readonly validHere: boolean;
}

/** What a lane holds of each list's entries. */
export interface LaneEntries {
  readonly health: LaneHealthEntry;
  readonly whitelist: LaneWhitelistEntry;
}
/** What a lane holds of one entry of list `L`. */
export type LaneEntry<L extends ListName> = LaneEntries[L];

/** Each list's entry as the server sends it and as a lookup answers it. */
export interface ListEntries {
  readonly health: HealthEntry;
  readonly whitelist: WhitelistEntry;
}
/** One entry of list `L` as the server sends it and as a lookup answers it. */
export type ListEntry<L extends ListName> = ListEntries[L];

/** A change to one list entry: put (insert or replace) or delete. */
export type LaneListChange<E> =
  { readonly op: 'put'; readonly value: E } | { readonly op: 'delete'; readonly key: bigint };

/** A stored cell of a list row (SQLite INTEGER or NULL). */
export type ListCell = number | null;

/** Everything the lane's code needs to know about one list. */
export interface ListDescriptor<L extends ListName> {
  readonly list: L;
  /** Its table: `key INTEGER PRIMARY KEY` and then `columns`. */
  readonly table: string;
  /** The columns after the key, in the order `toRow` and `fromRow` use. */
  readonly columns: readonly string[];
  /** Is a wire entry (in a delta or an urgent push) well-formed for this list? */
  isWireEntry(entry: unknown): entry is ListEntry<L>;
  /** The entry as this lane keeps it, or null when it does not apply at `checkpointId`. */
  toLane(key: bigint, entry: ListEntry<L>, checkpointId: string): LaneEntry<L> | null;
  /** The stored cells of a lane entry, in `columns` order. */
  toRow(entry: LaneEntry<L>): ListCell[];
  /** A stored row (cells in `columns` order) read back as the decision sees it. */
  fromRow(row: readonly ListCell[]): ListEntry<L>;
}

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

const health: ListDescriptor<'health'> = {
  list: 'health',
  table: 'health_entries',
  columns: ['status', 'since', 'until'],
  isWireEntry(entry: unknown): entry is HealthEntry {
    return Value.Check(HealthWire, entry);
  },
  toLane: (key, e) => ({ key, entry: { status: e.status, since: e.since, until: e.until } }),
  toRow: ({ entry }) => [HEALTH_STATUSES.indexOf(entry.status), entry.since, entry.until],
  fromRow: ([status, since = null, until = null]) => ({
    status: HEALTH_STATUSES[status ?? -1] ?? 'F0',
    since,
    until,
  }),
};

const whitelist: ListDescriptor<'whitelist'> = {
  list: 'whitelist',
  table: 'whitelist_entries',
  columns: ['category', 'valid_from', 'valid_until', 'valid_here'],
  isWireEntry(entry: unknown): entry is WhitelistEntry {
    return Value.Check(WhitelistWire, entry);
  },
  // The lane keeps only what applies here (an older server still sends other checkpoints').
  toLane: (key, e, checkpointId) =>
    isValidHere(e, checkpointId)
      ? {
          key,
          entry: { category: e.category, validFrom: e.validFrom, validUntil: e.validUntil },
          validHere: true,
        }
      : null,
  toRow: ({ entry, validHere }) => [
    WHITELIST_CATEGORIES.indexOf(entry.category),
    entry.validFrom,
    entry.validUntil,
    validHere ? 1 : 0,
  ],
  // `checkpoints` is null when valid here and empty when not (the lane keeps no other names).
  fromRow: ([category, validFrom = null, validUntil = null, validHere]) => ({
    category: WHITELIST_CATEGORIES[category ?? -1] ?? 'other',
    validFrom,
    validUntil,
    checkpoints: validHere === 1 ? null : [],
  }),
};

/** The descriptor of each list. */
export const LIST_DESCRIPTORS: { readonly [L in ListName]: ListDescriptor<L> } = { health, whitelist };
