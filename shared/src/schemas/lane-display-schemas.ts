// The contract between a lane agent and its display (officer and traveller screens): what the
// agent pushes over the WebSocket and what the display may ask over HTTP. One definition; the
// agent validates requests with these schemas, the display builds them from these types.
import Type from 'typebox';
import { EpochMs } from './bounds.js';
import { HEALTH_STATUSES } from '../vocabulary.js';
import {
  DecisionColourSchema,
  ReasonCodeSchema,
  RecordId,
  ScanSource,
  WarningCodeSchema,
} from './scan-schemas.js';

/** What the officer's screen shows of a scan's subject. */
export const DeskSubjectSchema = Type.Object({
  kind: Type.Enum(['personal_id', 'passport', 'plate']),
  /** Masked ID or passport (`••••••••4567`); a plate in full (`51F-123.45`): a plate is not a secret at a checkpoint. */
  shown: Type.String({ maxLength: 40 }),
});

/**
 * Read from a chip ID card's QR for the officer to match card and face. Officer screen only;
 * held in the agent's memory with the desk item, never stored, logged, uploaded or sent to the traveller.
 */
export const CardHolderSchema = Type.Object({
  name: Type.String({ maxLength: 120 }),
  /** `dd/MM/yyyy` as printed on the card. */
  birthDate: Type.Union([Type.String({ maxLength: 10 }), Type.Null()]),
});

/** Where a desk item stands: waiting for the officer, or handled (and how). */
export const DeskStateSchema = Type.Enum(['pending', 'acknowledged', 'overridden', 'passed']);

/** One scan on the officer's desk: in the pending queue and/or the strip of recent scans. */
export const DeskItemSchema = Type.Object({
  scanId: RecordId,
  at: EpochMs(),
  /** The decision now (after any override). */
  decision: DecisionColourSchema,
  /** The lane's own decision. */
  originalDecision: DecisionColourSchema,
  reasons: Type.Array(ReasonCodeSchema, { maxItems: 16 }),
  warnings: Type.Array(WarningCodeSchema, { maxItems: 16 }),
  /** The health status behind a health reason (F0 vs F1 vs F2 …), else null. */
  healthStatus: Type.Union([Type.Enum(HEALTH_STATUSES), Type.Null()]),
  source: ScanSource,
  subject: Type.Union([DeskSubjectSchema, Type.Null()]),
  holder: Type.Union([CardHolderSchema, Type.Null()]),
  /** `pending` until an officer acknowledges or overrides it (reds, ambers, greens with warnings). */
  state: DeskStateSchema,
  /** Rebuilt from the lane's records after a restart: subject and holder are no longer known. */
  restored: Type.Optional(Type.Boolean()),
  /** Who overrode it, when it was. */
  override: Type.Union([
    Type.Object({
      officerId: Type.String({ maxLength: 64 }),
      supervisorId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
      reason: Type.String({ maxLength: 64 }),
    }),
    Type.Null(),
  ]),
});
/** One scan on the officer's desk. */
export type DeskItem = Type.Static<typeof DeskItemSchema>;

/** How many scans the strip of recent scans holds. */
export const DESK_RECENT_SIZE = 20;
/** How many pending items one desk event carries (the count says how many wait in all). */
export const DESK_PENDING_SHOWN = 100;

/**
 * The officer's desk: scans waiting for an officer, most urgent first (F0 reds, other reds,
 * ambers, greens with warnings; oldest first within each), and the last 20 scans (newest first).
 */
export const DeskSchema = Type.Object({
  pending: Type.Array(DeskItemSchema, { maxItems: DESK_PENDING_SHOWN }),
  /** All pending items, also those beyond the ones carried. */
  pendingCount: Type.Integer({ minimum: 0 }),
  recent: Type.Array(DeskItemSchema, { maxItems: DESK_RECENT_SIZE }),
});
/** The officer's desk. */
export type Desk = Type.Static<typeof DeskSchema>;

/** What the traveller's screen may show: never why, and every non-green looks the same. */
export const TravellerViewSchema = Type.Object({
  /** `go`: "Mời qua"; `see_officer`: "Vui lòng gặp cán bộ" (red and amber alike); `ready`: idle. */
  state: Type.Enum(['go', 'see_officer', 'ready']),
  at: EpochMs(),
});
/** What the traveller's screen shows. */
export type TravellerView = Type.Static<typeof TravellerViewSchema>;

/** An officer as the override dialog lists them (to pick before the PIN pad). */
export const DeskOfficerSchema = Type.Object({
  id: Type.String({ maxLength: 64 }),
  name: Type.String({ maxLength: 120 }),
  role: Type.Enum(['officer', 'supervisor']),
  /** Epoch ms until which this officer's PIN is locked after wrong tries; null when not locked. */
  lockedUntil: Type.Union([EpochMs(), Type.Null()]),
});
/** An officer in the override dialog. */
export type DeskOfficer = Type.Static<typeof DeskOfficerSchema>;

/** Body of `POST /api/scans/{scanId}/acknowledge`. */
export const AcknowledgeRequestSchema = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

/** Body of `POST /api/scans/{scanId}/override`: bound to that scan, never to "the current one". */
export const OverrideRequestSchema = Type.Object(
  {
    decision: DecisionColourSchema,
    officerId: Type.String({ minLength: 1, maxLength: 64 }),
    officerPin: Type.String({ pattern: '^[0-9]{4,8}$' }),
    supervisorId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    supervisorPin: Type.Optional(Type.String({ pattern: '^[0-9]{4,8}$' })),
    reason: Type.String({ minLength: 1, maxLength: 64 }),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
/** An officer's override request. */
export type OverrideRequestBody = Type.Static<typeof OverrideRequestSchema>;

/**
 * Events the agent pushes over `/ws`. The officer view gets all but `traveller`; the traveller
 * view only `hello` (without status) and `traveller`.
 */
export type DisplayEvent =
  | { readonly type: 'hello'; readonly status?: unknown; readonly camera?: unknown; readonly desk?: Desk }
  /** The whole desk after any change (new scan, acknowledge, override): small, and never out of step. */
  | { readonly type: 'desk'; readonly data: Desk; readonly latest: string | null }
  | { readonly type: 'traveller'; readonly data: TravellerView }
  /** Each decision as the lane announces it (subject masked, never the holder): for tools and tests. */
  | { readonly type: 'decision'; readonly data: unknown }
  /** An override was recorded (the desk event that follows carries its effect). */
  | {
      readonly type: 'override';
      readonly data: { scanId: string; decision: string; originalDecision: string };
    }
  | { readonly type: 'device'; readonly data: { device: string; status: string; detail?: string } }
  | { readonly type: 'sync'; readonly data: unknown }
  /** Sent every second so a display can tell a live agent from a dead or hung one. */
  | { readonly type: 'tick'; readonly data: { at: number } };
