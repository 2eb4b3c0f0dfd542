// Pure helpers: times in Vietnam time, relative times, query strings, list lag, short hashes.
import type { Lang } from './i18n.js';

/** The time zone every time is shown in. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** Vietnam's offset from UTC (no daylight saving). */
const VN_OFFSET_MS = 7 * 3600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(lang: Lang, kind: 'full' | 'short' | 'hour' | 'day'): Intl.DateTimeFormat {
  const id = `${lang}:${kind}`;
  let f = formatters.get(id);
  if (!f) {
    const parts: Intl.DateTimeFormatOptions =
      kind === 'full'
        ? {
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          }
        : kind === 'short'
          ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }
          : kind === 'hour'
            ? { hour: '2-digit', minute: '2-digit' }
            : { month: '2-digit', day: '2-digit' };
    f = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', {
      ...parts,
      hourCycle: 'h23',
      timeZone: TIME_ZONE,
    });
    formatters.set(id, f);
  }
  return f;
}

/** Epoch ms or ISO text to a Date, or null when there is no time. */
export function toDate(at: number | string | null | undefined): Date | null {
  if (at === null || at === undefined || at === '') return null;
  const d = new Date(typeof at === 'string' && /^\d+$/.test(at) ? Number(at) : at);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A full date and time in Vietnam time ('' when there is none). */
export function formatTime(at: number | string | null | undefined, lang: Lang): string {
  const d = toDate(at);
  return d ? formatter(lang, 'full').format(d) : '';
}

/** A chart axis label: the hour ("14:00", 24 h range) or the day ("24/11", 7 days). */
export function formatAxis(at: number, lang: Lang, withDay: boolean): string {
  return withDay ? formatDay(at, lang) : formatter(lang, 'hour').format(at);
}

/** Day and month as "24/11" in Vietnam time, in both languages (vi-VN alone would write "24-11"). */
export function formatDay(at: number, lang: Lang): string {
  const parts = formatter(lang, 'day').formatToParts(at);
  const day = parts.find((p) => p.type === 'day')?.value ?? '';
  const month = parts.find((p) => p.type === 'month')?.value ?? '';
  return `${day}/${month}`;
}

/** An hour of a chart as the hover title names it: "24/11 14:00" in Vietnam time. */
export function formatHour(at: number, lang: Lang): string {
  return `${formatDay(at, lang)} ${formatter(lang, 'hour').format(at)}`;
}

/** "5 s ago" / "3 phút trước"; a time in the future reads "in …". */
export function relativeTime(at: number | null | undefined, now: number, lang: Lang): string {
  if (at === null || at === undefined) return '';
  const diff = now - at;
  const abs = Math.abs(diff);
  const [n, unitVi, unitEn] =
    abs < 60_000
      ? [Math.round(abs / 1000), 'giây', 's']
      : abs < 3600_000
        ? [Math.floor(abs / 60_000), 'phút', 'min']
        : abs < 86_400_000
          ? [Math.floor(abs / 3600_000), 'giờ', 'h']
          : [Math.floor(abs / 86_400_000), 'ngày', 'd'];
  if (lang === 'vi') return diff >= 0 ? `${n} ${unitVi} trước` : `${n} ${unitVi} nữa`;
  return diff >= 0 ? `${n} ${unitEn} ago` : `in ${n} ${unitEn}`;
}

/** A clock skew in ms as "+1.2 s" / "−350 ms" ('' when unknown). */
export function formatSkew(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '';
  const abs = Math.abs(ms);
  return abs < 1000 ? `${sign}${abs} ms` : `${sign}${(abs / 1000).toFixed(1)} s`;
}

/**
 * A `datetime-local` input's value ("2026-11-23T08:30", seconds and milliseconds optional),
 * read as Vietnam time whatever the browser's own zone, to ISO 8601 with the +07:00 offset;
 * '' stays '' and anything unreadable gives null. No Date is involved: the wall-clock digits
 * are kept as typed and the offset is written beside them.
 */
export function localInputToIso(value: string): string | null {
  if (value === '') return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?$/.exec(value);
  if (!m) return null;
  return `${m[1] ?? ''}T${m[2] ?? ''}${m[3] ?? ':00'}+07:00`;
}

/** Epoch ms to a `datetime-local` / `date` input value in Vietnam time. */
export function toLocalInput(at: number | null | undefined, dateOnly = false): string {
  if (at === null || at === undefined) return '';
  const iso = new Date(at + VN_OFFSET_MS).toISOString();
  return dateOnly ? iso.slice(0, 10) : iso.slice(0, 16);
}

/** A query string (with its `?`) from the non-empty values, in the given order; '' when empty. */
export function buildQuery(
  params: Readonly<Record<string, string | number | boolean | null | undefined>>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** How many versions a lane's list is behind the server's (null when either is unknown). */
export function listLag(server: number | null | undefined, lane: number | null | undefined): number | null {
  if (server === null || server === undefined || lane === null || lane === undefined) return null;
  return Math.max(0, server - lane);
}

/** The first 8 hex characters of a subject key hash — never more of it. */
export function shortHash(key: string | null | undefined): string {
  // Anything but a hex hash is not shown at all: it could be a name or an ID.
  if (!key || !/^[0-9a-f]+$/i.test(key)) return '—';
  return key.slice(0, 8).toLowerCase();
}

/** Details JSON on one line, cut to `max` characters. */
export function compactJson(value: unknown, max = 200): string {
  if (value === undefined || value === null) return '';
  let s: string;
  try {
    const json: unknown = typeof value === 'string' ? value : JSON.stringify(value);
    s = typeof json === 'string' ? json : '';
  } catch {
    s = '…';
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The scan search filters as typed in the form. */
export interface ScanFilters {
  subject: string;
  checkpoint: string;
  /** A lane's id. */
  kiosk: string;
  from: string;
  to: string;
  decision: string;
}

/** The scan search query (also the CSV export's), times read as Vietnam time; '' when empty. */
export function scanQuery(
  f: ScanFilters,
  extra: Readonly<Record<string, string | number | undefined>> = {},
): string {
  return buildQuery({
    subject: f.subject.trim(),
    checkpoint: f.checkpoint,
    kiosk: f.kiosk,
    from: localInputToIso(f.from) ?? '',
    to: localInputToIso(f.to) ?? '',
    decision: f.decision,
    ...extra,
  });
}

/** A lane as offered in a filter: its id and "name (checkpoint)", revoked ones marked. */
export interface LaneChoice {
  id: string;
  label: string;
}

/**
 * The lanes to offer in a filter, by name in natural order (lan-2 before lan-10); only the
 * checkpoint's own lanes when one is chosen.
 */
export function laneChoices(
  kiosks: readonly { id: string; name: string; checkpointId: string; revokedAt: number | null }[],
  checkpoint: string,
  revokedMark: string,
): LaneChoice[] {
  const byName = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });
  return kiosks
    .filter((k) => checkpoint === '' || k.checkpointId === checkpoint)
    .sort((a, b) => byName.compare(a.name, b.name) || a.id.localeCompare(b.id))
    .map((k) => ({
      id: k.id,
      label: `${k.name} (${k.checkpointId})${k.revokedAt !== null ? ` — ${revokedMark}` : ''}`,
    }));
}
