// Pure helpers of the trace page: reading index subjects from typed lines or a pasted CSV (each
// subject checked the way lists and lanes read one, refused lines named), grouping a page of
// contacts by index subject or by checkpoint, the evidence as one time-ordered list, and the
// contacts query.
import { canonicalSubjectKey, parseSubjectText } from '@checkpoint-lane/shared';
import { buildQuery } from './format.js';
import type { TraceContact, TraceEvidence } from './types.js';

/** What the helpers read of a piece of evidence. */
export type EvidenceLike = Pick<
  TraceEvidence,
  'checkpointId' | 'kioskId' | 'at' | 'indexSubject' | 'indexAt'
> &
  Partial<Pick<TraceEvidence, 'indexKey'>>;

/** What the helpers read of a contact. */
export interface ContactLike<E extends EvidenceLike = EvidenceLike> {
  subject: TraceContact['subject'];
  hop: TraceContact['hop'];
  via: TraceContact['via'];
  evidence: readonly E[];
}

/** A line that gave no subject: its number (1-based) and its text (cut to 40 characters). */
export interface RefusedLine {
  line: number;
  text: string;
}

/** Subjects read from a text: the distinct ones in order, and the lines that gave none. */
export interface ReadSubjects {
  subjects: string[];
  /** Lines that named a subject (repeats included). */
  read: number;
  /** A first CSV line that named no subject, taken as the header. */
  header: boolean;
  refused: RefusedLine[];
}

function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function collect(rows: readonly (string | null)[], lines: readonly string[], csv: boolean): ReadSubjects {
  const seen = new Set<string>();
  const subjects: string[] = [];
  const refused: RefusedLine[] = [];
  let read = 0;
  let header = false;
  let firstNonEmpty = true;
  rows.forEach((subject, i) => {
    const text = (lines[i] ?? '').trim();
    if (text === '') return;
    const first = firstNonEmpty;
    firstNonEmpty = false;
    if (subject === null) {
      if (csv && first) header = true;
      else refused.push({ line: i + 1, text: cut(text) });
      return;
    }
    read++;
    if (seen.has(subject)) return;
    seen.add(subject);
    subjects.push(subject);
  });
  return { subjects, read, header, refused };
}

/** A subject as typed, read the way lists and lanes read one: its key (`kind:value`) and canonical text, or null. */
export function subjectOf(text: string): { key: string; value: string } | null {
  const s = parseSubjectText(text);
  return s ? { key: canonicalSubjectKey(s), value: s.value } : null;
}

function linesOf(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
}

/**
 * Subjects typed or pasted one a line (blank lines skipped; repeats counted once, as their
 * canonical text: `51F-123.45` and `51F12345` are one plate).
 */
export function subjectsFromLines(text: string): ReadSubjects {
  const lines = linesOf(text);
  const byKey = new Map<string, string>();
  const rows = lines.map((l) => {
    const s = l.trim() === '' ? null : subjectOf(l);
    if (!s) return null;
    if (!byKey.has(s.key)) byKey.set(s.key, s.value);
    return s.key;
  });
  const r = collect(rows, lines, false);
  return { ...r, subjects: r.subjects.map((k) => byKey.get(k) ?? k) };
}

