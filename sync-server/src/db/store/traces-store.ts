/**
 * Contact tracing's storage (issue 15; contract: ../shared/design/architecture.md, "Tracing"):
 * what the trace engine reads of the scans, the retention job that erases old subjects, and the
 * traces themselves (their parameters, progress and contacts). One interface, implemented over
 * SQLite and over PostgreSQL, run by the contract suite against both.
 *
 * Subjects are the server's index keys (`scans.subject_key`: HMAC of the canonical subject with the
 * server's index key, computed at ingest from the lane's seal). A subject's raw text is never
 * stored by a trace: each subject keeps one seal (`subjectSealed`, the lane's seal of it, or the
 * server's own seal of an index subject given as text) that the server opens when it shows a page
 * of contacts, exports them or promotes them.
 */

/** One stored scan as tracing reads it. */
export interface TraceScan {
  /** The scan's record id. */
  readonly id: string;
  readonly kioskId: string;
  readonly checkpointId: string;
  /** Lane clock, epoch ms. */
  readonly at: number;
  /** The server's index key of the subject; null when the scan named none or it was erased. */
  readonly subjectKey: bigint | null;
  /** The subject sealed to the server (null: none, or erased). */
  readonly subjectSealed: string | null;
  /** Payload format (`vehicle_plate` for a plate), null when unreadable. */
  readonly format: string | null;
  /** The vehicle the scan belongs to (the plate scan's record id), null when none. */
  readonly vehicleId: string | null;
}

/** A checkpoint and a closed time range [from, to] (epoch ms). */
export interface TraceWindow {
  readonly checkpointId: string;
  readonly from: number;
  readonly to: number;
}

/** What a trace was asked (POST /api/v1/admin/traces). */
export interface TraceParams {
  /** Index subjects' keys (the server computes them from the given subjects). */
  readonly indexKeys: readonly bigint[];
  /** Period of index scans considered, epoch ms (inclusive). */
  readonly from: number;
  readonly to: number;
  readonly windowMinutes: number;
  readonly hops: 1 | 2;
}

export type TraceStatus = 'running' | 'done' | 'failed';

/** One piece of evidence: a contact's scan near (or in the vehicle of) an index scan. */
export interface TraceEvidence {
  readonly checkpointId: string;
  readonly kioskId: string;
  /** The contact's scan time, epoch ms. */
  readonly at: number;
  /** The index subject (for hop 2: the hop-1 contact) whose scan this is near. */
  readonly indexKey: bigint;
  /** That index scan's time, epoch ms. */
  readonly indexAt: number;
  /** The vehicle (plate scan id) for `via: 'vehicle'`, null otherwise. */
  readonly vehicleId: string | null;
}

/** A contact as the engine finds it and a trace stores it. */
export interface TraceContact {
  readonly subjectKey: bigint;
  /** A seal of the subject to open when it is shown (null: none held, e.g. an old lane's scan). */
  readonly subjectSealed: string | null;
  /** Payload format of the contact's scans (`vehicle_plate` for a vehicle). */
  readonly format: string | null;
  readonly hop: 1 | 2;
  /** `vehicle` when any evidence is a shared vehicle, else `lane`. */
  readonly via: 'lane' | 'vehicle';
  /** Evidence, earliest first; at most `MAX_EVIDENCE` pieces kept per contact. */
  readonly evidence: readonly TraceEvidence[];
  /** Evidence pieces found in all, kept or not (default: `evidence.length`). */
  readonly evidenceCount?: number;
}

/** Evidence kept per contact (the rest counted in `evidenceCount`). */
export const MAX_EVIDENCE = 20;

/** A trace's header, as listed. */
export interface TraceSummary {
  readonly id: string;
  readonly status: TraceStatus;
  readonly createdAt: number;
  /** Who started it (`account:<id>` or `admin-token`). */
  readonly createdBy: string;
  readonly params: TraceParams;
  /** 0 … 1. */
  readonly progress: number;
  /** Last progress or finish, epoch ms: a running trace not updated for 2 minutes lost its server. */
  readonly updatedAt: number;
  readonly finishedAt: number | null;
  readonly error: string | null;
  /** Contacts found (null while running). */
  readonly contactCount: number | null;
  /**
   * Hop 2 was asked but not run: hop 1's contacts (all of `contactCount`) were more than this
   * limit, the most hop-1 contacts a 2-hop trace follows. Null otherwise.
   */
  readonly hop2Skipped: number | null;
}

