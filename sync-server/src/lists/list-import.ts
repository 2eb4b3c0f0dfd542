import type { ListName } from '@checkpoint-lane/shared';
import { createHash } from 'node:crypto';
import { CsvReader, type CsvRecord } from '../csv/csv-reader.js';
import type { ListStagingStore, ListWriterStore } from '../db/store/store.js';
import { HttpError } from '../http-error.js';
import type { ListRows } from './list-kinds.js';
import type { RowError, RowResult } from './list-rows.js';
import type { ListWrite } from './list-writer.js';

/** One rejected CSV row: the line it starts on, why (English words), a stable code and its params. */
export interface RejectedRow extends RowError {
  readonly line: number;
}

/**
 * The optional last column of a file of rejected rows (the console's download, each row with
 * its reason): such a file can be fixed and imported again as it is; the column is ignored.
 */
export const REASON_COLUMN = 'reason';

/** The CSV reader's quoting errors as stable codes. */
const CSV_ERRORS: Readonly<Record<string, string>> = {
  'a quote inside an unquoted field': 'quote_in_field',
  'text after a closing quote': 'text_after_quote',
  'a quoted field is not closed before the end of the file': 'unclosed_quote',
};

/** What an import did: the list version after it, rows written, rows rejected. */
export interface ImportReport {
  readonly version: number;
  readonly accepted: number;
  /** At most `maxReported` rejections, by line. */
  readonly rejected: RejectedRow[];
  /** Every rejection, including those beyond the report's cap. */
  readonly rejectedTotal: number;
  /** False when rejections stopped an all-or-nothing import, or on a dry run: nothing was written. */
  readonly applied: boolean;
  /** True for a dry run (`accepted` then counts the valid rows, which a `partial` import would keep). */
  readonly dryRun: boolean;
  /** SHA-256 (hex) of the body's bytes. */
  readonly sha256: string;
  /** Data rows read (not counting the header). */
  readonly rows: number;
}

/** Options of one import. */
export interface ImportOptions<L extends ListName = ListName> {
  readonly list: L;
  readonly body: AsyncIterable<Uint8Array | string>;
  readonly listKey: Uint8Array;
  /** Writes the version (and audits the import, applied or refused). */
  readonly writer: ListWriterStore;
  readonly now: number;
  /** Keep the good rows when some are rejected (default: all-or-nothing). */
  readonly partial?: boolean;
  /** Delete entries that are not in the file (the file is the whole list). */
  readonly replace?: boolean;
  readonly maxBytes: number;
  readonly maxReported?: number;
  /** Who imports (recorded in the list's version history and the audit log). */
  readonly actor: string;
  /** Validate everything exactly as an import would, and write nothing. */
  readonly dryRun?: boolean;
  /** Refuse to write (409 `file_changed`) unless the body's SHA-256 (hex) is this one. */
  readonly expectSha256?: string;
}

/** An import's report and the writer's answer, to publish (null when nothing was written). */
export type ImportResult = ImportReport & { readonly written: ListWrite | null };

/**
 * Imports a list CSV as it streams in: UTF-8 checked, RFC 4180 parsed, header checked against
 * the contract, every row validated and staged in a TEMP table (bounded memory; rows with the
 * same subject are all rejected, naming each other's lines), then written by `ListWriter` as
 * ONE version in ONE transaction, with its history row and audit record. By default any
 * rejection writes nothing (and the refusal is audited); with `partial` the good rows are kept.
 * A dry run stops before writing and audits nothing; `expectSha256` refuses a body other than
 * the one previewed.
 */
export async function importListCsv<L extends ListName>(opts: ImportOptions<L>): Promise<ImportResult> {
  const staging = await opts.writer.stage(opts.list);
  try {
    return await stageAndCommit(opts, staging);
  } finally {
    await staging.drop();
  }
}

