// The admin API's scans and alerts (`/api/v1/admin/scans…`, `/api/v1/admin/alerts…`): schema
// and type from one TypeBox definition. The sync server's routes answer with these schemas and
// its repositories return these types; the console imports the types only (`import type`, no
// bundle cost). "kiosk" stays in the paths and JSON fields (the published contract); in code the
// canonical word is "lane".
import Type from 'typebox';
import { RowId } from '../../schemas/bounds.js';
import { CheckpointId } from '../../schemas/checkpoint-schemas.js';
import { DecisionColourSchema, RecordId } from '../../schemas/scan-schemas.js';
import { SafeMultilineText } from '../safe-text.js';
import { GATE_FAULTS, GATE_STATES } from '../gate.js';

type Member = Parameters<typeof Type.Union>[0][number];
const Nullable = <T extends Member>(t: T) => Type.Union([t, Type.Null()]);

/**
 * Why the centre does not believe an override or acknowledgement a lane uploaded. Stable codes:
 * the console words them, the alerts carry them.
 */
export const LANE_RECORD_ISSUES = [
  /** No scan with that id is held (the lane's sequence below the record is complete). */
  'scan_unknown',
  /** The scan was recorded by another lane. */
  'scan_other_lane',
  /** The override's original decision is not the scan's. */
  'original_mismatch',
  /** The record's lane time is before its scan's: a lane clock set back, or a backdated record. */
  'before_scan',
  /** The record's lane time is too far after the server received it (the server's `MAX_LANE_CLOCK_AHEAD_MS`). */
  'future_dated',
  /** The central roster has never been written: the lane uses a hand-written officers.json. */
  'no_roster',
  'officer_unknown',
  'officer_disabled',
  /** The officer is not assigned to the lane's checkpoint. */
  'officer_not_here',
  /** A health-blocked red was let through without a supervisor. */
  'supervisor_missing',
  'supervisor_unknown',
  'supervisor_disabled',
  'supervisor_not_here',
  /** The named supervisor has the officer role. */
  'supervisor_not_supervisor',
  /** The officer vouched for themself as supervisor. */
  'supervisor_same_officer',
] as const;
/** A reason the centre does not believe a lane record. */
export type LaneRecordIssue = (typeof LANE_RECORD_ISSUES)[number];

/** Why the centre distrusts a lane record (stable codes; the console words them). */
export const LaneRecordIssueSchema = Type.String({
  description: `one of ${[...LANE_RECORD_ISSUES, 'unchecked'].join(', ')} (unchecked: stored before the server checked lane records)`,
});

const RecordFields = {
  id: Type.String(),
  seq: Type.Integer(),
  at: Type.Integer({ description: 'lane clock, epoch ms' }),
  kioskId: Type.String({ description: 'the lane that sent it' }),
  kioskName: Type.String(),
  verified: Nullable(
    Type.Boolean({
      description: 'false: distrusted (see issues); null: not checked (yet, or stored before checks)',
    }),
  ),
  issues: Type.Array(LaneRecordIssueSchema),
  decision: Type.String(),
  note: Type.String(),
};

/** An override as the admin API shows it. */
export const OverrideViewSchema = Type.Object({
  type: Type.Literal('override'),
  ...RecordFields,
  originalDecision: Type.String(),
  officerId: Type.String(),
  officerName: Nullable(Type.String({ description: 'from the central roster; null if unknown there' })),
  supervisorId: Nullable(Type.String()),
  supervisorName: Nullable(Type.String()),
  reason: Type.String(),
});
/** An override of a scan's decision, with the officers' names from the central roster. */
export type OverrideView = Type.Static<typeof OverrideViewSchema>;

/** An officer's acknowledgement ("Đã xem") as the admin API shows it. */
export const AckViewSchema = Type.Object({ type: Type.Literal('ack'), ...RecordFields });
/** An officer's acknowledgement of a scan ("Đã xem"). */
export type AckView = Type.Static<typeof AckViewSchema>;

/** What happened at the lane after a scan. */
export const LaneOutcomeSchema = Type.Object(
  {
    state: Type.Union([
      Type.Literal('pending'),
      Type.Literal('acknowledged'),
      Type.Literal('overridden'),
      Type.Literal('none'),
    ]),
    decision: Type.String({ description: 'the decision the scan stands at' }),
    at: Nullable(Type.Integer()),
    override: Nullable(OverrideViewSchema),
    ack: Nullable(AckViewSchema),
  },
  { description: 'from the records of the lane that made the scan' },
);
/**
 * What happened at the lane after a scan, from that lane's own records: overridden (the latest
 * override), acknowledged (an officer saw it, "Đã xem"), pending (a red, an amber or a green
 * with warnings nobody handled yet) or none (a plain green). `at` is the lane's time of it.
 */
export type LaneOutcome = Type.Static<typeof LaneOutcomeSchema>;

