// What the lane display shows, as the agent sends it: the officer's desk (pending scans, the
// recent strip), the traveller's view and the officers of the override dialog. The messages and
// actions that carry these are in display-channel.ts.
import Type from 'typebox';
import { EpochMs } from '../schemas/bounds.js';
import {
  DecisionColourSchema,
  ReasonCodeSchema,
  RecordId,
  ScanSource,
  WarningCodeSchema,
} from '../schemas/scan-schemas.js';
import { SUBJECT_KINDS } from '../subjects/subject.js';
import { HEALTH_STATUSES, OFFICER_ROLES } from '../vocabulary.js';

/** What the officer's screen shows of a scan's subject. */
export const DeskSubjectSchema = Type.Object({
  kind: Type.Enum(SUBJECT_KINDS),
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

/** An area of a lane pass by its GSO codes (district and ward null when the pass names none). */
export const DeskPassAreaSchema = Type.Object({
  province: Type.Integer({ minimum: 1, maximum: 99 }),
  district: Type.Union([Type.Integer({ minimum: 1, maximum: 999 }), Type.Null()]),
  ward: Type.Union([Type.Integer({ minimum: 1, maximum: 99_999 }), Type.Null()]),
});

/**
 * What a scanned lane pass says, for the officer: route, validity window and plate. Officer
 * screen only; held in the agent's memory with the desk item, never stored, logged, uploaded or
 * sent to the traveller.
 */
export const DeskPassSchema = Type.Object({
  from: DeskPassAreaSchema,
  to: DeskPassAreaSchema,
  validFrom: EpochMs(),
  validUntil: EpochMs(),
  /** The plate as people write it (`51F-123.45`), or null. */
  plate: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
  /** A trusted pass key signed it; false: what it says is unproven (the officer checks). */
  verified: Type.Boolean(),
});
/** What a scanned lane pass says, for the officer. */
export type DeskPass = Type.Static<typeof DeskPassSchema>;

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
  /** A lane pass's route, validity and plate (absent or null: not a pass, or restored after a restart). */
  pass: Type.Optional(Type.Union([DeskPassSchema, Type.Null()])),
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

/** How many passengers a vehicle panel lists (a bus may carry more: the count says how many). */
export const VEHICLE_PASSENGERS_SHOWN = 60;

/** One person scanned in the open vehicle, as the officer's vehicle panel lists them. */
export const VehiclePassengerSchema = Type.Object({
  scanId: RecordId,
  at: EpochMs(),
  /** The decision now (after any override). */
  decision: DecisionColourSchema,
  healthStatus: Type.Union([Type.Enum(HEALTH_STATUSES), Type.Null()]),
  /** Masked ID or passport, as on the desk; null: the code named no one. */
  subject: Type.Union([DeskSubjectSchema, Type.Null()]),
});
/** One passenger of the open vehicle. */
export type VehiclePassenger = Type.Static<typeof VehiclePassengerSchema>;

/**
 * The vehicle open at this lane (vehicle mode): opened by a plate scan, closed by the next plate,
 * "Xe đã qua", or 10 minutes after the plate scan. Officer screen only.
 */
export const VehiclePanelSchema = Type.Object({
  /** The plate scan's record id: every scan of this vehicle uploads it as its `vehicleId`. */
  id: RecordId,
  openedAt: EpochMs(),
  /** When it closes by itself (10 minutes after the plate scan). */
  closesAt: EpochMs(),
  /** The plate in full (`51F-123.45`): a plate is not a secret at a checkpoint. */
  plateShown: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
  /** The plate scan's decision now (after any override). */
  plateDecision: DecisionColourSchema,
  /** The plate is on the whitelist as `green_lane`, valid now at this checkpoint. */
  greenLane: Type.Boolean(),
  /** Red if the plate or any passenger is red; else amber if any is amber; else green. */
  decision: DecisionColourSchema,
  /** Everyone scanned in it so far (the plate scan not counted). */
  passengerCount: Type.Integer({ minimum: 0 }),
  /** The passengers, in scan order (the first {@link VEHICLE_PASSENGERS_SHOWN}). */
  passengers: Type.Array(VehiclePassengerSchema, { maxItems: VEHICLE_PASSENGERS_SHOWN }),
});
/** The vehicle open at this lane. */
export type VehiclePanel = Type.Static<typeof VehiclePanelSchema>;

/**
 * The officer's desk: scans waiting for an officer, most urgent first (F0 reds, other reds,
 * ambers, greens with warnings; oldest first within each), and the last 20 scans (newest first).
 */
export const DeskSchema = Type.Object({
  pending: Type.Array(DeskItemSchema, { maxItems: DESK_PENDING_SHOWN }),
  /** All pending items, also those beyond the ones carried. */
  pendingCount: Type.Integer({ minimum: 0 }),
  recent: Type.Array(DeskItemSchema, { maxItems: DESK_RECENT_SIZE }),
  /** The lane is in vehicle mode (`--vehicle-mode` or the checkpoint's setting); absent: off. */
  vehicleMode: Type.Optional(Type.Boolean()),
  /** The vehicle open now (vehicle mode); null or absent: none. */
  vehicle: Type.Optional(Type.Union([VehiclePanelSchema, Type.Null()])),
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
  role: Type.Enum(OFFICER_ROLES),
  /** Epoch ms until which this officer's PIN is locked after wrong tries; null when not locked. */
  lockedUntil: Type.Union([EpochMs(), Type.Null()]),
});
/** An officer in the override dialog. */
export type DeskOfficer = Type.Static<typeof DeskOfficerSchema>;
