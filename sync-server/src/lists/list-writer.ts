import { fail, ok, URGENT_MAX_CHANGES, type ListName, type Result } from '@checkpoint-lane/shared';
import type { AuditRepository } from '../db/repositories/audit-repository.js';
import { ListStaging } from '../db/repositories/list-staging.js';
import type { Db } from '../db/open-database.js';
import type { EventHub, UrgentHealthChange } from '../events/event-hub.js';
import { ListCounts } from './list-counts.js';
import { listKind, storedColumns, type Cell, type ListKind, type ListRows } from './list-kinds.js';
import { subjectKeyToHex } from './subject-key.js';

/** An import this large truncates the change log: lanes behind it take a snapshot instead. */
export const CHANGE_LOG_MAX_ROWS_PER_WRITE = 20_000;
/** Change-log rows kept per list; older versions answer 410. */
export const CHANGE_LOG_RETAINED_ROWS = 200_000;

/** What kind of write made a list version (the history's and the audit log's action). */
export type ListWriteAction = 'list.import' | 'list.put' | 'list.delete';

/** Rows to write: an array (small writes) or a staged import. */
export type ListWriteInput<L extends ListName> =
  { readonly rows: readonly ListRows[L][] } | { readonly staging: ListStaging<L> };

/** Who writes, when, how; and what the write's audit record says besides its version. */
export interface ListWriteMeta {
  readonly now: number;
  readonly actor: string;
  readonly action: Exclude<ListWriteAction, 'list.delete'>;
  /** Delete the entries not written (the rows are the whole list). */
  readonly replace?: boolean;
  /** The audit record's target (default: the list's name). */
  readonly target?: string;
  /** The audit record's details after `version`. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A write's outcome, for the one publish step (`publishListWrite`). */
export interface ListWrite {
  readonly list: ListName;
  /** The list's version after the write (`fromVersion` when there was nothing to write). */
  readonly version: number;
  readonly fromVersion: number;
  /** Entries written or deleted (the history row's `changes`); 0 when no version was born. */
  readonly changes: number;
  /** Health rows of a write of at most `URGENT_MAX_CHANGES` rows, for the inline lane push. */
  readonly urgentChanges: readonly UrgentHealthChange[];
}

/** Where a write's rows come from: an array or a staged import (read inside the write's transaction). */
interface RowSource<L extends ListName> {
  /** Rows to write (upserts; an array's repeated keys count each time, the last one wins). */
  count(): number;
  /** Upserts the rows into the list's entry table as `version`. */
  upsert(version: number, now: number): void;
  /** Logs each row's key and raw subject under `version` in the change log. */
  log(version: number): void;
  /** Up to `max` rows, in input order (for the urgent push). */
  sample(max: number): readonly ListRows[L][];
  /** SQL over the entry table (and its parameters): the stored rows of the keys this write upserts. */
  touched(): { where: string; params: readonly unknown[] };
  /**
   * Where the rows this write upserts can be counted as written: the staging table (its
   * accepted rows have distinct keys), or the entry table's touched rows after the write.
   */
  written(): { table?: string; where: string; params: readonly unknown[] };
}

/** Who writes and when. */
export interface ListWriteBy {
  readonly now: number;
  readonly actor: string;
}

/** The audit log as the writer uses it. */
export type AuditSink = Pick<AuditRepository, 'record'>;

/**
 * An entry as the audit log names it: the list and the subject's keyed hash, never the ID
 * itself (the log is shown to every console account; the entry search finds the hash's owner).
 */
export function entryAuditTarget(list: ListName, key: bigint): string {
  return `${list}:${subjectKeyToHex(key)}`;
}

/**
 * The only way a list version is born. Rows from an array or from a staged import (and a single
 * delete) become one new version in ONE transaction: the entries, the version counter, the change
 * log (or its truncation after a big write), the version's history row and the audit record move
 * together, or not at all. Versions are gap-free: each is the previous one plus one. The caller
 * publishes the answer once (`publishListWrite`) after the transaction.
 */
export class ListWriter {
  readonly #counts: ListCounts;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditSink,
  ) {
    this.#counts = new ListCounts(db);
  }

  /** A list's current version. */
  version(list: ListName): number {
    const v = this.db.prepare('SELECT version FROM list_state WHERE list = ?').pluck().get(list) as
      number | undefined;
    if (v === undefined) throw new Error(`list_state has no row for ${list}`);
    return v;
  }

  /** Stages a bulk import in a TEMP table, to write it with `write(list, {staging})`. Drop it after. */
  stage<L extends ListName>(list: L): ListStaging<L> {
    return new ListStaging(this.db, list);
  }

