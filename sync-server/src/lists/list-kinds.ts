// One descriptor per list on the server: its entry table and columns, its CSV row shape, how a
// row is stored and read back, what a lane at one checkpoint gets of it (the scope rules), its
// snapshot classes and its urgent push. The writer, the staging table, the repository's reads
// and the snapshot builder are each written once over these, never once per list.
import type {
  HealthEntry,
  HealthStatus,
  ListName,
  SnapshotHeader,
  WhitelistCategory,
  WhitelistEntry,
  WhitelistScope,
} from '@checkpoint-lane/shared';
import { urgentHealthChange, type UrgentHealthChange } from '../events/event-hub.js';
import {
  CSV_HEADERS,
  healthRecordReader,
  whitelistRecordReader,
  type HealthRow,
  type RecordReader,
  type WhitelistRow,
} from './list-rows.js';
import { subjectKeyToHex } from './subject-key.js';

/** Each list's row as the server stores it. */
export interface ListRows {
  readonly health: HealthRow;
  readonly whitelist: WhitelistRow;
}

/** A value bound to an entry column (SQLite INTEGER, TEXT or NULL). */
export type Cell = string | number | bigint | null;

/** One entry's columns as SQLite answers them (read with safe integers: INTEGER is bigint). */
export type RawColumns = Readonly<Record<string, unknown>>;

/** An entry column of one list, after `subject_key` and `subject`: its name and SQL type. */
export interface EntryColumn {
  readonly name: string;
  readonly type: string;
}

/** What a lane gets of an entry: the list-specific attributes, never the subject or a name. */
export type LaneEntry = HealthEntry | WhitelistEntry;

/** One snapshot class as SQL groups it: attributes `a, b, c` and the scope `s` at `@cp`. */
export interface SnapshotClassRow {
  readonly a: string;
  readonly b: bigint | null;
  readonly c: bigint | null;
  readonly s: bigint;
}

/** How a list's snapshot is cut for one lane. */
export interface SnapshotRules {
  /** True when a lane's snapshot depends on its checkpoint (then cached per checkpoint). */
  readonly scoped: boolean;
  /** SQL: an entry's class columns `a, b, c, s` (s: 0 everywhere, 1 here, 2 elsewhere; `@cp` bound). */
  readonly classColumns: string;
  /** SQL: the `WHERE` clause of the entries a lane at `@cp` gets ('' for every entry). */
  readonly where: string;
  /** The snapshot header for these classes. */
  header(
    version: number,
    count: number,
    checkpointId: string,
    classes: readonly SnapshotClassRow[],
  ): SnapshotHeader;
}