/** A stored scan as `GET /scans` shows it. */
export const ScanViewSchema = Type.Object({
  no: Type.Integer({ description: 'arrival number on this server' }),
  id: Type.String(),
  kioskId: Type.String(),
  kioskName: Type.String({ description: 'the lane’s name' }),
  seq: Type.Integer(),
  checkpointId: Type.String(),
  at: Type.Integer(),
  receivedAt: Type.Integer(),
  source: Type.String(),
  format: Nullable(Type.String()),
  subjectKey: Nullable(Type.String()),
  decision: Type.String(),
  reasons: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
  alert: Type.Boolean(),
  vehicleId: Nullable(
    Type.String({
      description:
        'vehicle mode: the vehicle the scan belongs to, named by its plate scan’s record id (a plate scan names itself); null when none',
    }),
  ),
  overrides: Type.Array(OverrideViewSchema, {
    description: 'every override naming the scan; one from another lane is flagged (verified false)',
  }),
  acks: Type.Array(AckViewSchema),
  outcome: LaneOutcomeSchema,
});
/** A stored scan, with every override and acknowledgement naming it and its lane outcome. */
export type ScanView = Type.Static<typeof ScanViewSchema>;

/** A time in a query string: ISO 8601 or epoch ms. */
export const AdminTimeText = Type.String({ maxLength: 40, description: 'ISO 8601 date-time or epoch ms' });

/** The scan filters of `GET /scans` and `GET /scans/export.csv`. */
export const ScanFilterQuerySchema = Type.Object({
  subject: Type.Optional(Type.String({ maxLength: 64 })),
  checkpoint: Type.Optional(CheckpointId),
  kiosk: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(AdminTimeText),
  to: Type.Optional(AdminTimeText),
  decision: Type.Optional(DecisionColourSchema),
  scan: Type.Optional(RecordId),
  /** A vehicle's scans, by its plate scan's record id: the plate scan and its passengers. */
  vehicle: Type.Optional(RecordId),
});
/** The scan filters as a query string carries them. */
export type ScanFilterQuery = Type.Static<typeof ScanFilterQuerySchema>;