  /**
   * Writes rows (upsert) as ONE new version with its history row and audit record; with
   * `replace`, entries not written are deleted too. With nothing to write (no rows, no replace)
   * no version is born, and the audit record still says the write was asked for.
   */
  write<L extends ListName>(list: L, input: ListWriteInput<L>, meta: ListWriteMeta): ListWrite {
    if ('staging' in input && input.staging.list !== list) {
      throw new Error(`staged ${input.staging.list} rows written to ${list}`);
    }
    const kind = listKind(list);
    const source =
      'staging' in input ? this.#stagedSource(input.staging) : this.#arraySource(kind, input.rows);
    return this.db.transaction(() => this.#write(kind, source, meta))();
  }

  /** Creates or replaces one entry as a new version (`list.put`, audited with its attributes). */
  putEntry<L extends ListName>(list: L, row: ListRows[L], by: ListWriteBy): ListWrite {
    return this.write(
      list,
      { rows: [row] },
      {
        ...by,
        action: 'list.put',
        target: entryAuditTarget(list, row.key),
        details: listKind(list).auditWhat(row),
      },
    );
  }

  /** Deletes one entry as a new version (`list.delete`); an absent entry is `not_found` (nothing written). */
  deleteEntry(list: ListName, key: bigint, by: ListWriteBy): Result<ListWrite, 'not_found'> {
    const { table } = listKind(list);
    return this.db.transaction((): Result<ListWrite, 'not_found'> => {
      const removed = this.#counts.groups(list, 'subject_key = ?', [key]);
      const subject = this.db
        .prepare(`DELETE FROM ${table} WHERE subject_key = ? RETURNING subject`)
        .pluck()
        .get(key) as string | undefined;
      if (subject === undefined) return fail('not_found');
      this.#counts.apply(list, removed, -1);
      const fromVersion = this.version(list);
      const version = fromVersion + 1;
      this.db
        .prepare('INSERT INTO list_changes (list, version, subject_key, subject) VALUES (?, ?, ?, ?)')
        .run(list, version, key, subject);
      this.#bear(list, version, { ...by, action: 'list.delete', changes: 1 });
      this.audit.record(by.now, by.actor, 'list.delete', entryAuditTarget(list, key), { version });
      return ok({ list, version, fromVersion, changes: 1, urgentChanges: [] });
    })();
  }

  /**
   * Records the audit of a write that was asked for and refused (an all-or-nothing import with
   * rejected rows): no version is born; the record names the list's current version.
   */
  recordRefused(list: ListName, meta: ListWriteMeta): void {
    this.db.transaction(() => {
      const version = this.version(list);
      this.audit.record(meta.now, meta.actor, meta.action, meta.target ?? list, { version, ...meta.details });
    })();
  }

  /** The one algorithm: rows from either source become one version, or nothing is written. */
  #write<L extends ListName>(kind: ListKind<L>, source: RowSource<L>, meta: ListWriteMeta): ListWrite {
    const { list, table } = kind;
    const fromVersion = this.version(list);
    const written = source.count();
    const replace = meta.replace === true;
    let version = fromVersion;
    let changes = 0;
    let urgentChanges: UrgentHealthChange[] = [];
    if (written > 0 || replace) {
      version = fromVersion + 1;
      // The signed counts: the rows this write replaces leave, the rows it writes come in (a
      // replacing write counts the list it leaves instead, below).
      if (!replace && !this.#counts.empty(list)) {
        const touched = source.touched();
        this.#counts.apply(list, this.#counts.groups(list, touched.where, touched.params), -1);
      }
      source.upsert(version, meta.now);
      if (!replace) {
        const w = source.written();
        this.#counts.apply(list, this.#counts.groups(list, w.where, w.params, w.table), 1);
      }
      const deleted = replace
        ? (this.db.prepare(`SELECT count(*) FROM ${table} WHERE version < ?`).pluck().get(version) as number)
        : 0;
      changes = written + deleted;
      if (changes > CHANGE_LOG_MAX_ROWS_PER_WRITE) {
        this.db.prepare('DELETE FROM list_changes WHERE list = ?').run(list);
        this.db.prepare('UPDATE list_state SET changes_from = ? WHERE list = ?').run(version, list);
      } else {
        source.log(version);
        if (deleted > 0) {
          this.db
            .prepare(
              `INSERT OR IGNORE INTO list_changes (list, version, subject_key, subject)
               SELECT ?, ?, subject_key, subject FROM ${table} WHERE version < ?`,
            )
            .run(list, version, version);
        }
      }
      if (deleted > 0) this.db.prepare(`DELETE FROM ${table} WHERE version < ?`).run(version);
      if (replace) this.#counts.recount(list);
      this.#bear(list, version, { now: meta.now, actor: meta.actor, action: meta.action, changes });
      if (written <= URGENT_MAX_CHANGES) {
        urgentChanges = source.sample(URGENT_MAX_CHANGES).flatMap((row) => kind.urgent(row) ?? []);
      }
    }
    this.audit.record(meta.now, meta.actor, meta.action, meta.target ?? list, { version, ...meta.details });
    return { list, version, fromVersion, changes, urgentChanges };
  }

