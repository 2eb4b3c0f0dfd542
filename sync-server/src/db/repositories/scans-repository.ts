import type { AlertRecord, Arrival, ScanView } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import { AlertsRepository, type AlertQuery, type AlertSubjectRecord } from './scans/alerts-repository.js';
import { ScanExport, type ScanExportRow } from './scans/scan-export.js';
import type { ScanFilter, ScanQuery } from './scans/scan-filter.js';
import { ScanIngest, type IngestResult, type SealedSubjectKeying } from './scans/scan-ingest.js';
import { ScanRollups, type HourlyCount } from './scans/scan-rollups.js';
import { ScanSearch } from './scans/scan-search.js';
import { readArrivals, type ArrivalsFilter } from './scans/arrivals-read.js';
import { StatementCache } from './scans/statement-cache.js';

export { scanWhere, type ScanFilter, type ScanQuery } from './scans/scan-filter.js';
export { HOUR_MS, type HourlyCount } from './scans/scan-rollups.js';
export type { ScanExportRow } from './scans/scan-export.js';
export type { IngestResult, SealedSubjectKeying } from './scans/scan-ingest.js';
export type { HealthRelease } from './scans/lane-record-judging.js';

/**
 * Scans, overrides and alerts uploaded by lanes: the one object the routes reach through
 * `Services.scans`. Each job lives in its own file under `scans/` (ingest, search, export,
 * roll-ups, alerts); this class only hands each call to it.
 */
export class ScansRepository {
  private readonly ingester: ScanIngest;
  private readonly searcher: ScanSearch;
  private readonly exporter: ScanExport;
  private readonly rollups: ScanRollups;
  private readonly alertStore: AlertsRepository;

  private unopened = 0;
  private readonly db: Db;

  /**
   * `sealed`: how uploads' sealed subjects are opened and keyed. Without it a sealed subject is
   * stored with no subject key (counted in `unopenedSeals`).
   */
  constructor(db: Db, sealed: SealedSubjectKeying | null = null) {
    this.db = db;
    const statements = new StatementCache(db);
    this.alertStore = new AlertsRepository(db, statements);
    this.ingester = new ScanIngest(db, this.alertStore, sealed);
    this.searcher = new ScanSearch(db, statements);
    this.exporter = new ScanExport(db);
    this.rollups = new ScanRollups(db);
  }

  /** Stores a lane's upload idempotently and raises its alerts: see {@link ScanIngest.ingest}. */
  ingest(...args: Parameters<ScanIngest['ingest']>): IngestResult {
    const result = this.ingester.ingest(...args);
    this.unopened += result.unopenedSeals;
    return result;
  }

  /** New scans since start whose sealed subject did not open (stored with no subject key). */
  unopenedSeals(): number {
    return this.unopened;
  }

  /** The highest contiguous sequence held for a lane. */
  ackedThrough(kioskId: string): number {
    return this.ingester.ackedThrough(kioskId);
  }

  /** Declared arrivals in an area, with their passes' scans: see {@link readArrivals}. */
  arrivals(f: ArrivalsFilter): Arrival[] {
    return readArrivals(this.db, f);
  }

  /** Scans matching the filters, newest first. */
  search(q: ScanQuery): ScanView[] {
    return this.searcher.search(q);
  }

  /** The highest arrival number held (0 when empty): an export reads below it, a stable set. */
  lastNo(): number {
    return this.exporter.lastNo();
  }

  /** The lowest arrival number held (1 when empty). */
  firstNo(): number {
    return this.exporter.firstNo();
  }

  /** How many scans match the filters below arrival number `before`, counting at most `max`. */
  countUpTo(f: ScanFilter, before: number, max: number): number {
    return this.exporter.countUpTo(f, before, max);
  }

  /** One page of the CSV export: see {@link ScanExport.exportPage}. */
  exportPage(f: ScanFilter, before: number, limit: number): ScanExportRow[] {
    return this.exporter.exportPage(f, before, limit);
  }

  /** Hourly scan counts with `from <= hour < to`, optionally for one checkpoint. */
  hourly(from: number, to: number, checkpointId?: string): HourlyCount[] {
    return this.rollups.hourly(from, to, checkpointId);
  }

  /** Count of stored scans (all lanes). */
  countScans(): number {
    return this.rollups.countScans();
  }

  /** One alert with the subject's current health status, or null. */
  alert(id: number): AlertRecord | null {
    return this.alertStore.alert(id);
  }

  /** Alerts, newest first; `before` pages by id. */
  alerts(opts: AlertQuery): AlertRecord[] {
    return this.alertStore.list(opts);
  }

  /** Who an alert is about (personal data: callers audit every read): see {@link AlertsRepository.subject}. */
  alertSubject(id: number): AlertSubjectRecord | null {
    return this.alertStore.subject(id);
  }

  /** Acknowledges an alert once, not audited: see {@link AlertsRepository.ack}. */
  ack(id: number, at: number, by: string): { alert: AlertRecord; acked: boolean } | null {
    return this.alertStore.ack(id, at, by);
  }

  /** An admin acknowledges an alert, audited in the same transaction: see {@link AlertsRepository.acknowledge}. */
  acknowledge(
    ...args: Parameters<AlertsRepository['acknowledge']>
  ): { alert: AlertRecord; acked: boolean } | null {
    return this.alertStore.acknowledge(...args);
  }
}