/** `GET /scans` query: the filters, a page size and the cursor of the previous page. */
export const ScanSearchQuerySchema = Type.Object({
  ...ScanFilterQuerySchema.properties,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
/** `GET /scans` query. */
export type ScanSearchQuery = Type.Static<typeof ScanSearchQuerySchema>;

/** `GET /scans` answer: a page of scans, newest arrivals first, and the next page's cursor. */
export const ScanSearchAnswerSchema = Type.Object({
  scans: Type.Array(ScanViewSchema),
  nextCursor: Nullable(Type.String()),
});
/** `GET /scans` answer. */
export type ScanSearchAnswer = Type.Static<typeof ScanSearchAnswerSchema>;

/**
 * The columns of `GET /scans/export.csv`, in order: times ISO 8601, `lane` the lane's name, the
 * override columns from the latest override of each scan by its own lane, `vehicle_id` the
 * vehicle's plate scan id (empty when none; added last so older readers' columns keep their place).
 */
export const SCAN_EXPORT_COLUMNS = [
  'received_at',
  'at',
  'checkpoint',
  'lane',
  'source',
  'format',
  'subject_key',
  'decision',
  'reasons',
  'warnings',
  'alert',
  'override_decision',
  'override_officer',
  'override_supervisor',
  'override_reason',
  'override_note',
  'scan_id',
  'override_verified',
  'vehicle_id',
] as const;

/**
 * Kinds of alert: a blocking health status, a pass replay, a suspicious lane record, a fault at a
 * lane's gate (`gate_fault`), reds at an unattended lane (`gate_red`).
 */
export const AlertKindSchema = Type.Union([
  Type.Literal('health'),
  Type.Literal('replay'),
  Type.Literal('override'),
  Type.Literal('gate_fault'),
  Type.Literal('gate_red'),
]);
/** Kind of alert. */
export type AlertKind = Type.Static<typeof AlertKindSchema>;

/** One passage of a lane pass (a scan of it): where, at which lane, when (lane time, epoch ms). */
export const PassPassageSchema = Type.Object({
  scanId: Type.String(),
  checkpointId: Type.String(),
  checkpointName: Type.String(),
  kioskId: Type.String(),
  kioskName: Type.String(),
  at: Type.Integer(),
});
/** One passage of a lane pass. */
export type PassPassage = Type.Static<typeof PassPassageSchema>;

/**
 * A `replay` alert's two passages of one pass (never the person's ID): `earlier` and `later`,
 * the great-circle distance between their checkpoints and the speed it would take.
 */
export const ReplayDetailsSchema = Type.Object({
  earlier: PassPassageSchema,
  later: PassPassageSchema,
  distanceKm: Type.Number(),
  speedKmh: Nullable(Type.Number({ description: 'null when both passages have the same time' })),
});
/** A `replay` alert's two passages. */
export type ReplayDetails = Type.Static<typeof ReplayDetailsSchema>;

/** The gate alert kinds: raised from a lane's heartbeat `gate` report, never about a person. */
export const GATE_ALERT_KINDS = ['gate_fault', 'gate_red'] as const;

/**
 * A gate alert's facts (`gate_fault`, `gate_red`): which lane, what its gate reported; never a
 * subject or a scan.
 */
export const GateAlertDetailsSchema = Type.Object({
  kioskId: Type.String(),
  kioskName: Type.String(),
  checkpointId: Type.String(),
  /** The gate's state in the report that raised the alert. */
  state: Type.Enum(GATE_STATES),
  /** `gate_fault`: the fault this alert is about (one open alert per lane and fault). */
  fault: Type.Optional(Type.Enum(GATE_FAULTS)),
  /** `gate_fault`: every fault the gate held in that report. */
  faults: Type.Optional(Type.Array(Type.Enum(GATE_FAULTS), { maxItems: GATE_FAULTS.length })),
  /** `gate_red`: reds since the lane's previous report (since its start when it restarted). */
  reds: Type.Optional(Type.Integer({ minimum: 0 })),
  /** `gate_red`: the lane's red count since it started. */
  redsTotal: Type.Optional(Type.Integer({ minimum: 0 })),
  /** `gate_fault`: when the lane first reported the fault gone (epoch ms, server clock); null while held. */
  clearedAt: Type.Optional(Nullable(Type.Integer())),
  /**
   * `gate_fault`: how many times the fault came back within 10 minutes of this alert clearing
   * (each return reopened this alert instead of raising a new one); absent: never.
   */
  flaps: Type.Optional(Type.Integer({ minimum: 0 })),
});
/** A gate alert's facts. */
export type GateAlertDetails = Type.Static<typeof GateAlertDetailsSchema>;

/** An alert as `GET /alerts` and the admin stream's `alert` event show it. */
export const AlertRecordSchema = Type.Object({
  id: Type.Integer(),
  kind: AlertKindSchema,
  at: Type.Integer(),
  receivedAt: Type.Integer(),
  kioskId: Type.String(),
  kioskName: Type.String({ description: 'the lane’s name' }),
  checkpointId: Type.String(),
  scanId: Nullable(Type.String({ description: 'the scan that raised it; null for gate alerts' })),
  subjectKey: Nullable(Type.String()),
  subjectMasked: Nullable(
    Type.String({ description: 'all but the last 4 characters hidden; null when no list holds the subject' }),
  ),
  status: Nullable(Type.String()),
  raisedBy: Type.Union([Type.Literal('lane'), Type.Literal('server')]),
  ackedAt: Type.Union([Type.Integer(), Type.Null()], {
    description: 'epoch ms of the first acknowledgement',
  }),
  ackedBy: Nullable(Type.String()),
  record: Nullable(
    Type.Union([OverrideViewSchema, AckViewSchema], { description: '`override` alerts: the record' }),
  ),
  issues: Type.Array(LaneRecordIssueSchema),
  outcome: LaneOutcomeSchema,
  /** `replay` alerts: the two passages (the alert's scan is the later one). */
  replay: Type.Optional(ReplayDetailsSchema),
  /** `gate_fault` and `gate_red` alerts: the lane and its gate's report (no subject, no scan). */
  gate: Type.Optional(GateAlertDetailsSchema),
});
/**
 * An alert: a blocking health status scanned at a lane (raised by the lane, or by the server
 * from its newer health list), or a lane record the centre distrusts (`record`, `issues`).
 * `status` is the subject's health status on the server's list now; `ackedAt`/`ackedBy` the
 * first acknowledgement.
 */
export type AlertRecord = Type.Static<typeof AlertRecordSchema>;

/** `GET /alerts` query. */
export const AlertsQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(RowId()),
  checkpoint: Type.Optional(CheckpointId),
  unacked: Type.Optional(Type.Boolean({ description: 'only alerts nobody has acknowledged' })),
  kind: Type.Optional(AlertKindSchema),
});
/** `GET /alerts` query. */
export type AlertsQuery = Type.Static<typeof AlertsQuerySchema>;

/** `GET /alerts` answer. */
export const AlertsAnswerSchema = Type.Object({ alerts: Type.Array(AlertRecordSchema) });
/** `GET /alerts` answer. */
export type AlertsAnswer = Type.Static<typeof AlertsAnswerSchema>;

/** `{id}` of `/alerts/{id}/…`. */
export const AlertIdParamsSchema = Type.Object({ id: RowId() });

/** `GET /alerts/{id}/subject` answer (admins only; every read audited). */
export const AlertSubjectSchema = Type.Object({
  subject: Nullable(Type.String({ description: 'null when no list holds the subject now' })),
  name: Nullable(Type.String()),
  list: Nullable(Type.Union([Type.Literal('health'), Type.Literal('whitelist')])),
});
/** Who an alert is about: the ID and the name on the list entry. */
export type AlertSubject = Type.Static<typeof AlertSubjectSchema>;

/** `POST /alerts/{id}/ack` body (optional: no body reads as `{}`). */
export const AlertAckBodySchema = Type.Object(
  { note: Type.Optional(SafeMultilineText({ maxLength: 500 })) },
  { description: 'optional' },
);
/** `POST /alerts/{id}/ack` body. */
export type AlertAckBody = Type.Static<typeof AlertAckBodySchema>;
