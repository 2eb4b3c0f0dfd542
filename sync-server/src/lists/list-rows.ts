import {
  CheckpointId,
  HEALTH_STATUSES,
  parseSubjectText,
  WHITELIST_CATEGORIES,
  canonicalSubjectKey,
  type HealthStatus,
  type ListName,
  type WhitelistCategory,
} from '@checkpoint-lane/shared';
import { parseListDate } from './list-dates.js';
import { subjectKey } from './subject-key.js';

/** The exact header row each list's CSV must start with (architecture contract). */
export const CSV_HEADERS: Readonly<Record<ListName, string>> = {
  health: 'id,status,since,until,name,note',
  whitelist: 'id,category,valid_from,valid_until,checkpoints,name,note',
};

/** Longest name and note kept with an entry (server side only; lanes never get them). */
export const MAX_NAME_LENGTH = 200;
/** Longest note kept with an entry. */
export const MAX_NOTE_LENGTH = 500;

interface RowBase {
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

/** A validated row, or why it was rejected. */
export type RowResult<R> = { ok: true; row: R } | { ok: false; reason: string };

const CHECKPOINT_ID = new RegExp(
  (CheckpointId as { pattern?: string }).pattern ?? '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
);
const STATUSES: ReadonlySet<string> = new Set(HEALTH_STATUSES);
const CATEGORIES: ReadonlySet<string> = new Set(WHITELIST_CATEGORIES);

/** Fields shared by both lists: the subject, its keyed hash, name and note. */
export function readSubjectFields(
  listKey: Uint8Array,
  idText: string,
  name: string | undefined,
  note: string | undefined,
): RowResult<RowBase> {
  const subject = parseSubjectText(idText);
  if (!subject) {
    return { ok: false, reason: 'id is not a 12-digit personal ID, a passport number or a vehicle plate' };
  }
  const cleanName = (name ?? '').trim().normalize('NFC');
  const cleanNote = (note ?? '').trim().normalize('NFC');
  if (cleanName.length > MAX_NAME_LENGTH)
    return { ok: false, reason: `name is longer than ${MAX_NAME_LENGTH}` };
  if (cleanNote.length > MAX_NOTE_LENGTH)
    return { ok: false, reason: `note is longer than ${MAX_NOTE_LENGTH}` };
  return {
    ok: true,
    row: {
      key: subjectKey(listKey, subject),
      subject: canonicalSubjectKey(subject),
      name: cleanName === '' ? null : cleanName,
      note: cleanNote === '' ? null : cleanNote,
    },
  };
}

/** Reads a window from two date texts; the end may not be before the start. */
export function readWindow(
  startText: string,
  endText: string,
  names: readonly [string, string],
): RowResult<{ start: number | null; end: number | null }> {
  const start = parseListDate(startText, 'start');
  if (!start.ok) return { ok: false, reason: `${names[0]}: ${start.reason}` };
  const end = parseListDate(endText, 'end');
  if (!end.ok) return { ok: false, reason: `${names[1]}: ${end.reason}` };
  if (start.value !== null && end.value !== null && end.value < start.value) {
    return { ok: false, reason: `${names[1]} is before ${names[0]}` };
  }
  return { ok: true, row: { start: start.value, end: end.value } };
}

/** Validates one health CSV record: `id,status,since,until,name,note`. */
export function readHealthRecord(listKey: Uint8Array, fields: readonly string[]): RowResult<HealthRow> {
  if (fields.length !== 6) return { ok: false, reason: `expected 6 fields, found ${fields.length}` };
  const [id = '', status = '', since = '', until = '', name, note] = fields;
  const base = readSubjectFields(listKey, id, name, note);
  if (!base.ok) return base;
  const st = status.trim();
  if (!STATUSES.has(st))
    return { ok: false, reason: `unknown status (expected one of ${HEALTH_STATUSES.join(', ')})` };
  const window = readWindow(since, until, ['since', 'until']);
  if (!window.ok) return window;
  return {
    ok: true,
    row: { ...base.row, status: st as HealthStatus, since: window.row.start, until: window.row.end },
  };
}

/** Reads a `;`-separated checkpoint set; empty means everywhere (null). */
export function readCheckpointSet(text: string): RowResult<readonly string[] | null> {
  const ids = text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) return { ok: true, row: null };
  const bad = ids.find((id) => !CHECKPOINT_ID.test(id));
  if (bad !== undefined)
    return { ok: false, reason: `checkpoints: not a checkpoint id: ${bad.slice(0, 70)}` };
  return { ok: true, row: [...new Set(ids)].sort() };
}

/** Validates one whitelist CSV record: `id,category,valid_from,valid_until,checkpoints,name,note`. */
export function readWhitelistRecord(listKey: Uint8Array, fields: readonly string[]): RowResult<WhitelistRow> {
  if (fields.length !== 7) return { ok: false, reason: `expected 7 fields, found ${fields.length}` };
  const [id = '', category = '', from = '', until = '', checkpoints = '', name, note] = fields;
  const base = readSubjectFields(listKey, id, name, note);
  if (!base.ok) return base;
  const cat = category.trim();
  if (!CATEGORIES.has(cat)) {
    return { ok: false, reason: `unknown category (expected one of ${WHITELIST_CATEGORIES.join(', ')})` };
  }
  const window = readWindow(from, until, ['valid_from', 'valid_until']);
  if (!window.ok) return window;
  const set = readCheckpointSet(checkpoints);
  if (!set.ok) return set;
  return {
    ok: true,
    row: {
      ...base.row,
      category: cat as WhitelistCategory,
      validFrom: window.row.start,
      validUntil: window.row.end,
      checkpoints: set.row,
    },
  };
}