/** Staged rows are flushed to the TEMP table in batches of this many. */
const STAGE_BATCH = 5000;
async function stageAndCommit<L extends ListName>(
  opts: ImportOptions<L>,
  staging: ListStagingStore<L>,
): Promise<ImportResult> {
  const hash = createHash('sha256');
  let dataRows = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const reader = new CsvReader();
  const header = staging.kind.csvHeader;
  const readRecord = staging.kind.recordReader(opts.listKey);
  const rejected: RejectedRow[] = [];
  let pending: { line: number; row: ListRows[L] }[] = [];
  const seen = { header: false, reasonColumn: false };
  const columns = header.split(',').length;
  let bytes = 0;

  const take = (records: CsvRecord[]): void => {
    for (const rec of records) {
      if (!seen.header) {
        seen.header = true;
        const found = rec.fields.join(',');
        seen.reasonColumn = found === `${header},${REASON_COLUMN}`;
        if (rec.error !== undefined || (found !== header && !seen.reasonColumn)) {
          throw new HttpError(
            400,
            'csv_header',
            `the first line must be exactly "${header}" (found "${found.slice(0, 120)}")`,
          );
        }
        continue;
      }
      dataRows++;
      const fields =
        seen.reasonColumn && rec.fields.length === columns + 1 ? rec.fields.slice(0, columns) : rec.fields;
      const result: RowResult<ListRows[L]> =
        rec.error !== undefined
          ? {
              ok: false,
              error: {
                code: 'csv_syntax',
                params: { detail: CSV_ERRORS[rec.error] ?? 'other' },
                reason: rec.error,
              },
            }
          : readRecord(fields);
      if (!result.ok) {
        rejected.push({ line: rec.line, ...result.error });
        continue;
      }
      pending.push({ line: rec.line, row: result.value });
    }
  };
  const flush = async (): Promise<void> => {
    if (pending.length < STAGE_BATCH) return;
    const batch = pending;
    pending = [];
    await staging.add(batch);
  };

  for await (const chunk of opts.body) {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk);
      if (bytes > opts.maxBytes) throw tooLarge(opts.maxBytes);
      hash.update(chunk, 'utf8');
      take(reader.push(chunk));
      await flush();
      continue;
    }
    bytes += chunk.byteLength;
    if (bytes > opts.maxBytes) throw tooLarge(opts.maxBytes);
    hash.update(chunk);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw notUtf8(bytes - chunk.byteLength);
    }
    take(reader.push(text));
    await flush();
  }
  try {
    take(reader.push(decoder.decode()));
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw notUtf8(bytes);
  }
  take(reader.end());
  if (!seen.header) {
    throw new HttpError(400, 'csv_empty', `the file is empty; it must start with "${header}"`);
  }
  await staging.add(pending);
  pending = [];

  // Rows naming the same subject are all rejected, each naming another line of its group.
  for (const group of await staging.rejectDuplicates()) {
    for (const line of group.lines) {
      const other = group.lines.find((l) => l !== line) ?? line;
      rejected.push({
        line,
        code: 'duplicate_id',
        params: { other },
        reason: `duplicate id: also on line ${other}`,
      });
    }
  }
  rejected.sort((a, b) => a.line - b.line);
  const cap = opts.maxReported ?? 10_000;
  const sha256 = hash.digest('hex');
  const report = {
    rejected: rejected.slice(0, cap),
    rejectedTotal: rejected.length,
    sha256,
    rows: dataRows,
    dryRun: opts.dryRun === true,
  };
  if (opts.dryRun === true) {
    const version = await opts.writer.version(opts.list);
    return { ...report, version, accepted: await staging.accepted(), applied: false, written: null };
  }
  if (opts.expectSha256 !== undefined && opts.expectSha256.toLowerCase() !== sha256) {
    throw new HttpError(
      409,
      'file_changed',
      `the file is not the one previewed (its SHA-256 is ${sha256}); preview it again, nothing was imported`,
    );
  }
  const applied = rejected.length === 0 || opts.partial === true;
  const accepted = applied ? await staging.accepted() : 0;
  const meta = {
    now: opts.now,
    actor: opts.actor,
    action: 'list.import',
    replace: opts.replace === true,
    details: {
      accepted,
      rejected: rejected.length,
      applied,
      partial: opts.partial === true,
      replace: opts.replace === true,
      sha256,
    },
  } as const;
  if (!applied) {
    await opts.writer.recordRefused(opts.list, meta);
    return { ...report, version: await opts.writer.version(opts.list), accepted, applied, written: null };
  }
  const written = await opts.writer.write(opts.list, { staging }, meta);
  return { ...report, version: written.version, accepted, applied, written };
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'body_too_large', `the CSV is larger than ${max} bytes`);
}

function notUtf8(offset: number): HttpError {
  return new HttpError(
    400,
    'csv_not_utf8',
    `the CSV is not valid UTF-8 (near byte ${offset}); save it as UTF-8 (e.g. "CSV UTF-8" in a spreadsheet) and try again`,
  );
}
