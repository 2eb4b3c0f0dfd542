import {
  CheckpointId,
  HEALTH_STATUSES,
  parseSubjectText,
  WHITELIST_CATEGORIES,
  canonicalSubjectKey,
  fail,
  hasControlChar,
  ok,
  type HealthStatus,
  type ListName,
  type Result,
  type RowErrorCode,
  type Subject,
  type WhitelistCategory,
} from '@checkpoint-lane/shared';
import { parseListDate } from './list-dates.js';
import { subjectKey, subjectKeyer } from './subject-key.js';

/** The exact header row each list's CSV must start with (architecture contract). */
export const CSV_HEADERS: Readonly<Record<ListName, string>> = {
  health: 'id,status,since,until,name,note',
  whitelist: 'id,category,valid_from,valid_until,checkpoints,name,note',
};

/** Longest name and note kept with an entry (server side only; lanes never get them). */
export const MAX_NAME_LENGTH = 200;
/** Longest note kept with an entry. */
export const MAX_NOTE_LENGTH = 500;

/** What every list row has: the subject, its keyed hash, and the name and note only the server keeps. */
export interface RowBase {
  /** Keyed hash of the canonical subject (signed 64-bit). */
  readonly key: bigint;
  /** Canonical subject, `kind:value`. */
  readonly subject: string;
  readonly name: string | null;
  readonly note: string | null;
}

/** One health list entry as the server stores it. */
export interface HealthRow extends RowBase {
  readonly status: HealthStatus;
  readonly since: number | null;
  readonly until: number | null;
}

/** One whitelist entry as the server stores it (null checkpoints: valid everywhere). */
export interface WhitelistRow extends RowBase {
  readonly category: WhitelistCategory;
  readonly validFrom: number | null;
  readonly validUntil: number | null;
  readonly checkpoints: readonly string[] | null;
}

/** A row of either list. */
export type ListRow = HealthRow | WhitelistRow;

/** A rejected row's reason: words (English), a stable code and what the words name. */
export interface RowError {
  readonly reason: string;
  readonly code: RowErrorCode;
  /** e.g. `{field: 'since', value: '31/02/2021'}`; never the row's ID. */
  readonly params?: Readonly<Record<string, string | number>>;
}

/** A validated row (or field), or why it was rejected. */
export type RowResult<R> = Result<R, RowError>;

const CHECKPOINT_ID = new RegExp(
  (CheckpointId as { pattern?: string }).pattern ?? '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
);
const STATUSES: ReadonlySet<string> = new Set(HEALTH_STATUSES);
const CATEGORIES: ReadonlySet<string> = new Set(WHITELIST_CATEGORIES);

/** A row refused for a NUL or other C0 control character in `field` (never the value: it may be a name). */
const controlChar = (field: string): { readonly ok: false; readonly error: RowError } =>
  fail({
    code: 'control_char',
    params: { field },
    reason: `${field}: contains a control character (NUL or another of U+0000–U+001F)`,
  });

/**
 * The first of a row's coded cells (id, status or category, dates, checkpoints: every cell but
 * name and note, which `readSubjectFields` checks) holding a control character other than tab or
 * a line break (those are trimmed away as spaces are), as a refusal; null when none does.
 */
function controlCharInCells(
  fields: readonly string[],
  names: readonly string[],
): { readonly ok: false; readonly error: RowError } | null {
  for (let i = 0; i < fields.length; i++) {
    const name = names[i] ?? `column ${i + 1}`;
    if (name === 'name' || name === 'note') continue;
    if (hasControlChar(fields[i] ?? '', true)) return controlChar(name);
  }
  return null;
}

const HEALTH_COLUMNS = CSV_HEADERS.health.split(',');
const WHITELIST_COLUMNS = CSV_HEADERS.whitelist.split(',');

/** Fields shared by both lists: the subject, its keyed hash, name and note. */
export function readSubjectFields(
  listKey: Uint8Array | ((subject: Subject) => bigint),
  idText: string,
  name: string | undefined,
  note: string | undefined,
): RowResult<RowBase> {
  const subject = parseSubjectText(idText);
  if (!subject) {
    return fail({
      code: 'bad_id',
      reason: 'id is not a 12-digit personal ID, a passport number or a vehicle plate',
    });
  }
  const cleanName = (name ?? '').trim().normalize('NFC');
  const cleanNote = (note ?? '').trim().normalize('NFC');
  // A name is one line; a note may keep tabs and line breaks (a quoted CSV cell can hold them).
  if (hasControlChar(cleanName)) return controlChar('name');
  if (hasControlChar(cleanNote, true)) return controlChar('note');
  if (cleanName.length > MAX_NAME_LENGTH)
    return fail({
      code: 'name_too_long',
      params: { max: MAX_NAME_LENGTH },
      reason: `name is longer than ${MAX_NAME_LENGTH}`,
    });
  if (cleanNote.length > MAX_NOTE_LENGTH)
    return fail({
      code: 'note_too_long',
      params: { max: MAX_NOTE_LENGTH },
      reason: `note is longer than ${MAX_NOTE_LENGTH}`,
    });
  return ok({
    key: typeof listKey === 'function' ? listKey(subject) : subjectKey(listKey, subject),
    subject: canonicalSubjectKey(subject),
    name: cleanName === '' ? null : cleanName,
    note: cleanNote === '' ? null : cleanNote,
  });
}

