// A list import's rejected rows: their reasons in the console's language (from the server's
// stable codes), and a CSV of those rows as the admin wrote them, each with its reason, to fix
// and import again (the server ignores a trailing `reason` column).
import { fill, TEXTS, type Lang } from './i18n.js';

/** One rejected row as the import report gives it. */
export interface RejectedRow {
  line: number;
  /** English words (older servers send only these). */
  reason: string;
  code?: string;
  params?: Record<string, string | number>;
}

/** The reason of a rejected row in words: the code's text with its params, else the server's words. */
export function rowErrorText(r: RejectedRow, lang: Lang): string {
  const table: Readonly<Record<string, string>> = TEXTS[lang];
  const text = table[`rowError.${r.code ?? ''}`];
  if (r.code === undefined || text === undefined) return r.reason;
  const params: Record<string, string | number> = { ...r.params };
  if (r.code === 'csv_syntax') {
    const detail = String(params['detail'] ?? 'other');
    params['detail'] = table[`csvDetail.${detail}`] ?? detail;
  }
  return fill(text, params);
}

/** One record of a CSV text: where it starts, its raw text, and where its fields end. */
interface RawRecord {
  line: number;
  text: string;
  /** Offsets in `text` of the commas between fields. */
  commas: number[];
}

/**
 * Splits CSV text into records exactly where the server's reader does (a quote opens a quoted
 * field only at a field's start, `""` escapes, CRLF, LF or CR line ends, blank lines skipped, a
 * leading BOM dropped), keeping each record's raw text and the physical line it starts on: the
 * line numbers the import report names.
 */
export function splitCsvRecords(input: string): RawRecord[] {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const out: RawRecord[] = [];
  let line = 1;
  let start = 0;
  let startLine = 1;
  let state: 'start' | 'plain' | 'quoted' | 'closing' = 'start';
  let commas: number[] = [];
  const finish = (end: number): void => {
    const raw = text.slice(start, end);
    if (raw !== '') out.push({ line: startLine, text: raw, commas });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (state === 'quoted') {
      if (c === '"') state = 'closing';
      else if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
      continue;
    }
    if (state === 'closing' && c === '"') {
      state = 'quoted'; // an escaped quote
      continue;
    }
    if (state === 'start' && c === '"') {
      state = 'quoted';
    } else if (c === ',') {
      commas.push(i - start);
      state = 'start';
    } else if (c === '\r' || c === '\n') {
      finish(i);
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      start = i + 1;
      startLine = line;
      commas = [];
      state = 'start';
    } else {
      state = 'plain';
    }
  }
  finish(text.length);
  return out;
}

/** A field for CSV: quoted when it holds a comma, a quote or a line end. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The rejected rows of an import as a CSV: the file's header with a `reason` column, then each
 * rejected row exactly as it was written followed by its reason in words (a row that already
 * had a reason, from an earlier round, gets the new one instead). UTF-8 with a BOM and CRLF, so
 * spreadsheets open it as written.
 */
export function rejectedRowsCsv(fileText: string, rejected: readonly RejectedRow[], lang: Lang): string {
  const records = splitCsvRecords(fileText);
  const header = records[0];
  if (!header) return '';
  const hadReason = /,reason\s*$/.test(header.text);
  // The old reason field goes (only on rows that have as many fields as the header).
  const strip = (r: RawRecord): string =>
    hadReason && r.commas.length === header.commas.length && r.commas.length > 0
      ? r.text.slice(0, r.commas.at(-1))
      : r.text;
  const byLine = new Map(records.map((r) => [r.line, r]));
  const rows = [`${strip(header)},reason`];
  for (const r of [...rejected].sort((a, b) => a.line - b.line)) {
    const rec = byLine.get(r.line);
    if (rec) rows.push(`${strip(rec)},${csvField(rowErrorText(r, lang))}`);
  }
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}
