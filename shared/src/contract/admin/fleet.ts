// The admin API's fleet (`/api/v1/admin/enrollments`, `/kiosks…`, `/audit`, `/events`,
// `/stats/…`): schema and type from one TypeBox definition. The sync server's routes answer with
// these schemas; the console imports the types only (`import type`, no bundle cost). "kiosk"
// stays in the paths and JSON fields (the published contract); in code the canonical word is "lane".
import Type from 'typebox';
import { DateMs, RowId } from '../../schemas/bounds.js';
import { CheckpointId } from '../../schemas/checkpoint-schemas.js';
import { ListName } from '../../schemas/list-schemas.js';
import { ListRefusalReport } from '../kiosk-api.js';
import { GateReportSchema } from '../gate.js';
import { AdminTimeText, AlertRecordSchema } from './scans.js';
import { SafeText } from '../safe-text.js';

type Member = Parameters<typeof Type.Union>[0][number];
const Nullable = <T extends Member>(t: T) => Type.Union([t, Type.Null()]);
const EpochOrNull = Type.Union([DateMs(), Type.Null()]);

/** `POST /enrollments` body: a one-time code to enroll a lane at a checkpoint. */
export const EnrollmentRequestSchema = Type.Object({
  checkpointId: CheckpointId,
  ttlSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600 })),
});
/** `POST /enrollments` body. */
export type EnrollmentRequest = Type.Static<typeof EnrollmentRequestSchema>;

/** `POST /enrollments` answer (201). */
export const EnrollmentAnswerSchema = Type.Object({
  code: Type.String(),
  expiresAt: Type.String(),
  checkpointId: Type.String(),
});
/** An enrollment code, its expiry (ISO 8601) and checkpoint. */
export type EnrollmentAnswer = Type.Static<typeof EnrollmentAnswerSchema>;

/** A device as a lane reports it in its heartbeat. */
export const LaneDeviceSchema = Type.Object({
  name: Type.String(),
  kind: Type.String(),
  status: Type.String(),
});
/** A lane's device and its state. */
export type LaneDevice = Type.Static<typeof LaneDeviceSchema>;

/** A lane in the fleet as `GET /kiosks` and `POST /kiosks/{id}/revoke` show it. */
export const LaneViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  checkpointId: Type.String(),
  enrolledAt: Type.Integer(),
  revokedAt: EpochOrNull,
  online: Type.Boolean(),
  lastHeartbeatAt: EpochOrNull,
  listVersions: Type.Object({ health: Nullable(Type.Integer()), whitelist: Nullable(Type.Integer()) }),
  backlog: Nullable(Type.Integer()),
  devices: Type.Array(LaneDeviceSchema),
  clockSkewMs: Nullable(Type.Integer()),
  ackedThrough: Type.Integer(),
  /** The list data the lane refused (bad or missing signature, count mismatch) since it started; absent: none. */
  listRefusals: Type.Optional(ListRefusalReport),
  /**
   * The gate report of the lane's last heartbeat (a lane in gate mode or driving a relay); absent:
   * its last heartbeat had none.
   */
  gate: Type.Optional(GateReportSchema),
});
/** A lane: last heartbeat, list versions, backlog, devices, online state. */
export type LaneView = Type.Static<typeof LaneViewSchema>;

/** `GET /kiosks` answer: the fleet. */
export const LanesAnswerSchema = Type.Object({ kiosks: Type.Array(LaneViewSchema) });
/** `GET /kiosks` answer. */
export type LanesAnswer = Type.Static<typeof LanesAnswerSchema>;

/** `{id}` of `/kiosks/{id}/…`. */
export const LaneIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** `GET /audit` query. */
export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(RowId()),
  action: Type.Optional(SafeText({ maxLength: 64 })),
  actor: Type.Optional(SafeText({ maxLength: 200, description: 'exactly this actor' })),
  from: Type.Optional(AdminTimeText),
  to: Type.Optional(AdminTimeText),
  target: Type.Optional(SafeText({ maxLength: 200, description: 'targets starting with this' })),
});
/** `GET /audit` query. */
export type AuditQuery = Type.Static<typeof AuditQuerySchema>;

