// The shapes of the sync server's admin API answers the console reads (see /openapi.json).

/** A console account's role. */
export type Role = 'admin' | 'viewer';

/** A console account. */
export interface Account {
  username: string;
  displayName: string;
  role: Role;
  disabledAt?: number | null;
  disabled?: boolean;
  lockedUntil?: number | null;
  lastLoginAt?: number | null;
  createdAt?: number;
}

/** `GET/POST /api/v1/session` when signed in. */
export interface Session {
  signedIn: true;
  account: Account;
  csrfToken: string;
  expiresAt: number | string;
}

/** `GET /api/v1/session`: the session, or `{signedIn:false}` (a 200, not a 401). */
export type SessionAnswer = Session | { signedIn: false };

/** A lane decision colour. */
export type Decision = 'green' | 'amber' | 'red';

/** The decision colours, in chart order. */
export const DECISIONS: readonly Decision[] = ['green', 'amber', 'red'];

/** The two lists. */
export type ListName = 'health' | 'whitelist';

/** Health statuses. */
export const HEALTH_STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered', 'deceased'] as const;

/** Whitelist categories. */
export const WHITELIST_CATEGORIES = [
  'shipper',
  'green_lane',
  'permit',
  'official',
  'medical',
  'other',
] as const;

/** `GET /api/v1/admin/lists` item. */
export interface ListState {
  list: ListName;
  version: number;
  changesFrom: number;
  count: number;
}

/** `POST …/import` answer. */
export interface ImportReport {
  version: number;
  accepted: number;
  /** Each with the server's stable `code` and `params` (worded by `rowErrorText`). */
  rejected: { line: number; reason: string; code?: string; params?: Record<string, string | number> }[];
  rejectedTotal: number;
  applied: boolean;
  /** Data rows read (without the header). */
  rows?: number;
  sha256?: string;
  dryRun?: boolean;
  error?: string;
  message?: string;
}

/** A stored list entry. */
export interface ListEntry {
  list: string;
  subject: string;
  key: string;
  version: number;
  updatedAt: number;
  name: string | null;
  note: string | null;
  status?: string;
  since?: number | null;
  until?: number | null;
  category?: string;
  validFrom?: number | null;
  validUntil?: number | null;
  checkpoints?: string[] | null;
}

/** A list version in the history. */
export interface ListVersion {
  version: number;
  at: number;
  actor: string;
  action: string;
  changes: number | string | null;
}

/** A checkpoint's settings. */
export interface Checkpoint {
  id: string;
  name: string;
  mode: 'open' | 'closed';
  freshnessBudgetSec: number;
  blockingStatuses: string[];
  repeatWindowSec: number;
}

/** A lane in the fleet. */
export interface Kiosk {
  id: string;
  name: string;
  checkpointId: string;
  enrolledAt: number;
  revokedAt: number | null;
  online: boolean;
  lastHeartbeatAt: number | null;
  listVersions: { health: number | null; whitelist: number | null };
  backlog: number | null;
  devices: { name: string; kind: string; status: string }[];
  clockSkewMs: number | null;
}

/** An enrollment code. */
export interface Enrollment {
  code: string;
  expiresAt: string;
  checkpointId: string;
}

/** Fields shared by an override and an acknowledgement a lane uploaded. */
interface LaneRecordFields {
  id: string;
  seq: number;
  at: number;
  /** The lane that sent it. */
  kioskId: string;
  kioskName: string;
  /** True: checked; false: distrusted (see `issues`); null: not checked. */
  verified: boolean | null;
  issues: string[];
  decision: string;
  note: string;
}

/** An override of a scan's decision. */
export interface Override extends LaneRecordFields {
  type: 'override';
  originalDecision: string;
  officerId: string;
  officerName: string | null;
  supervisorId: string | null;
  supervisorName: string | null;
  reason: string;
}

/** An officer's acknowledgement of a scan ("Đã xem"). */
export interface Ack extends LaneRecordFields {
  type: 'ack';
}

/** What happened at the lane after a scan. */
export interface LaneOutcome {
  state: 'pending' | 'acknowledged' | 'overridden' | 'none';
  decision: string;
  at: number | null;
  override: Override | null;
  ack: Ack | null;
}

/** A recorded scan. */
export interface Scan {
  no: number;
  id: string;
  kioskId: string;
  kioskName?: string;
  seq: number;
  checkpointId: string;
  at: number;
  receivedAt: number;
  source: string;
  format: string | null;
  subjectKey: string | null;
  decision: string;
  reasons: string[];
  warnings: string[];
  alert: boolean;
  overrides: Override[];
  acks?: Ack[];
  outcome?: LaneOutcome;
}

/** An alert: a blocking status scanned at a lane, or a lane record the centre distrusts. */
export interface Alert {
  id: number;
  kind?: 'health' | 'replay' | 'override';
  at: number;
  receivedAt: number;
  kioskId: string;
  kioskName?: string;
  checkpointId: string;
  scanId: string;
  subjectKey: string | null;
  /** All but the last 4 characters hidden (null: no list holds the subject). */
  subjectMasked?: string | null;
  status: string | null;
  raisedBy: 'lane' | 'server';
  ackedAt?: number | null;
  ackedBy?: string | null;
  record?: Override | Ack | null;
  issues?: string[];
  outcome?: LaneOutcome;
}

/** `GET /api/v1/admin/alerts/{id}/subject` (admins only; audited). */
export interface AlertSubject {
  subject: string | null;
  name: string | null;
  list: 'health' | 'whitelist' | null;
}

/** An audit record. */
export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

/** One checkpoint-hour of the scan roll-up. */
export interface StatsPoint {
  checkpointId: string;
  hour: number;
  green: number;
  amber: number;
  red: number;
}

/** `GET /api/v1/admin/stats/scans`. */
export interface ScanStats {
  from: number;
  to: number;
  bucketMs: number;
  checkpoints: unknown[];
  series: StatsPoint[];
  totals?: unknown;
}

/** An officer's role: supervisors may also let a health-blocked red through. */
export type OfficerRole = 'officer' | 'supervisor';

/** An officer in the central roster (never a PIN or its hash). */
export interface Officer {
  id: string;
  name: string;
  role: OfficerRole;
  /** The checkpoints served; null: every checkpoint. */
  checkpoints: string[] | null;
  disabled: boolean;
  updatedAt: number;
}

/** `GET /api/v1/admin/officers`. */
export interface OfficerRoster {
  version: number;
  officers: Officer[];
}
