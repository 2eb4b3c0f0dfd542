import { fail, ok, type Result } from '@checkpoint-lane/shared';

/** Vietnam time (UTC+7): the zone a date without a time or offset is read in. */
export const VIETNAM_OFFSET_MS = 7 * 3600_000;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** `18/09/2021`, `1/9/2021`, optionally `18/09/2021 08:30[:15]`: what Vietnamese spreadsheets write. */
const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Which end of a validity window a date bounds: a date-only value covers the whole day. */
export type DateEdge = 'start' | 'end';

/** Why a text is not a list date (stable codes; the console words them). */
export type ListDateErrorCode = 'bad_date' | 'not_calendar_date' | 'bad_time' | 'bad_offset';

/** Why a text is not a list date: a stable code and English words naming the text. */
export interface ListDateError {
  readonly code: ListDateErrorCode;
  readonly reason: string;
}

/** A parsed list date: epoch ms, null for empty (open-ended), or why it is not a date. */
export type ListDateResult = Result<number | null, ListDateError>;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A day (and maybe a time) in Vietnam time, checked strictly: 31/02 or 24:00 is an error. */
function vietnamDay(
  t: string,
  edge: DateEdge,
  y: number,
  m: number,
  day: number,
  time: readonly [number, number, number] | null,
): ListDateResult {
  if (!validDay(y, m, day)) return fail({ code: 'not_calendar_date', reason: `not a calendar date: ${t}` });
  const startUtc = Date.UTC(y, m - 1, day) - VIETNAM_OFFSET_MS;
  if (time === null) return ok(edge === 'start' ? startUtc : startUtc + 86_400_000 - 1);
  const [hh, mm, ss] = time;
  if (hh > 23 || mm > 59 || ss > 59) return fail({ code: 'bad_time', reason: `not a valid time: ${t}` });
  return ok(startUtc + ((hh * 60 + mm) * 60 + ss) * 1000);
}

/**
 * Reads a list date: ISO 8601 (`2021-09-18`, `2021-09-18T08:00:00+07:00`, `…Z`) or the
 * day-first form Vietnamese spreadsheets write (`18/09/2021`, `18/09/2021 08:00`). A date alone
 * means the start of that day in Vietnam time for `start`, and the last millisecond of that
 * day for `end` ("until 18 Sep" includes 18 Sep). A time without an offset is read in Vietnam
 * time too. Strict: no month-first reading, no rolling 31/02 over into March. Empty text is an
 * open end (null).
 */
export function parseListDate(text: string, edge: DateEdge): ListDateResult {
  const t = text.trim();
  if (t === '') return ok(null);
  const d = DATE_ONLY.exec(t);
  if (d) return vietnamDay(t, edge, Number(d[1]), Number(d[2]), Number(d[3]), null);
  const dmy = DMY.exec(t);
  if (dmy) {
    const time =
      dmy[4] === undefined ? null : ([Number(dmy[4]), Number(dmy[5]), Number(dmy[6] ?? '0')] as const);
    return vietnamDay(t, edge, Number(dmy[3]), Number(dmy[2]), Number(dmy[1]), time);
  }
  const dt = DATE_TIME.exec(t);
  if (!dt) {
    return fail({ code: 'bad_date', reason: `not a date (ISO 8601 or dd/mm/yyyy): ${t.slice(0, 40)}` });
  }
  const [y, m, day, hh, mm] = [Number(dt[1]), Number(dt[2]), Number(dt[3]), Number(dt[4]), Number(dt[5])];
  const ss = Number(dt[6] ?? '0');
  const ms = Number((dt[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (!validDay(y, m, day)) return fail({ code: 'not_calendar_date', reason: `not a calendar date: ${t}` });
  if (hh > 23 || mm > 59 || ss > 59) {
    return fail({ code: 'bad_time', reason: `not a valid date and time: ${t}` });
  }
  let offsetMs = VIETNAM_OFFSET_MS;
  const zone = dt[8];
  if (zone === 'Z') offsetMs = 0;
  else if (zone !== undefined) {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    const zh = Number(zm?.[2]);
    const zmin = Number(zm?.[3]);
    if (!zm || zh > 14 || zmin > 59) {
      return fail({ code: 'bad_offset', reason: `not a valid UTC offset: ${zone}` });
    }
    offsetMs = (zm[1] === '-' ? -1 : 1) * (zh * 3600_000 + zmin * 60_000);
  }
  return ok(Date.UTC(y, m - 1, day, hh, mm, ss, ms) - offsetMs);
}