/** Reads a window from two date texts; the end may not be before the start. */
export function readWindow(
  startText: string,
  endText: string,
  names: readonly [string, string],
): RowResult<{ start: number | null; end: number | null }> {
  const start = parseListDate(startText, 'start');
  if (!start.ok) {
    return fail({
      code: start.error.code,
      params: { field: names[0], value: startText.trim().slice(0, 40) },
      reason: `${names[0]}: ${start.error.reason}`,
    });
  }
  const end = parseListDate(endText, 'end');
  if (!end.ok) {
    return fail({
      code: end.error.code,
      params: { field: names[1], value: endText.trim().slice(0, 40) },
      reason: `${names[1]}: ${end.error.reason}`,
    });
  }
  if (start.value !== null && end.value !== null && end.value < start.value) {
    return fail({
      code: 'end_before_start',
      params: { field: names[1], start: names[0] },
      reason: `${names[1]} is before ${names[0]}`,
    });
  }
  return ok({ start: start.value, end: end.value });
}

/** Reads a `;`-separated checkpoint set; empty means everywhere (null). */
export function readCheckpointSet(text: string): RowResult<readonly string[] | null> {
  const ids = text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) return ok(null);
  const bad = ids.find((id) => !CHECKPOINT_ID.test(id));
  if (bad !== undefined)
    return fail({
      code: 'bad_checkpoint',
      params: { value: bad.slice(0, 70) },
      reason: `checkpoints: not a checkpoint id: ${bad.slice(0, 70)}`,
    });
  return ok([...new Set(ids)].sort());
}

/**
 * Memoises a pure text reader: list files repeat the same dates and checkpoint sets on
 * thousands of rows, and a 1M-row import should not parse them a million times.
 */
function memo<T>(read: (text: string) => T, max = 4096): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
    const v = read(text);
    if (cache.size >= max) cache.clear();
    cache.set(text, v);
    return v;
  };
}

const fieldCount = (expected: number, found: number): { readonly ok: false; readonly error: RowError } =>
  fail({
    code: 'field_count',
    params: { expected, found },
    reason: `expected ${expected} fields, found ${found}`,
  });

/** A reader of one list's CSV records, with caches for repeated values (make one per import). */
export type RecordReader<R> = (fields: readonly string[]) => RowResult<R>;

function windowReader(names: readonly [string, string]) {
  return memo((pair: string) => {
    const i = pair.indexOf('\u0000');
    return readWindow(pair.slice(0, i), pair.slice(i + 1), names);
  });
}

/** Makes a reader of health CSV records: `id,status,since,until,name,note`. */
export function healthRecordReader(listKey: Uint8Array): RecordReader<HealthRow> {
  const window = windowReader(['since', 'until']);
  const keyOf = subjectKeyer(listKey);
  return (fields) => {
    if (fields.length !== 6) return fieldCount(6, fields.length);
    const control = controlCharInCells(fields, HEALTH_COLUMNS);
    if (control !== null) return control;
    const [id = '', status = '', since = '', until = '', name, note] = fields;
    const base = readSubjectFields(keyOf, id, name, note);
    if (!base.ok) return base;
    const st = status.trim();
    if (!STATUSES.has(st)) {
      return fail({
        code: 'bad_status',
        params: { value: st.slice(0, 40), allowed: HEALTH_STATUSES.join(', ') },
        reason: `unknown status (expected one of ${HEALTH_STATUSES.join(', ')})`,
      });
    }
    const w = window(`${since}\u0000${until}`);
    if (!w.ok) return w;
    const b = base.value;
    return ok({
      key: b.key,
      subject: b.subject,
      name: b.name,
      note: b.note,
      status: st as HealthStatus,
      since: w.value.start,
      until: w.value.end,
    });
  };
}

/** Makes a reader of whitelist CSV records: `id,category,valid_from,valid_until,checkpoints,name,note`. */
export function whitelistRecordReader(listKey: Uint8Array): RecordReader<WhitelistRow> {
  const window = windowReader(['valid_from', 'valid_until']);
  const keyOf = subjectKeyer(listKey);
  const checkpointSet = memo(readCheckpointSet);
  return (fields) => {
    if (fields.length !== 7) return fieldCount(7, fields.length);
    const control = controlCharInCells(fields, WHITELIST_COLUMNS);
    if (control !== null) return control;
    const [id = '', category = '', from = '', until = '', checkpoints = '', name, note] = fields;
    const base = readSubjectFields(keyOf, id, name, note);
    if (!base.ok) return base;
    const cat = category.trim();
    if (!CATEGORIES.has(cat)) {
      return fail({
        code: 'bad_category',
        params: { value: cat.slice(0, 40), allowed: WHITELIST_CATEGORIES.join(', ') },
        reason: `unknown category (expected one of ${WHITELIST_CATEGORIES.join(', ')})`,
      });
    }
    const w = window(`${from}\u0000${until}`);
    if (!w.ok) return w;
    const set = checkpointSet(checkpoints);
    if (!set.ok) return set;
    const b = base.value;
    return ok({
      key: b.key,
      subject: b.subject,
      name: b.name,
      note: b.note,
      category: cat as WhitelistCategory,
      validFrom: w.value.start,
      validUntil: w.value.end,
      checkpoints: set.value,
    });
  };
}

/** Validates one health CSV record (one-off; imports use `healthRecordReader`). */
export function readHealthRecord(listKey: Uint8Array, fields: readonly string[]): RowResult<HealthRow> {
  return healthRecordReader(listKey)(fields);
}

/** Validates one whitelist CSV record (one-off; imports use `whitelistRecordReader`). */
export function readWhitelistRecord(listKey: Uint8Array, fields: readonly string[]): RowResult<WhitelistRow> {
  return whitelistRecordReader(listKey)(fields);
}
