// Unattended gates (issue 17): what a lane says of its gate relay and gate mode, to its displays
// (the `gate` message) and to the server (the heartbeat's `gate`). No personal data: states,
// fault codes and counts only. Red and amber both shut the gate and read `shut` here, as on the
// traveller's screen: the queue never learns who is flagged.
import Type, { type Static } from 'typebox';
import { Counter, EpochMs } from '../schemas/bounds.js';

/**
 * Where the gate stands: `idle` shut and ready; `open` open for a green (until `openUntil`);
 * `shut` shut after a red or an amber (for the hold, then idle); `fault` shut because something
 * the gate relies on is lost (see `faults`).
 */
export const GATE_STATES = ['idle', 'open', 'shut', 'fault'] as const;
/** Where the gate stands. */
export type GateState = (typeof GATE_STATES)[number];

/**
 * Why a gate is held shut: its relay board is lost, the scanner is lost, no gate screen is
 * connected, the lane cannot unseal its secrets, or the agent is stopping.
 */
export const GATE_FAULTS = [
  'relay_lost',
  'scanner_lost',
  'display_lost',
  'lane_locked',
  'agent_stopping',
] as const;
/** Why a gate is held shut. */
export type GateFault = (typeof GATE_FAULTS)[number];

/** What a gate has done since the lane started (the heartbeat reports it; never who). */
export const GateCountsSchema = Type.Object({
  /** Gate opened for a green (once per recorded scan). */
  opens: Counter(),
  /** Gate driven shut (after an open, at start, at stop). */
  shuts: Counter(),
  /** Recorded red decisions at this gate (repeats not counted). */
  reds: Counter(),
  /** Recorded amber decisions at this gate (repeats not counted). */
  ambers: Counter(),
  /** Greens that were repeats (not recorded): the gate did not open again. */
  repeats: Counter(),
  /**
   * Recorded greens refused by anti-passback: the same code had opened the gate within the
   * relay profile's `passbackSec` (the gate stayed shut: "see staff"). Optional: reports from
   * lanes (and stored reports) from before this count read without it.
   */
  passbacks: Type.Optional(Counter()),
  /** Times the gate went into fault. */
  faults: Counter(),
  /** Frames the relay could not be sent. */
  writeFailures: Counter(),
  /** Officer panel unlocks at an unattended lane (staff card or PIN). */
  unlocks: Counter(),
  /**
   * Failed officer panel unlocks at an unattended lane (refused PINs and staff cards; 10 within
   * 10 minutes refuse every PIN for 10 minutes). Optional: reports from lanes (and stored reports)
   * from before this count read without it.
   */
  unlockFailures: Type.Optional(Counter()),
});
/** What a gate has done since the lane started. */
export type GateCounts = Static<typeof GateCountsSchema>;

/** Who has the officer panel open at an unattended lane, and until when. */
export const GateUnlockSchema = Type.Object({
  officerId: Type.String({ maxLength: 64 }),
  /** Epoch ms at which the panel locks again. */
  until: EpochMs(),
  via: Type.Enum(['staff_card', 'pin'] as const),
});
/** Who has the officer panel open. */
export type GateUnlock = Static<typeof GateUnlockSchema>;

/**
 * The gate as displays get it (`gate` message): the officer's screen all of it, the traveller's
 * screen the same with `unlock` null.
 */
export const GateViewSchema = Type.Object({
  /** Gate mode: no officer at the lane (`--gate-mode`). */
  unattended: Type.Boolean(),
  /** The relay driven (e.g. `serial:/dev/ttyUSB0`); null: no relay. */
  relay: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
  state: Type.Enum(GATE_STATES),
  /** While `open`: when the gate shuts again (epoch ms). */
  openUntil: Type.Union([EpochMs(), Type.Null()]),
  faults: Type.Array(Type.Enum(GATE_FAULTS), { maxItems: GATE_FAULTS.length }),
  unlock: Type.Union([GateUnlockSchema, Type.Null()]),
  /**
   * When the lane last refused a staff card (lane clock, epoch ms), whichever scanner read it: the
   * gate screen says "Thẻ nhân viên không hợp lệ" briefly when it changes. The traveller's screen
   * gets null. Absent or null: none refused since the lane started.
   */
  cardRefusedAt: Type.Optional(Type.Union([EpochMs(), Type.Null()])),
});
/** The gate as displays get it. */
export type GateView = Static<typeof GateViewSchema>;

/** The heartbeat's `gate`: sent by a lane in gate mode or driving a relay. */
export const GateReportSchema = Type.Object({
  unattended: Type.Boolean(),
  relay: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
  state: Type.Enum(GATE_STATES),
  faults: Type.Array(Type.Enum(GATE_FAULTS), { maxItems: GATE_FAULTS.length }),
  counts: GateCountsSchema,
});
/** The heartbeat's `gate`. */
export type GateReport = Static<typeof GateReportSchema>;

/** Body of `POST /api/gate/unlock`: an officer opens the panel with a PIN (hidden corner tap). */
export const GateUnlockRequestSchema = Type.Object(
  {
    officerId: Type.String({ minLength: 1, maxLength: 64 }),
    pin: Type.String({ pattern: '^[0-9]{4,8}$' }),
  },
  { additionalProperties: false },
);
/** Why an unlock was refused (403 for a wrong or locked PIN, 404 unknown officer, 409 not gate mode). */
export const GATE_UNLOCK_REFUSALS = ['wrong_pin', 'locked_out', 'unknown_officer', 'not_gate_mode'] as const;
/** Answer 4xx of `POST /api/gate/unlock`. */
export const GateUnlockRefusalSchema = Type.Object({
  ok: Type.Literal(false),
  error: Type.Enum(GATE_UNLOCK_REFUSALS),
  message: Type.String(),
  lockedUntil: Type.Optional(EpochMs()),
});
/** Answer 200 of `POST /api/gate/unlock` and `POST /api/gate/lock`: the panel's state now. */
export const GateUnlockAnswerSchema = Type.Object({
  ok: Type.Literal(true),
  unlock: Type.Union([GateUnlockSchema, Type.Null()]),
});
