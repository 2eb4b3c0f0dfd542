import type { CalendarDate } from './payload-types.js';

function toCalendarDate(year: number, month: number, day: number): CalendarDate | null {
  if (year < 1800 || year > 2400 || month < 1 || month > 12 || day < 1) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth ? { year, month, day } : null;
}

/** Reads `ddMMyyyy` (chip ID card QR). Null if it is not a real date. */
export function parseCompactDate(text: string): CalendarDate | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(text);
  return m ? toCalendarDate(Number(m[3]), Number(m[2]), Number(m[1])) : null;
}

/** Reads `dd/MM/yyyy` (the re-formatted card QR). Null if it is not a real date. */
export function parseSlashedDate(text: string): CalendarDate | null {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  return m ? toCalendarDate(Number(m[3]), Number(m[2]), Number(m[1])) : null;
}

/** Reads `yyyy-MM-dd`. Null if it is not a real date. */
export function parseIsoDate(text: string): CalendarDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? toCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}
