// Over ~350 lines on purpose: one contract (every message and action of the display channel) read
// as one table; split, the union and the action map would lose their single place.
// The display channel: what a lane agent and its display (the officer's and the traveller's
// screens, in Chromium or Electron) say to each other on the lane's own machine.
// - Messages: the agent pushes each over the WebSocket `/ws` as `{type, ...fields}`; the map
//   below gives, per type, the schema of the fields beside `type`, and `DisplayMessage` is their
//   discriminated union (switch on `type` and the compiler knows the rest).
// - Actions: what the display asks over HTTP, by name: method, path, body schema, answer schema
//   (2xx) and refusal schema (4xx). The agent checks every body with these schemas; the display
//   builds bodies from their types.
// Schema and type come from one TypeBox definition. The display imports this module for its
// types and the path table; it never runs a schema check itself.
import Type, { type Static, type TSchema } from 'typebox';
import { Counter, EpochMs } from '../schemas/bounds.js';
import { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import { ListName } from '../schemas/list-schemas.js';
import {
  AcknowledgementRecordSchema,
  DecisionColourSchema,
  DecisionSchema,
  OverrideRecordSchema,
  PayloadFormatSchema,
  RecordId,
  ScanSource,
  WarningCodeSchema,
} from '../schemas/scan-schemas.js';
import { MANUAL_ENTRY_PROBLEMS } from '../payloads/check-manual-entry.js';
import { SUBJECT_KINDS } from '../subjects/subject.js';
import { DeskOfficerSchema, DeskSchema, TravellerViewSchema } from './display-desk.js';
import { ErrorAnswer } from './kiosk-api.js';
import {
  GateUnlockAnswerSchema,
  GateUnlockRefusalSchema,
  GateUnlockRequestSchema,
  GateViewSchema,
} from './gate.js';

// ---- What the agent reports of itself -------------------------------------------------------

/** How a scanner (or the camera) is doing. */
export const DEVICE_STATUSES = ['connecting', 'connected', 'disconnected', 'error'] as const;
/** How a scanner is doing. */
export type DeviceStatusCode = (typeof DEVICE_STATUSES)[number];

/** A device's state, with a reason when it is not connected (no payload content, ever). */
export const DeviceStateSchema = Type.Object({
  device: Type.String(),
  /** A scan source, or `relay` for a gate or tower-light relay board. */
  kind: Type.Union([ScanSource, Type.Literal('relay')]),
  status: Type.Enum(DEVICE_STATUSES),
  detail: Type.Optional(Type.String()),
});
/** A device's state as the agent reports it. */
export type DeviceStateView = Static<typeof DeviceStateSchema>;

/** The lane's sync status as displays get it: also since when offline, and the lists' budget. */
export const LaneSyncViewSchema = Type.Object({
  online: Type.Boolean(),
  revoked: Type.Boolean(),
  listVersions: Type.Record(ListName, Counter()),
  /** Epoch ms of each list's last successful sync; null: never. */
  listsSyncedAt: Type.Record(ListName, Type.Union([EpochMs(), Type.Null()])),
  /** Records waiting to be uploaded. */
  backlog: Counter(),
  /** Server clock minus lane clock, from the last heartbeat (ms). */
  clockSkewMs: Type.Union([Type.Number(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  /** Epoch ms since which the server has not answered; null while online. */
  offlineSince: Type.Union([EpochMs(), Type.Null()]),
  /** How old lists may get before greens turn amber (the checkpoint's budget, seconds). */
  freshnessBudgetSec: Type.Integer({ minimum: 0 }),
});
/** The sync status as displays get it. */
export type LaneSyncView = Static<typeof LaneSyncViewSchema>;

/**
 * The lane's status (`GET /api/status`, the officer `hello`). A running lane sends every part; a
 * display shows what is there (an agent stub in a test may send none).
 */
export const LaneStatusSchema = Type.Object({
  devices: Type.Optional(Type.Array(DeviceStateSchema)),
  sync: Type.Optional(LaneSyncViewSchema),
  checkpoint: Type.Optional(CheckpointConfig),
});
/** The lane's status as displays get it. */
export type LaneStatusView = Static<typeof LaneStatusSchema>;

/**
 * A vehicle as a decision names it (`--json`, the `decision` message): its id (the plate scan's
 * record id, uploaded with each of its scans as `vehicleId`), how many people were scanned in it,
 * and its colour (red if the plate or any passenger is red, else amber if any is amber, else
 * green). No plate: the officer's panel shows it (`VehiclePanelSchema`).
 */
export const VehicleSummarySchema = Type.Object({
  id: RecordId,
  passengers: Type.Integer({ minimum: 0 }),
  decision: DecisionColourSchema,
});
/** A vehicle as a decision names it. */
export type VehicleSummary = Static<typeof VehicleSummarySchema>;

/**
 * A decision as the lane announces it (the display, `--json`): the colour and reasons, and the
 * subject only masked. Never the raw payload, a full ID or a name.
 */
export const LaneDecisionSchema = Type.Object({
  ...DecisionSchema.properties,
  warnings: Type.Array(WarningCodeSchema, { maxItems: 16 }),
  /** The record's UUIDv7; null when the scan was a repeat and not recorded. */
  scanId: Type.Union([RecordId, Type.Null()]),
  seq: Type.Union([Counter({ minimum: 1 }), Type.Null()]),
  at: EpochMs(),
  source: ScanSource,
  device: Type.String(),
  format: PayloadFormatSchema,
  subject: Type.Union([Type.Object({ kind: Type.Enum(SUBJECT_KINDS), masked: Type.String() }), Type.Null()]),
  /** Time from the code's arrival to the decision, in ms (for the status strip and benches). */
  elapsedMs: Type.Number({ minimum: 0 }),
  /**
   * Vehicle mode: the vehicle this scan was recorded in (a plate scan opens its own), as it stands
   * after this scan. Absent: not in vehicle mode, not recorded, or no vehicle open.
   */
  vehicle: Type.Optional(VehicleSummarySchema),
});
/** A decision as the lane announces it. */
export type LaneDecision = Readonly<Static<typeof LaneDecisionSchema>>;

// ---- Messages: agent → display over `/ws` ---------------------------------------------------

/**
 * Each message the agent sends, by type: the schema of its fields beside `type`. The officer's
 * view gets all but `traveller`; the traveller's view only `hello` (bare) and `traveller`.
 */
export const DISPLAY_MESSAGE_SCHEMAS = {
  /** First message on every socket. The officer's carries the status, camera and desk; the traveller's nothing. */
  hello: Type.Object({
    status: Type.Optional(LaneStatusSchema),
    /** The lane's camera profile (`kiosk/src/profiles`), sent as it is; null: no camera. */
    camera: Type.Optional(Type.Unknown()),
    desk: Type.Optional(DeskSchema),
  }),
  /** The whole desk after any change (new scan, acknowledge, override): small, and never out of step. */
  desk: Type.Object({
    data: DeskSchema,
    /** The scan that just arrived, when a new scan made this change. */
    latest: Type.Union([RecordId, Type.Null()]),
  }),
  /** What the traveller's screen shows now: never why, and every non-green alike. */
  traveller: Type.Object({ data: TravellerViewSchema }),
  /** Each decision as the lane announces it (subject masked, never the holder): for tools and tests. */
  decision: Type.Object({ data: LaneDecisionSchema }),
  /** An override was recorded (the desk message that follows carries its effect). */
  override: Type.Object({
    data: Type.Object({
      scanId: RecordId,
      decision: DecisionColourSchema,
      originalDecision: DecisionColourSchema,
    }),
  }),
  device: Type.Object({ data: DeviceStateSchema }),
  sync: Type.Object({ data: LaneSyncViewSchema }),
  /**
   * The gate (relay and gate mode) after any change: open with its countdown, shut, fault, or the
   * officer panel unlocked. The traveller's screen gets it too, with `unlock` null.
   */
  gate: Type.Object({ data: GateViewSchema }),
  /** Sent every second so a display can tell a live agent from a dead or hung one. */
  tick: Type.Object({ data: Type.Object({ at: EpochMs() }) }),
};

/** The type of a message on the display channel. */
export type DisplayMessageType = keyof typeof DISPLAY_MESSAGE_SCHEMAS;

/** One message from the agent: switch on `type` and the compiler knows its fields. */
export type DisplayMessage = {
  [K in DisplayMessageType]: { readonly type: K } & Readonly<Static<(typeof DISPLAY_MESSAGE_SCHEMAS)[K]>>;
}[DisplayMessageType];

/** The message of one type. */
export type DisplayMessageOf<K extends DisplayMessageType> = Extract<DisplayMessage, { readonly type: K }>;

/** What the agent relays as it happens: every message but `hello` and `tick`, which the display server makes. */
export type RelayedMessage = Exclude<DisplayMessage, { readonly type: 'hello' | 'tick' }>;

/** What the traveller's screen is sent: a bare `hello`, then its view. */
export type TravellerMessage =
  { readonly type: 'hello' } | DisplayMessageOf<'traveller'> | DisplayMessageOf<'gate'>;

// ---- Actions: display → agent over HTTP -----------------------------------------------------

/** Where a code the display sends came from: the keypad, a keyboard-wedge scanner, the camera. */
export const DISPLAY_SOURCES = ['manual', 'wedge', 'camera'] as const;
/** Where a code the display sends came from. */
export type DisplaySource = (typeof DISPLAY_SOURCES)[number];

/**
 * Body of `POST /api/scans`: a code to decide. `source` is one of {@link DISPLAY_SOURCES}; a
 * missing or unknown one counts as typed by hand (`manual`), and a typed code is checked before
 * it is decided.
 */
export const SubmitRequestSchema = Type.Object({
  text: Type.String({ maxLength: 1024 }),
  source: Type.Optional(Type.Unknown()),
});
/** What the display posts to `/api/scans`. */
export type SubmitRequest = Omit<Static<typeof SubmitRequestSchema>, 'source'> & {
  readonly source?: DisplaySource;
};

/** The source a checked `POST /api/scans` body names: `wedge` or `camera`, else `manual`. */
export function submitSource(body: Static<typeof SubmitRequestSchema>): DisplaySource {
  return body.source === 'wedge' || body.source === 'camera' ? body.source : 'manual';
}

/** Answer 422 of `POST /api/scans`: a typed code that is not a valid ID, plate or passport. */
export const ManualEntryRefusalSchema = Type.Object({
  error: Type.Literal('invalid_entry'),
  reason: Type.Enum(MANUAL_ENTRY_PROBLEMS),
  /** The count of digits typed, for `not_12_digits`. */
  digits: Type.Optional(Type.Integer({ minimum: 0 })),
  message: Type.String(),
});

/** Body of `POST /api/scans/{scanId}/acknowledge`. */
export const AcknowledgeRequestSchema = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
/** What the display posts to acknowledge a scan. */
export type AcknowledgeRequest = Static<typeof AcknowledgeRequestSchema>;

/** Why an acknowledgement was refused: 404 for `unknown_scan`, else 409. */
export const ACKNOWLEDGE_REFUSALS = ['unknown_scan', 'already_handled', 'not_pending'] as const;
/** Why an acknowledgement was refused. */
export type AcknowledgeRefusalCode = (typeof ACKNOWLEDGE_REFUSALS)[number];

/** A refused acknowledgement, with a sentence for the screen. */
export const AcknowledgeRefusalSchema = Type.Object({
  ok: Type.Literal(false),
  error: Type.Enum(ACKNOWLEDGE_REFUSALS),
  message: Type.String(),
});

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
export type OverrideRequestBody = Static<typeof OverrideRequestSchema>;

/** Body of `POST /api/overrides`, the older form with the scan id in the body. */
export const OverrideByBodyRequestSchema = Type.Object(
  { scanId: Type.String(), ...OverrideRequestSchema.properties },
  { additionalProperties: false },
);

/** Why an override was refused (each has its HTTP status in the agent). */
export const OVERRIDE_REFUSALS = [
  'wrong_pin',
  'unknown_officer',
  'not_supervisor',
  'locked_out',
  'needs_supervisor',
  'supervisor_same_officer',
  'unknown_scan',
  'same_decision',
  'invalid_request',
] as const;
/** Why an override was refused. */
export type OverrideRefusalCode = (typeof OVERRIDE_REFUSALS)[number];

/** A refused override; a lock-out says whose and until when. */
export const OverrideRefusalSchema = Type.Object({
  ok: Type.Literal(false),
  error: Type.Enum(OVERRIDE_REFUSALS),
  message: Type.String(),
  lockedUntil: Type.Optional(EpochMs()),
  officerId: Type.Optional(Type.String()),
});

/** Body of `POST /api/vehicles/{scanId}/passed` ("Xe đã qua"): nothing (`{}`). */
export const VehiclePassedRequestSchema = Type.Object({}, { additionalProperties: false });

/** "Xe đã qua" done: the vehicle as it closed. */
export const VehiclePassedAnswerSchema = Type.Object({
  ok: Type.Literal(true),
  vehicle: VehicleSummarySchema,
});

/** Why "Xe đã qua" was refused: 404 for `unknown_vehicle`, 409 for `vehicle_closed`. */
export const VEHICLE_PASSED_REFUSALS = ['unknown_vehicle', 'vehicle_closed', 'not_vehicle_mode'] as const;
/** Why "Xe đã qua" was refused. */
export type VehiclePassedRefusalCode = (typeof VEHICLE_PASSED_REFUSALS)[number];

/** A refused "Xe đã qua", with a sentence for the screen. */
export const VehiclePassedRefusalSchema = Type.Object({
  ok: Type.Literal(false),
  error: Type.Enum(VEHICLE_PASSED_REFUSALS),
  message: Type.String(),
});

/** One action of the display: how it is asked, what it sends, what it gets back. */
export interface DisplayActionSpec {
  readonly method: 'GET' | 'POST';
  /** The path; `{scanId}` stands for the scan the action is bound to. */
  readonly path: string;
  /** Schema of the JSON body; null: no body. */
  readonly request: TSchema | null;
  /** Schema of a 2xx answer. */
  readonly answer: TSchema;
  /** Schema of a 4xx answer (every action may also answer the plain `{error, message}`). */
  readonly refusal: TSchema;
}

/** Every action the display may ask of the agent (all need the officer's session). */
export const DISPLAY_ACTIONS = {
  /** Devices, sync and checkpoint. */
  status: {
    method: 'GET',
    path: '/api/status',
    request: null,
    answer: LaneStatusSchema,
    refusal: ErrorAnswer,
  },
  /** The officers the override dialog lists, with each one's lock-out (no PIN hashes). */
  officers: {
    method: 'GET',
    path: '/api/officers',
    request: null,
    answer: Type.Array(DeskOfficerSchema),
    refusal: ErrorAnswer,
  },
  /** Decides a typed, wedge-scanned or camera-read code (200), or refuses a bad typed one (422). */
  submit: {
    method: 'POST',
    path: '/api/scans',
    request: SubmitRequestSchema,
    answer: LaneDecisionSchema,
    refusal: Type.Union([ManualEntryRefusalSchema, ErrorAnswer]),
  },
  /** "Đã xem" on one scan: the `ack` record (201), or 404/409 with why. */
  acknowledge: {
    method: 'POST',
    path: '/api/scans/{scanId}/acknowledge',
    request: AcknowledgeRequestSchema,
    answer: AcknowledgementRecordSchema,
    refusal: Type.Union([AcknowledgeRefusalSchema, ErrorAnswer]),
  },
  /** Overrides one scan's decision: the override record (201), or why not. */
  override: {
    method: 'POST',
    path: '/api/scans/{scanId}/override',
    request: OverrideRequestSchema,
    answer: OverrideRecordSchema,
    refusal: Type.Union([OverrideRefusalSchema, ErrorAnswer]),
  },
  /**
   * "Xe đã qua": closes the open vehicle named by its id (the plate scan's id) in the path, so a
   * tap on a panel still showing one vehicle never closes the next (409 `vehicle_closed`).
   */
  vehiclePassed: {
    method: 'POST',
    path: '/api/vehicles/{scanId}/passed',
    request: VehiclePassedRequestSchema,
    answer: VehiclePassedAnswerSchema,
    refusal: Type.Union([VehiclePassedRefusalSchema, ErrorAnswer]),
  },
  /**
   * Gate mode: an officer opens the officer panel for a minute with a PIN (after the hidden corner
   * tap); 200 with the unlock, 403/404/409 with why. A staff card scanned at the lane does the same.
   */
  gateUnlock: {
    method: 'POST',
    path: '/api/gate/unlock',
    request: GateUnlockRequestSchema,
    answer: GateUnlockAnswerSchema,
    refusal: Type.Union([GateUnlockRefusalSchema, ErrorAnswer]),
  },
  /** Gate mode: the officer closes the panel before its minute is up (body `{}`). */
  gateLock: {
    method: 'POST',
    path: '/api/gate/lock',
    request: Type.Object({}, { additionalProperties: false }),
    answer: GateUnlockAnswerSchema,
    refusal: ErrorAnswer,
  },
  /** The older override form (scan id in the body); the display uses `override`. */
  overrideByBody: {
    method: 'POST',
    path: '/api/overrides',
    request: OverrideByBodyRequestSchema,
    answer: OverrideRecordSchema,
    refusal: Type.Union([OverrideRefusalSchema, ErrorAnswer]),
  },
} as const satisfies Record<string, DisplayActionSpec>;

/** The name of a display action. */
export type DisplayActionName = keyof typeof DISPLAY_ACTIONS;
type Spec<A extends DisplayActionName> = (typeof DISPLAY_ACTIONS)[A];

/** The body an action takes (`never` for one without a body). */
export type DisplayActionRequest<A extends DisplayActionName> = Spec<A>['request'] extends TSchema
  ? Static<Spec<A>['request']>
  : never;
/** An action's 2xx answer. */
export type DisplayActionAnswer<A extends DisplayActionName> = Static<Spec<A>['answer']>;
/** An action's 4xx answer. */
export type DisplayActionRefusal<A extends DisplayActionName> = Static<Spec<A>['refusal']>;

/** What the display gets back from an action: its answer, or its refusal (null: no readable body). */
export type DisplayReply<A extends DisplayActionName> =
  | { readonly ok: true; readonly status: number; readonly body: DisplayActionAnswer<A> }
  | { readonly ok: false; readonly status: number; readonly body: DisplayActionRefusal<A> | null };

/** An action's path, bound to `scanId` when the action names a scan. */
export function displayActionPath(action: DisplayActionName, scanId = ''): string {
  return DISPLAY_ACTIONS[action].path.replace('{scanId}', encodeURIComponent(scanId));
}

/** The action a request asks for, with the scan its path names (as sent, not yet checked); null: none. */
export function matchDisplayAction(
  method: string,
  pathname: string,
): { readonly action: DisplayActionName; readonly scanId: string } | null {
  for (const action of Object.keys(DISPLAY_ACTIONS) as DisplayActionName[]) {
    const spec: DisplayActionSpec = DISPLAY_ACTIONS[action];
    if (spec.method !== method) continue;
    const [before, after] = spec.path.split('{scanId}');
    if (after === undefined) {
      if (pathname === before) return { action, scanId: '' };
      continue;
    }
    const middle = before !== undefined && pathname.startsWith(before) && pathname.endsWith(after);
    const scanId = middle ? pathname.slice(before.length, pathname.length - after.length) : '';
    if (scanId !== '' && !scanId.includes('/')) return { action, scanId };
  }
  return null;
}
