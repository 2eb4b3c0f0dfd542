import Type from 'typebox';
import { DECISIONS, REASON_CODES, WARNING_CODES } from '../decision/reason-codes.js';
import { PASS_ID_PATTERN } from '../passes/pass-codec.js';
import { Counter, EpochMs } from './bounds.js';

/** Schema of a decision colour. */
export const DecisionColourSchema = Type.Enum(DECISIONS);
/** Schema of a reason code. */
export const ReasonCodeSchema = Type.Enum(REASON_CODES);
/** Schema of a warning code. */
export const WarningCodeSchema = Type.Enum(WARNING_CODES);

/** Where a scan came from. */
export const SCAN_SOURCES = ['camera', 'serial', 'hid', 'wedge', 'stdin', 'manual', 'simulated'] as const;
/** Schema of a scan source. */
export const ScanSource = Type.Enum(SCAN_SOURCES);
/** Where a scan came from: a device kind, or the officer's keypad (`manual`). */
export type ScanSource = (typeof SCAN_SOURCES)[number];

/** Payload formats as stored with a scan (null: unreadable). */
export const PayloadFormatSchema = Type.Union([
  Type.Literal('chip_id_card'),
  Type.Literal('unified_personal_qr'),
  Type.Literal('personal_id'),
  Type.Literal('passport'),
  Type.Literal('vehicle_plate'),
  Type.Literal('lane_pass'),
  Type.Null(),
]);

/** A lane's decision, as the policy returns it and as it is stored and shown. */
export const DecisionSchema = Type.Object({
  decision: DecisionColourSchema,
  reasons: Type.Array(ReasonCodeSchema, { maxItems: 16 }),
  warnings: Type.Array(WarningCodeSchema, { maxItems: 16 }),
  /** An urgent alert goes to the centre (a blocking health status was scanned). */
  alert: Type.Boolean(),
  /** False for a repeat of the same code within the checkpoint's repeat window. */
  record: Type.Boolean(),
});
/** A lane's decision. */
export type Decision = Readonly<Type.Static<typeof DecisionSchema>>;

/** Keyed hash of a canonical subject: the first 8 bytes of HMAC-SHA256, as 16 hex digits. */
export const SubjectKeyHex = Type.String({ pattern: '^[0-9a-f]{16}$' });

/** UUIDv7 (or any RFC 9562 UUID) in its canonical lower-case text form. */
export const RecordId = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});

const LaneRecordBase = {
  /** Lane-local sequence number, contiguous from 1: the server acknowledges through it. */
  seq: Counter({ minimum: 1 }),
  id: RecordId,
  /** Lane clock, epoch ms. */
  at: EpochMs(),
};

/** One recorded scan, as the lane stores it in its outbox and uploads it. */
export const ScanRecordSchema = Type.Object({
  type: Type.Literal('scan'),
  ...LaneRecordBase,
  source: ScanSource,
  format: PayloadFormatSchema,
  /** Null when the payload named no readable subject. */
  subjectKey: Type.Union([SubjectKeyHex, Type.Null()]),
  /** The subject sealed to the server's public key (base64), so the lane cannot read it back. */
  subjectSealed: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
  decision: DecisionColourSchema,
  reasons: Type.Array(ReasonCodeSchema, { maxItems: 16 }),
  warnings: Type.Array(WarningCodeSchema, { maxItems: 16 }),
  alert: Type.Boolean(),
  /**
   * Vehicle mode (issue 15): the vehicle this scan belongs to, named by the record id of the plate
   * scan that opened it (a plate scan names itself). Absent or null: no vehicle (lanes before
   * vehicle mode send no such field). Tracing links the people of one vehicle through it.
   */
  vehicleId: Type.Optional(Type.Union([RecordId, Type.Null()])),
  /**
   * Lane passes (issue 16): the id of the signed pass scanned (16 hex digits), for scans of a pass
   * whose body could be read. Absent otherwise (lanes before lane passes send no such field).
   */
  passId: Type.Optional(Type.String({ pattern: PASS_ID_PATTERN })),
});
/** One recorded scan. */
export type ScanRecord = Readonly<Type.Static<typeof ScanRecordSchema>>;

/** An officer's override of a recorded scan's decision. */
export const OverrideRecordSchema = Type.Object({
  type: Type.Literal('override'),
  ...LaneRecordBase,
  /** The scan whose decision is overridden. */
  scanId: RecordId,
  originalDecision: DecisionColourSchema,
  decision: DecisionColourSchema,
  officerId: Type.String({ minLength: 1, maxLength: 64 }),
  /** Required when a health-blocked red becomes green. */
  supervisorId: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
  reason: Type.String({ minLength: 1, maxLength: 64 }),
  note: Type.String({ maxLength: 500 }),
});
/** An officer's override. */
export type OverrideRecord = Readonly<Type.Static<typeof OverrideRecordSchema>>;

/**
 * An officer has seen a scan that waited on the desk (a red, an amber, a green with warnings) and
 * handled it without changing the decision ("Đã xem"): the centre learns what happened at the lane.
 */
export const AcknowledgementRecordSchema = Type.Object({
  type: Type.Literal('ack'),
  ...LaneRecordBase,
  /** The scan acknowledged. */
  scanId: RecordId,
  /** The decision the officer saw (after any override). */
  decision: DecisionColourSchema,
  note: Type.String({ maxLength: 500 }),
});
/** An officer's acknowledgement of a scan. */
export type AcknowledgementRecord = Readonly<Type.Static<typeof AcknowledgementRecordSchema>>;

/** What a lane uploads: scans, overrides and acknowledgements in one sequence. */
export const LaneRecordSchema = Type.Union([
  ScanRecordSchema,
  OverrideRecordSchema,
  AcknowledgementRecordSchema,
]);
/** What a lane uploads. */
export type LaneRecord = ScanRecord | OverrideRecord | AcknowledgementRecord;
// The upload's body and answer (`ScanUploadSchema`, `ScanUploadAckSchema`) are in
// contract/kiosk-api.ts with the rest of the kiosk API.