/** A filter and page of a trace's contacts. */
export interface TraceContactQuery {
  readonly hop?: 1 | 2;
  readonly via?: 'lane' | 'vehicle';
  readonly checkpointId?: string;
  readonly offset: number;
  readonly limit: number;
}

/** A stored contact with how many evidence pieces were found in all. */
export interface StoredTraceContact extends TraceContact {
  readonly evidenceCount: number;
}

/** Tracing's reads of the scans and the retention of their subjects. */
export interface TraceScansStore {
  /** Scans of these subjects with `from ≤ at ≤ to`, ordered by (subject, at). */
  scansOfSubjects(keys: readonly bigint[], from: number, to: number): Promise<TraceScan[]>;
  /** Scans at each window's checkpoint within its range (windows may overlap; each scan once). */
  scansNear(windows: readonly TraceWindow[]): Promise<TraceScan[]>;
  /** Scans belonging to these vehicles (the plate scans included). */
  scansInVehicles(vehicleIds: readonly string[]): Promise<TraceScan[]>;
  /**
   * Retention: erases the subject (key and seal) and the pass id of every scan with `at < before`;
   * the scan stays (checkpoint, lane, time, decision: the counts), and so do the alerts of those
   * times, without the subject's key. Answers how many scans' subjects it erased.
   */
  eraseSubjectsBefore(before: number): Promise<number>;
}

/** The traces: created running, given progress, finished with contacts or failed, deleted. */
export interface TracesStore {
  /** Stores a new running trace (the given id), with its index subjects' seals. */
  create(trace: {
    readonly id: string;
    readonly createdAt: number;
    readonly createdBy: string;
    readonly params: TraceParams;
    /** A seal per index subject key, to show index subjects in evidence. */
    readonly indexSeals: ReadonlyMap<bigint, string | null>;
  }): Promise<void>;
  /** Records progress (0 … 1); false when the trace is gone (deleted meanwhile). */
  progress(id: string, progress: number, at: number): Promise<boolean>;
  /**
   * Stores the contacts and marks the trace done, atomically for readers (a trace's contacts are
   * read only once it is done; PostgreSQL: one transaction; SQLite: batches with the event loop
   * turning between them, removed again on failure); false when it is gone.
   */
  finish(
    id: string,
    contacts: readonly TraceContact[],
    at: number,
    /** Set when hop 2 was not run over this limit (see `TraceSummary.hop2Skipped`). */
    hop2Skipped?: number | null,
  ): Promise<boolean>;
  fail(id: string, error: string, at: number): Promise<boolean>;
  get(id: string): Promise<TraceSummary | null>;
  /** Newest first. */
  list(limit: number): Promise<TraceSummary[]>;
  /**
   * A page of contacts (hop, then the contact's first evidence time) and the filtered total; none
   * until the trace is done. `checkpointId` matches the evidence kept (`MAX_EVIDENCE` per contact).
   */
  contacts(id: string, q: TraceContactQuery): Promise<{ total: number; contacts: StoredTraceContact[] }>;
  /** The seals of subjects named in a trace (index subjects and contacts), for showing them. */
  seals(id: string, keys: readonly bigint[]): Promise<Map<bigint, string | null>>;
  /** Deletes a trace and its contacts; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/**
 * The database a trace's worker thread opens for itself: the SQLite file (read with its own WAL
 * connection; contacts written in short transactions) or the PostgreSQL URL (its own small pool).
 */
export type TraceWorkerSource =
  | { readonly engine: 'sqlite'; readonly file: string }
  | { readonly engine: 'postgres'; readonly url: string; readonly statementTimeoutMs?: number };