/** The fields of one CSV line (`,` or `;`, double quotes with `""` inside). */
export function csvFields(line: string): string[] {
  const sep = !line.includes(',') && line.includes(';') ? ';' : ',';
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === sep) {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * Subjects from a pasted CSV: in each line, the first field that reads as a subject. A first line
 * with none is the header; any other line with none is refused.
 */
export function subjectsFromCsv(text: string): ReadSubjects {
  const lines = linesOf(text);
  const byKey = new Map<string, string>();
  const rows = lines.map((l) => {
    if (l.trim() === '') return null;
    for (const f of csvFields(l)) {
      const s = f.trim() === '' ? null : subjectOf(f);
      if (s) {
        if (!byKey.has(s.key)) byKey.set(s.key, s.value);
        return s.key;
      }
    }
    return null;
  });
  const r = collect(rows, lines, true);
  return { ...r, subjects: r.subjects.map((k) => byKey.get(k) ?? k) };
}

/** How a page of contacts is grouped. */
export type Grouping = 'index' | 'checkpoint';

/** A group: its key, what names it (index subject, null when not known; or checkpoint id) and its contacts, each with the evidence of the group. */
export interface ContactGroup<C extends ContactLike = ContactLike> {
  key: string;
  label: string | null;
  contacts: { contact: C; evidence: C['evidence'][number][] }[];
  /** The group's earliest evidence time (groups are ordered by it). */
  first: number;
}

/** The group key of a piece of evidence: the index subject (its key when it cannot be shown), or the checkpoint. */
function groupKey(e: EvidenceLike, by: Grouping): string {
  if (by === 'checkpoint') return e.checkpointId;
  return e.indexSubject ?? `#${e.indexKey ?? ''}`;
}

/**
 * Groups contacts by the index subject of their evidence or by its checkpoint: a contact near two
 * index subjects appears in both groups, each time with that group's evidence. Groups are ordered
 * by their earliest evidence, contacts inside by theirs.
 */
export function groupContacts<C extends ContactLike>(
  contacts: readonly C[],
  by: Grouping,
): ContactGroup<C>[] {
  type E = C['evidence'][number];
  const groups = new Map<string, ContactGroup<C>>();
  for (const contact of contacts) {
    const mine = new Map<string, E[]>();
    for (const e of contact.evidence) {
      const k = groupKey(e, by);
      const list = mine.get(k);
      if (list) list.push(e);
      else mine.set(k, [e]);
    }
    for (const [k, evidence] of mine) {
      const sorted = [...evidence].sort((a, b) => a.at - b.at);
      const at = sorted[0]?.at ?? Infinity;
      let g = groups.get(k);
      if (!g) {
        const e = sorted[0];
        g = { key: k, label: by === 'checkpoint' ? k : (e?.indexSubject ?? null), contacts: [], first: at };
        groups.set(k, g);
      }
      g.first = Math.min(g.first, at);
      g.contacts.push({ contact, evidence: sorted });
    }
  }
  const out = [...groups.values()];
  for (const g of out) g.contacts.sort((a, b) => (a.evidence[0]?.at ?? 0) - (b.evidence[0]?.at ?? 0));
  return out.sort((a, b) => a.first - b.first || a.key.localeCompare(b.key));
}

/** One point of the timeline: a contact's scan and the index scan it was near. */
export interface TimelineItem<E extends EvidenceLike = EvidenceLike> {
  subject: string | null;
  hop: 1 | 2;
  via: 'lane' | 'vehicle';
  evidence: E;
}

/** Every piece of evidence of the contacts, earliest first (ties: by checkpoint, then subject). */
export function timeline<E extends EvidenceLike>(contacts: readonly ContactLike<E>[]): TimelineItem<E>[] {
  const items = contacts.flatMap((c) =>
    c.evidence.map((evidence) => ({ subject: c.subject, hop: c.hop, via: c.via, evidence })),
  );
  return items.sort(
    (a, b) =>
      a.evidence.at - b.evidence.at ||
      a.evidence.checkpointId.localeCompare(b.evidence.checkpointId) ||
      (a.subject ?? '').localeCompare(b.subject ?? ''),
  );
}

/** A time span [from, to] covering every contact and index scan of the items; null when there is none. */
export function timeSpan(items: readonly TimelineItem[]): { from: number; to: number } | null {
  if (items.length === 0) return null;
  let from = Infinity;
  let to = -Infinity;
  for (const { evidence: e } of items) {
    from = Math.min(from, e.at, e.indexAt);
    to = Math.max(to, e.at, e.indexAt);
  }
  return { from, to };
}

/** The contacts filters as chosen on the page ('' = any). */
export interface ContactFilters {
  hop: '' | '1' | '2';
  via: '' | 'lane' | 'vehicle';
  checkpointId: string;
}

/** The query of a page of contacts (`GET /api/v1/admin/traces/{id}`). */
export function contactsQuery(f: ContactFilters, offset: number, limit: number): string {
  return buildQuery({ offset, limit, hop: f.hop, via: f.via, checkpointId: f.checkpointId });
}

/** The percentage (0–100, whole) of a progress fraction, clamped. */
export function percent(progress: number | null | undefined): number {
  if (progress === null || progress === undefined || !Number.isFinite(progress)) return 0;
  return Math.round(Math.min(1, Math.max(0, progress)) * 100);
}