  /** Rows in an array: upserted and logged one by one (small writes: no TEMP table). */
  #arraySource<L extends ListName>(kind: ListKind<L>, rows: readonly ListRows[L][]): RowSource<L> {
    const cols = storedColumns(kind);
    return {
      count: () => rows.length,
      upsert: (version, now) => {
        const ins = this.db.prepare(
          `INSERT OR REPLACE INTO ${kind.table} (subject_key, subject, ${cols.join(', ')}, version, updated_at)
           VALUES (${['?', '?', ...cols.map(() => '?'), '?', '?'].join(', ')})`,
        );
        const cells = new Array<Cell>(2 + cols.length + 2).fill(null);
        const name = 2 + kind.attributes.length;
        cells[name + 2] = version;
        cells[name + 3] = now;
        for (const r of rows) {
          cells[0] = r.key;
          cells[1] = r.subject;
          kind.encode(r, cells, 2);
          cells[name] = r.name;
          cells[name + 1] = r.note;
          ins.run(...cells);
        }
      },
      log: (version) => {
        const log = this.db.prepare(
          'INSERT OR IGNORE INTO list_changes (list, version, subject_key, subject) VALUES (?, ?, ?, ?)',
        );
        for (const r of rows) log.run(kind.list, version, r.key, r.subject);
      },
      sample: (max) => rows.slice(0, max),
      // SQLite reads 64-bit integers in JSON text exactly.
      touched: () => ({
        where: 'subject_key IN (SELECT value FROM json_each(?))',
        params: [`[${rows.map((r) => r.key.toString()).join(',')}]`],
      }),
      // Repeated keys: the touched rows once written, each key once.
      written: () => ({
        where: 'subject_key IN (SELECT value FROM json_each(?))',
        params: [`[${rows.map((r) => r.key.toString()).join(',')}]`],
      }),
    };
  }

  /** Rows staged in a TEMP table (not rejected): moved with one statement each, in key order. */
  #stagedSource<L extends ListName>(staging: ListStaging<L>): RowSource<L> {
    const cols = storedColumns(staging.kind).join(', ');
    return {
      count: () => staging.accepted(),
      upsert: (version, now) => {
        this.db
          .prepare(
            `INSERT OR REPLACE INTO ${staging.kind.table} (subject_key, subject, ${cols}, version, updated_at)
             SELECT subject_key, subject, ${cols}, @version, @now FROM ${staging.table}
             WHERE rejected = 0 ORDER BY subject_key, line`,
          )
          .run({ version, now });
      },
      log: (version) => {
        this.db
          .prepare(
            `INSERT OR IGNORE INTO list_changes (list, version, subject_key, subject)
             SELECT ?, ?, subject_key, subject FROM ${staging.table} WHERE rejected = 0`,
          )
          .run(staging.list, version);
      },
      sample: (max) => staging.sample(max),
      touched: () => ({
        where: `subject_key IN (SELECT subject_key FROM ${staging.table} WHERE rejected = 0)`,
        params: [],
      }),
      // An import rejects every line of a repeated subject, so accepted keys are distinct.
      written: () => ({ table: staging.table, where: 'rejected = 0', params: [] }),
    };
  }

  /** Moves the counter to a new version, writes its history row, keeps the change log bounded. */
  #bear(
    list: ListName,
    version: number,
    v: { now: number; actor: string; action: ListWriteAction; changes: number },
  ): void {
    this.db.prepare('UPDATE list_state SET version = ? WHERE list = ?').run(version, list);
    this.db
      .prepare(
        'INSERT INTO list_versions (list, version, at, actor, action, changes) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(list, version, v.now, v.actor, v.action, v.changes);
    // Older versions then answer 410 (take a snapshot).
    const cutoff = this.db
      .prepare('SELECT version FROM list_changes WHERE list = ? ORDER BY version DESC LIMIT 1 OFFSET ?')
      .pluck()
      .get(list, CHANGE_LOG_RETAINED_ROWS) as number | undefined;
    if (cutoff === undefined) return;
    this.db.prepare('DELETE FROM list_changes WHERE list = ? AND version <= ?').run(list, cutoff);
    this.db
      .prepare('UPDATE list_state SET changes_from = max(changes_from, ?) WHERE list = ?')
      .run(cutoff, list);
  }
}

/**
 * The one publish step after a write: lanes (and admin streams) hear of a new version, health
 * lanes first get the urgent changes that block at their checkpoint. Nothing when no version
 * was born.
 */
export async function publishListWrite(
  hub: Pick<EventHub, 'publishListVersion'>,
  w: ListWrite,
): Promise<void> {
  if (w.version === w.fromVersion) return;
  await hub.publishListVersion(w.list, w.version, w.fromVersion, w.urgentChanges);
}
