// The shapes of the sync server's admin API answers the console reads: the admin contract's
// types (shared/src/contract/admin/), re-exported type-only so they cost the bundle nothing.
// Pages import from here, the console's one import point. Where console code still guards for
// a field the server always sends (`a.kind ?? 'health'`…), that field stays optional here
// (`Tolerant`); dropping those guards would let these become the contract's types as they are.
// The constants are the shared vocabulary's plain arrays (the build leaves typebox out: see
// scripts/build-console.mjs).
import type {
  AccountView,
  AlertRecord,
  CheckpointConfig,
  DecisionColour,
  ListImportReport,
  ListName,
  ListStateView,
  ListVersionView,
  ScanView,
} from '@checkpoint-lane/shared';

export type {
  Arrival,
  ArrivalsAnswer,
  AccountRole as Role,
  SessionInfo as Session,
  SessionAnswer,
  DecisionColour as Decision,
  ListName,
  ListEntryView as ListEntry,
  LaneView as Kiosk,
  EnrollmentAnswer as Enrollment,
  OverrideView as Override,
  AckView as Ack,
  LaneOutcome,
  AlertSubject,
  AuditRecord,
  ScanStatsPoint as StatsPoint,
  ScanStats,
  OfficerRole,
  OfficerView as Officer,
  OfficerList as OfficerRoster,
  TraceEvidenceView as TraceEvidence,
  TraceContactView as TraceContact,
  TraceStatusCode as TraceStatus,
  TraceSummaryView,
  TraceView as TraceDetailView,
  TraceCreate as TraceRequest,
  TracePromoted,
} from '@checkpoint-lane/shared';

export { HEALTH_STATUSES, WHITELIST_CATEGORIES } from '@checkpoint-lane/shared';

/** The decision colours in chart order (the shared `DECISIONS` lists the same three in another order). */
export const DECISIONS: readonly DecisionColour[] = ['green', 'amber', 'red'];

/** `T` with the fields `K` optional: ones the console's code still guards for. */
type Tolerant<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** A console account. `disabledAt` is not in the answer (it has `disabled`); the accounts page still reads it. */
export type Account = Tolerant<AccountView, 'disabled'> & { disabledAt?: number | null };

/** `GET /api/v1/admin/lists` item (the server has only the two lists). */
export type ListState = Omit<ListStateView, 'list'> & { list: ListName };

/** `POST …/import` answer. */
export type ImportReport = Tolerant<ListImportReport, 'rows'>;

/** A list version in the history (the history panel guards for a version without a count). */
export type ListVersion = Omit<ListVersionView, 'changes'> & { changes: number | null };

/** A checkpoint's settings (the form edits the blocking statuses as plain strings). */
export type Checkpoint = Omit<CheckpointConfig, 'blockingStatuses'> & { blockingStatuses: string[] };

/** A recorded scan. */
export type Scan = Tolerant<ScanView, 'kioskName' | 'acks'>;

/** An alert: a blocking status scanned at a lane, or a lane record the centre distrusts. */
export type Alert = Tolerant<
  AlertRecord,
  'kind' | 'kioskName' | 'subjectMasked' | 'ackedAt' | 'ackedBy' | 'record' | 'issues' | 'outcome'
>;