/** One audit record: who did what to what, when. */
export const AuditRecordSchema = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  target: Nullable(Type.String()),
  details: Type.Unknown(),
});
/** One audit record. */
export type AuditRecord = Type.Static<typeof AuditRecordSchema>;

/** `GET /audit` answer, newest first. */
export const AuditAnswerSchema = Type.Object({ records: Type.Array(AuditRecordSchema) });
/** `GET /audit` answer. */
export type AuditAnswer = Type.Static<typeof AuditAnswerSchema>;

/** The ranges of the scan chart, and the hours each covers. */
export const SCAN_STATS_RANGE_HOURS = { '24h': 24, '7d': 7 * 24 } as const;

/** `GET /stats/scans` query. */
export const ScanStatsQuerySchema = Type.Object({
  range: Type.Union([Type.Literal('24h'), Type.Literal('7d')], { default: '24h' }),
  checkpoint: Type.Optional(CheckpointId),
});
/** `GET /stats/scans` query. */
export type ScanStatsQuery = Type.Static<typeof ScanStatsQuerySchema>;

const Counts = { green: Type.Integer(), amber: Type.Integer(), red: Type.Integer() };

/** One checkpoint-hour of the scan roll-up, by lane decision. */
export const ScanStatsPointSchema = Type.Object({
  checkpointId: Type.String(),
  hour: Type.Integer(),
  ...Counts,
});
/** One checkpoint-hour of the scan roll-up. */
export type ScanStatsPoint = Type.Static<typeof ScanStatsPointSchema>;

/** `GET /stats/scans` answer: the hourly scan series of one range, per checkpoint and lane decision. */
export const ScanStatsSchema = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  bucketMs: Type.Integer(),
  checkpoints: Type.Array(Type.String()),
  series: Type.Array(ScanStatsPointSchema),
  totals: Type.Object(Counts),
});
/** `GET /stats/scans` answer. */
export type ScanStats = Type.Static<typeof ScanStatsSchema>;

/** The body of each event the server sends on `GET /api/v1/admin/events`, by event name. */
export const ADMIN_EVENT_SCHEMAS = {
  /** First event of every stream: the server's time and the open streams. */
  hello: Type.Object({ at: Type.Integer(), admins: Type.Integer(), kiosks: Type.Integer() }),
  /**
   * A new alert, an alert whose scan got an outcome at the lane, or a `gate_fault` alert reopened
   * (its fault back within 10 minutes of clearing: same id, `details.flaps` counted).
   */
  alert: AlertRecordSchema,
  /** An alert was acknowledged (the first acknowledgement). */
  'alert-ack': Type.Object({
    id: Type.Integer(),
    ackedAt: Nullable(Type.Integer()),
    ackedBy: Nullable(Type.String()),
  }),
  /** A lane went online or offline (fleet status). */
  'kiosk-status': Type.Object({ kioskId: Type.String(), online: Type.Boolean(), at: Type.Integer() }),
  /** A list is at a new version. */
  'list-version': Type.Object({ list: ListName, version: Type.Integer() }),
  /** The officer roster is at a new version. */
  officers: Type.Object({ version: Type.Integer() }),
  /**
   * A lane's heartbeat carried a gate report, or stopped carrying one (`gate` null): the gate's
   * state, faults and counts (no personal data). `at` is the heartbeat's time (server clock).
   */
  gate: Type.Object({
    kioskId: Type.String(),
    checkpointId: Type.String(),
    at: Type.Integer(),
    gate: Nullable(GateReportSchema),
  }),
};

/** Name of an event on the admin stream. */
export type AdminEventName = keyof typeof ADMIN_EVENT_SCHEMAS;

/** Body of one admin stream event, by name. */
export type AdminEventData<K extends AdminEventName> = Type.Static<(typeof ADMIN_EVENT_SCHEMAS)[K]>;

/** One event on the admin stream: switch on `type` and the compiler knows `data`. */
export type AdminEvent = {
  [K in AdminEventName]: { readonly type: K; readonly data: AdminEventData<K> };
}[AdminEventName];
