import Type from 'typebox';
import { LANE_RECORD_ISSUES } from '../../overrides/check-lane-record.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

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

/** An officer's acknowledgement ("Đã xem") as the admin API shows it. */
export const AckViewSchema = Type.Object({ type: Type.Literal('ack'), ...RecordFields });

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

/** An alert as `GET /alerts` and the `alert` event show it. */
export const AlertSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([Type.Literal('health'), Type.Literal('replay'), Type.Literal('override')]),
  at: Type.Integer(),
  receivedAt: Type.Integer(),
  kioskId: Type.String(),
  kioskName: Type.String({ description: 'the lane’s name' }),
  checkpointId: Type.String(),
  scanId: Type.String(),
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
});
