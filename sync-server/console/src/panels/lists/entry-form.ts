// The entry editor's form values, and the PUT body a list entry is saved with.
import { toLocalInput } from '../../format.js';
import type { ListEntry, ListName } from '../../types.js';

/** The entry editor's fields, as the inputs hold them (dates as `YYYY-MM-DD`). */
export interface EntryForm {
  status: string;
  category: string;
  from: string;
  until: string;
  name: string;
  note: string;
  checkpoints: string;
}

/** The form for an entry (a new entry's defaults when null). */
export function formOf(e: ListEntry | null): EntryForm {
  return {
    status: e?.status ?? 'F0',
    category: e?.category ?? 'shipper',
    from: toLocalInput(e?.since ?? e?.validFrom ?? null, true),
    until: toLocalInput(e?.until ?? e?.validUntil ?? null, true),
    name: e?.name ?? '',
    note: e?.note ?? '',
    checkpoints: (e?.checkpoints ?? []).join(', '),
  };
}

/** The PUT body for one entry from the form. */
export function entryBody(list: ListName, f: EntryForm): Record<string, unknown> {
  const text = (s: string): string | null => (s.trim() === '' ? null : s.trim());
  const common = {
    ...(f.name.trim() !== '' && { name: f.name.trim() }),
    ...(f.note.trim() !== '' && { note: f.note.trim() }),
  };
  if (list === 'health') return { status: f.status, since: text(f.from), until: text(f.until), ...common };
  const cps = f.checkpoints
    .split(/[,;\s]+/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    category: f.category,
    validFrom: text(f.from),
    validUntil: text(f.until),
    checkpoints: cps.length === 0 ? null : cps,
    ...common,
  };
}
