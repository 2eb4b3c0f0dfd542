// List entries between JavaScript and PostgreSQL: the select list an entry is read with (subject
// keys as text, so no int8 ever passes through the pool's number parser), the conversion of a row
// read back into the columns `ListKind.decode` and `laneEntry` take (the checkpoint set as SQLite's
// `;A;B;`), and a batch of rows as one array parameter per column for `unnest`.
import type { ListName } from '@checkpoint-lane/shared';
import {
  listKind,
  storedColumns,
  type Cell,
  type ListKind,
  type ListRows,
  type RawColumns,
} from '../../../lists/list-kinds.js';

/** SQL: an entry's columns (of table alias `a`, or unqualified when `a` is empty), subject key as text. */
export function entrySelect(kind: ListKind, a = ''): string {
  const p = a === '' ? '' : `${a}.`;
  return [
    `${p}subject_key::text AS subject_key`,
    `${p}subject`,
    ...kind.attributes.map((c) => `${p}${c.name}`),
    `${p}name`,
    `${p}note`,
  ].join(', ');
}

/** A row as PostgreSQL answers `entrySelect` (plus whatever else was selected). */
export type PgEntryRow = Record<string, unknown> & { subject_key: string | null };

/**
 * The columns of a row read with `entrySelect`, as SQLite answers them: the subject key a bigint,
 * a checkpoint set `;A;B;` (NULL stays NULL).
 */
export function rawColumns(row: PgEntryRow): RawColumns {
  const raw: Record<string, unknown> = {
    ...row,
    subject_key: row.subject_key === null ? null : BigInt(row.subject_key),
  };
  const set = row.checkpoints;
  if (Array.isArray(set)) raw.checkpoints = `;${set.join(';')};`;
  return raw;
}

/** Decodes a row read with `entrySelect`. */
export function decodeRow<L extends ListName>(kind: ListKind<L>, row: PgEntryRow): ListRows[L] {
  return kind.decode(rawColumns(row));
}

/** PostgreSQL type of an entry column (after `subject_key, subject`) as an array parameter carries it. */
function paramType(type: string): string {
  return type.startsWith('INTEGER') ? 'bigint' : 'text';
}

/**
 * SQL: the value stored for a column read from an `unnest` alias `u`. A checkpoint set travels as
 * SQLite's `;A;B;` text and is stored as text[] (`;;`, the empty set, gives `{}`).
 */
function storedValue(name: string): string {
  return name === 'checkpoints'
    ? `CASE WHEN u.checkpoints IS NULL THEN NULL ELSE string_to_array(btrim(u.checkpoints, ';'), ';') END`
    : `u.${name}`;
}

/** A batch of rows as `unnest` parameters: one array per column, with the SQL that reads them. */
export interface UnnestBatch {
  /** The stored column names, in order (`subject_key, subject`, attributes, `name, note`, then extras). */
  readonly columns: readonly string[];
  /** SQL: `SELECT <stored values> FROM unnest($from…) AS u(…)` (placeholders start at `from`). */
  select(from: number): string;
  readonly params: unknown[];
}

/**
 * Rows as array parameters for `unnest`: each row's cells through `ListKind.encode` (no object
 * per row), keys as decimal text. `lines` (an import's line numbers) adds a leading `line` column.
 */
export function unnestBatch<L extends ListName>(
  list: L,
  rows: readonly ListRows[L][],
  lines?: readonly number[],
): UnnestBatch {
  const kind = listKind(list);
  const stored = storedColumns(kind);
  const n = rows.length;
  const keys = new Array<string>(n);
  const subjects = new Array<string>(n);
  const cols = stored.map(() => new Array<Cell>(n));
  const cells = new Array<Cell>(stored.length).fill(null);
  const nameAt = kind.attributes.length;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as ListRows[L];
    keys[i] = r.key.toString();
    subjects[i] = r.subject;
    kind.encode(r, cells, 0);
    cells[nameAt] = r.name;
    cells[nameAt + 1] = r.note;
    for (let c = 0; c < cells.length; c++) (cols[c] as Cell[])[i] = cells[c] as Cell;
  }
  const types = [...kind.attributes.map((c) => paramType(c.type)), 'text', 'text'];
  const names = [...(lines ? ['line'] : []), 'subject_key', 'subject', ...stored];
  const allTypes = [...(lines ? ['int4'] : []), 'bigint', 'text', ...types];
  const params: unknown[] = [...(lines ? [lines] : []), keys, subjects, ...cols];
  return {
    columns: names,
    params,
    select: (from) =>
      `SELECT ${names.map((c) => (c === 'line' || c === 'subject_key' || c === 'subject' ? `u.${c}` : storedValue(c))).join(', ')}
       FROM unnest(${allTypes.map((t, i) => `$${from + i}::${t}[]`).join(', ')}) AS u(${names.join(', ')})`,
  };
}