/** Everything the server's list code needs to know about one list. */
export interface ListKind<L extends ListName = ListName> {
  readonly list: L;
  /** Its entry table (a fixed name, never user input). */
  readonly table: 'health_entries' | 'whitelist_entries';
  /** The exact header row its CSV starts with. */
  readonly csvHeader: string;
  /** Its attribute columns: after `subject_key, subject`, before `name, note, version, updated_at`. */
  readonly attributes: readonly EntryColumn[];
  /** Makes a reader of its CSV records (one per import: it caches repeated values). */
  recordReader(listKey: Uint8Array): RecordReader<ListRows[L]>;
  /**
   * Writes a row's attribute values, in `attributes` order, into `cells` from index `at` (a
   * statement's parameter list, refilled for each row: no array per row).
   */
  encode(row: ListRows[L], cells: Cell[], at: number): void;
  /** A row from its columns (`subject_key, subject`, the attributes, `name, note`). */
  decode(raw: RawColumns): ListRows[L];
  /**
   * What a lane at `checkpointId` holds of an entry, from its attribute columns; null when the
   * entry does not apply there (the lane is sent a delete).
   */
  laneEntry(raw: RawColumns, checkpointId: string): LaneEntry | null;
  /** A written row as an inline `urgent` push, or null: only health changes are pushed inline. */
  urgent(row: ListRows[L]): UrgentHealthChange | null;
  /** What the audit record of a single-entry put says of the row (besides its version). */
  auditWhat(row: ListRows[L]): Readonly<Record<string, unknown>>;
  readonly snapshot: SnapshotRules;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Stores a checkpoint set as `;a;b;` (so `instr(checkpoints, ';' || id || ';')` finds one id). */
const encodeSet = (s: readonly string[] | null): string | null => (s === null ? null : `;${s.join(';')};`);
const decodeSet = (s: unknown): string[] | null =>
  typeof s === 'string' ? s.split(';').filter((x) => x !== '') : null;

/** Reduces a stored checkpoint set to what one lane may know: everywhere, here, or not here. */
export function laneCheckpoints(set: readonly string[] | null, checkpointId: string): string[] | null {
  if (set === null) return null;
  return set.includes(checkpointId) ? [checkpointId] : [];
}

const base = (raw: RawColumns) => ({
  key: raw.subject_key as bigint,
  subject: raw.subject as string,
  name: (raw.name ?? null) as string | null,
  note: (raw.note ?? null) as string | null,
});

const SCOPES: readonly WhitelistScope[] = ['everywhere', 'here', 'elsewhere'];
/** SQL: a whitelist entry applies at checkpoint `@cp` (listed there, or everywhere). */
const WHITELIST_APPLIES_SQL = `(checkpoints IS NULL OR instr(checkpoints, ';' || @cp || ';') > 0)`;
const WHITELIST_SCOPE_SQL = `CASE WHEN checkpoints IS NULL THEN 0 WHEN instr(checkpoints, ';' || @cp || ';') > 0 THEN 1 ELSE 2 END`;

/** The health list: one status per subject, the same at every checkpoint. */
export const HEALTH: ListKind<'health'> = {
  list: 'health',
  table: 'health_entries',
  csvHeader: CSV_HEADERS.health,
  attributes: [
    { name: 'status', type: 'TEXT NOT NULL' },
    { name: 'since', type: 'INTEGER' },
    { name: 'until', type: 'INTEGER' },
  ],
  recordReader: healthRecordReader,
  encode: (r, cells, at) => {
    cells[at] = r.status;
    cells[at + 1] = r.since;
    cells[at + 2] = r.until;
  },
  decode: (raw) => ({
    ...base(raw),
    status: raw.status as HealthStatus,
    since: num(raw.since),
    until: num(raw.until),
  }),
  laneEntry: (raw) => ({ status: raw.status as HealthStatus, since: num(raw.since), until: num(raw.until) }),
  urgent: (r) =>
    urgentHealthChange(subjectKeyToHex(r.key), r.subject, {
      status: r.status,
      since: r.since,
      until: r.until,
    }),
  auditWhat: (r) => ({ status: r.status, since: r.since, until: r.until }),
  snapshot: {
    scoped: false,
    classColumns: 'status AS a, since AS b, until AS c, 0 AS s',
    where: '',
    header: (version, count, _checkpointId, classes) => ({
      list: 'health',
      version,
      count,
      checkpointId: '',
      classes: classes.map((r) => ({ status: r.a as HealthStatus, since: num(r.b), until: num(r.c) })),
    }),
  },
};

/** The whitelist: a category per subject, valid everywhere or at a set of checkpoints. */
export const WHITELIST: ListKind<'whitelist'> = {
  list: 'whitelist',
  table: 'whitelist_entries',
  csvHeader: CSV_HEADERS.whitelist,
  attributes: [
    { name: 'category', type: 'TEXT NOT NULL' },
    { name: 'valid_from', type: 'INTEGER' },
    { name: 'valid_until', type: 'INTEGER' },
    { name: 'checkpoints', type: 'TEXT' },
  ],
  recordReader: whitelistRecordReader,
  encode: (r, cells, at) => {
    cells[at] = r.category;
    cells[at + 1] = r.validFrom;
    cells[at + 2] = r.validUntil;
    cells[at + 3] = encodeSet(r.checkpoints);
  },
  decode: (raw) => ({
    ...base(raw),
    category: raw.category as WhitelistCategory,
    validFrom: num(raw.valid_from),
    validUntil: num(raw.valid_until),
    checkpoints: decodeSet(raw.checkpoints),
  }),
  laneEntry: (raw, checkpointId) => {
    const checkpoints = laneCheckpoints(decodeSet(raw.checkpoints), checkpointId);
    // No longer valid here (its checkpoints changed): the lane drops it. A delta does not say
    // whether it applied here before, so a lane may get a delete of a key it never held (a no-op).
    if (checkpoints !== null && checkpoints.length === 0) return null;
    return {
      category: raw.category as WhitelistCategory,
      validFrom: num(raw.valid_from),
      validUntil: num(raw.valid_until),
      checkpoints,
    };
  },
  urgent: () => null,
  auditWhat: (r) => ({ category: r.category, validFrom: r.validFrom, validUntil: r.validUntil }),
  snapshot: {
    scoped: true,
    classColumns: `category AS a, valid_from AS b, valid_until AS c, ${WHITELIST_SCOPE_SQL} AS s`,
    // A lane gets the whitelist entries valid at its checkpoint or everywhere, never others'.
    where: `WHERE ${WHITELIST_APPLIES_SQL}`,
    header: (version, count, checkpointId, classes) => ({
      list: 'whitelist',
      version,
      count,
      checkpointId,
      classes: classes.map((r) => ({
        category: r.a as WhitelistCategory,
        scope: SCOPES[Number(r.s)] ?? 'elsewhere',
        validFrom: num(r.b),
        validUntil: num(r.c),
      })),
    }),
  },
};

/** The stored columns of a list's entries after `subject_key, subject`: its attributes, then `name, note`. */
export function storedColumns(kind: ListKind): string[] {
  return [...kind.attributes.map((c) => c.name), 'name', 'note'];
}

/** Every list's descriptor, by name. */
export const LIST_KINDS: { readonly [L in ListName]: ListKind<L> } = { health: HEALTH, whitelist: WHITELIST };

/** The descriptor of one list. */
export function listKind<L extends ListName>(list: L): ListKind<L> {
  return LIST_KINDS[list];
}
