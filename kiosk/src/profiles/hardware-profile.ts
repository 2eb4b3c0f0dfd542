import { readFileSync } from 'node:fs';
import Type from 'typebox';
import Value from 'typebox/value';
import { formatHexFrame, frameCheckProblem, parseHexFrame } from './relay-frames.js';

const Byte = Type.Integer({ minimum: 0, maximum: 255 });
const Offset = Type.Integer({ minimum: 0, maximum: 1023 });
const UsbId = Type.Integer({ minimum: 0, maximum: 0xffff });

const Base = {
  $schema: Type.Optional(Type.String()),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,63}$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  notes: Type.Optional(Type.String({ maxLength: 2000 })),
};

/** A serial (RS-232 or USB-CDC) scanner. */
export const SerialProfile = Type.Object(
  {
    ...Base,
    kind: Type.Literal('serial'),
    /** Default device path; `--scanner serial:PATH` overrides it (ptys are not listed by udev). */
    path: Type.Optional(Type.String({ minLength: 1 })),
    serial: Type.Object(
      {
        baudRate: Type.Integer({ minimum: 110, maximum: 4_000_000 }),
        dataBits: Type.Optional(
          Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)]),
        ),
        parity: Type.Optional(Type.Enum(['none', 'even', 'odd'])),
        stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
        framing: Type.Object(
          {
            suffix: Type.Enum(['CR', 'CRLF', 'LF', 'ETX', 'TAB']),
            prefix: Type.Optional(Type.String({ maxLength: 8 })),
            maxFrameBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: 65_536 })),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** A USB HID POS scanner (usage page 0x8C) with its vendor's report layout. */
export const HidPosProfile = Type.Object(
  {
    ...Base,
    kind: Type.Literal('hid-pos'),
    hid: Type.Object(
      {
        vendorId: UsbId,
        productIds: Type.Optional(Type.Array(UsbId, { minItems: 1 })),
        usagePage: UsbId,
        usage: UsbId,
        report: Type.Object(
          {
            reportId: Type.Union([Byte, Type.Null()]),
            lengthOffset: Offset,
            dataOffset: Offset,
            dataCapacity: Type.Integer({ minimum: 1, maximum: 1024 }),
            aimOffset: Type.Union([Offset, Type.Null()]),
            continuedOffset: Type.Union([Offset, Type.Null()]),
            continuedMask: Byte,
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const Fraction = Type.Number({ minimum: 0, maximum: 1 });

/** A camera lane (UVC webcam): what the display asks `getUserMedia` for and where to look. */
export const CameraProfile = Type.Object(
  {
    ...Base,
    kind: Type.Literal('camera'),
    camera: Type.Object(
      {
        width: Type.Integer({ minimum: 160, maximum: 7680 }),
        height: Type.Integer({ minimum: 120, maximum: 4320 }),
        fps: Type.Integer({ minimum: 1, maximum: 120 }),
        /** Region of interest as fractions of the frame; decoding looks only there. */
        roi: Type.Object(
          { x: Fraction, y: Fraction, width: Fraction, height: Fraction },
          { additionalProperties: false },
        ),
        facingMode: Type.Optional(Type.Enum(['user', 'environment'])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** One relay command frame: hex bytes (`"A0 01 01 A2"`); the loader checks it. */
const RelayFrame = Type.String({ minLength: 1, maxLength: 400 });
/** Relay command frames, sent in order. */
const RelayFrames = Type.Array(RelayFrame, { minItems: 1, maxItems: 32 });
const Millis = (minimum: number, maximum: number): ReturnType<typeof Type.Integer> =>
  Type.Integer({ minimum, maximum });

/**
 * A relay board driving a gate barrier and/or a tower light (issue 17): the frames to send per
 * gate state. `idle` shuts the gate (lights at rest); only `green` opens it; `red`, `amber` and
 * `fault` must leave it shut (`fault` defaults to `amber`'s frames). `barrier` names the frames
 * that switch the barrier's channel, so the loader can check that: green has `barrier.open`;
 * idle, red, amber, fault have `barrier.shut` and never `barrier.open` (the keep-alive's frames
 * never `barrier.open` either). Without it the loader checks that no shut state sends a frame of
 * green's that idle does not send, and that idle is not green.
 */
export const RelayProfile = Type.Object(
  {
    ...Base,
    kind: Type.Literal('relay'),
    relay: Type.Object(
      {
        transport: Type.Enum(['serial', 'hid']),
        /** Line settings for transport `serial`; `path` is the default device (`--relay serial:PATH` overrides it). */
        serial: Type.Optional(
          Type.Object(
            {
              path: Type.Optional(Type.String({ minLength: 1 })),
              baudRate: Type.Integer({ minimum: 110, maximum: 4_000_000 }),
              dataBits: Type.Optional(
                Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)]),
              ),
              parity: Type.Optional(Type.Enum(['none', 'even', 'odd'])),
              stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
            },
            { additionalProperties: false },
          ),
        ),
        /** The USB device for transport `hid`, and how frames go to it (feature or output reports). */
        hid: Type.Optional(
          Type.Object(
            { vendorId: UsbId, productId: UsbId, report: Type.Enum(['feature', 'output']) },
            { additionalProperties: false },
          ),
        ),
        frameCheck: Type.Enum(['none', 'lcus', 'modbus-rtu']),
        /** `echo`: the board answers each frame with the same bytes (Modbus function 05); checked. */
        reply: Type.Optional(Type.Enum(['none', 'echo'])),
        commands: Type.Object(
          {
            idle: RelayFrames,
            green: RelayFrames,
            red: RelayFrames,
            amber: RelayFrames,
            fault: Type.Optional(RelayFrames),
          },
          { additionalProperties: false },
        ),
        /** How long a green keeps the gate open. */
        openMs: Millis(500, 60_000),
        /** How long red/amber frames stay before idle (default 5000). */
        holdMs: Type.Optional(Millis(500, 60_000)),
        /**
         * Anti-passback (seconds): a code that opened the gate does not open it again within this
         * (the gate stays shut: see staff); 0: off. Default 300. Held in memory: a restart forgets.
         */
        passbackSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
        /** The barrier channel's frames: `open` (only in green) and `shut` (in every other state). */
        barrier: Type.Optional(
          Type.Object({ open: RelayFrame, shut: RelayFrame }, { additionalProperties: false }),
        ),
        /** For boards with a hardware watchdog; no `frames`: the current state's frames again. */
        keepAlive: Type.Optional(
          Type.Object(
            { everyMs: Millis(100, 60_000), frames: Type.Optional(RelayFrames) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Any hardware profile. */
export const HardwareProfileSchema = Type.Union([SerialProfile, HidPosProfile, CameraProfile, RelayProfile]);
/** A hardware profile. */
export type HardwareProfile = Type.Static<typeof HardwareProfileSchema>;
/** A serial scanner profile. */
export type SerialProfile = Type.Static<typeof SerialProfile>;
/** A HID POS scanner profile. */
export type HidPosProfile = Type.Static<typeof HidPosProfile>;
/** A camera profile. */
export type CameraProfile = Type.Static<typeof CameraProfile>;
/** A relay board profile (gate barrier, tower light). */
export type RelayProfile = Type.Static<typeof RelayProfile>;

const BY_KIND = {
  serial: SerialProfile,
  'hid-pos': HidPosProfile,
  camera: CameraProfile,
  relay: RelayProfile,
} as const;

/** A profile, or why it was refused: the field that is wrong and what is wrong with it. */
export type ProfileResult =
  { ok: true; profile: HardwareProfile } | { ok: false; field: string; message: string };

/** Checks parsed JSON against the profile schema of its `kind`, naming the first wrong field. */
export function validateHardwareProfile(value: unknown): ProfileResult {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !(kind in BY_KIND)) {
    return { ok: false, field: '/kind', message: `must be one of ${Object.keys(BY_KIND).join(', ')}` };
  }
  const schema = BY_KIND[kind as keyof typeof BY_KIND];
  if (Value.Check(schema, value)) {
    if (value.kind === 'relay') {
      const problem = relayProblem(value);
      if (problem) return { ok: false, ...problem };
    }
    return { ok: true, profile: value };
  }
  const [first] = Value.Errors(schema, value);
  const field = first?.instancePath === '' ? '/' : (first?.instancePath ?? '/');
  // TypeBox reports a field that `additionalProperties: false` forbids as "schema is false" at it.
  const unknownField = first?.keyword === 'additionalProperties' || first?.message === 'schema is false';
  const detail = unknownField
    ? `unknown field ${JSON.stringify(field.split('/').at(-1))}`
    : (first?.message ?? 'invalid');
  return { ok: false, field, message: detail };
}

const COMMANDS = ['idle', 'green', 'red', 'amber', 'fault'] as const;

/** What the schema cannot say of a relay profile: transport settings present, frames well formed. */
function relayProblem(profile: RelayProfile): { field: string; message: string } | null {
  const relay = profile.relay;
  const other = relay.transport === 'serial' ? 'hid' : 'serial';
  if (relay[relay.transport] === undefined) {
    return { field: `/relay/${relay.transport}`, message: `is required for transport ${relay.transport}` };
  }
  if (relay[other] !== undefined) {
    return { field: `/relay/${other}`, message: `is only for transport ${other}, not ${relay.transport}` };
  }
  if (relay.reply === 'echo' && relay.transport !== 'serial') {
    return { field: '/relay/reply', message: 'echo replies are read from serial boards only' };
  }
  const lists: [string, readonly string[] | undefined][] = [
    ...COMMANDS.map((name): [string, readonly string[] | undefined] => [
      `/relay/commands/${name}`,
      relay.commands[name],
    ]),
    ['/relay/keepAlive/frames', relay.keepAlive?.frames],
    ['/relay/barrier/open', relay.barrier === undefined ? undefined : [relay.barrier.open]],
    ['/relay/barrier/shut', relay.barrier === undefined ? undefined : [relay.barrier.shut]],
  ];
  // Each frame as canonical hex ("A0 01 01 A2"), per list, for the safety checks below.
  const canonical = new Map<string, string[]>();
  for (const [path, frames] of lists) {
    const list: string[] = [];
    for (const [index, text] of (frames ?? []).entries()) {
      const field = path.startsWith('/relay/barrier/') ? path : `${path}/${index}`;
      const parsed = parseHexFrame(text);
      if (!parsed.ok) return { field, message: parsed.message };
      const wrong = frameCheckProblem(parsed.bytes, relay.frameCheck);
      if (wrong !== null) return { field, message: wrong };
      list.push(formatHexFrame(parsed.bytes));
    }
    if (frames !== undefined) canonical.set(path, list);
  }
  return shutProblem(canonical, relay.barrier !== undefined);
}

/** The states that must leave the gate shut, and the keep-alive (sent in any state). */
const SHUT_LISTS = [
  '/relay/commands/idle',
  '/relay/commands/red',
  '/relay/commands/amber',
  '/relay/commands/fault',
  '/relay/keepAlive/frames',
] as const;

/**
 * A "shut" that opens: with `barrier`, green must send `barrier.open`, every shut state
 * `barrier.shut` and none `barrier.open`; without it, no shut state may send a frame of green's
 * that idle does not send, and idle may not be green. Frames as canonical hex, per field.
 */
function shutProblem(
  frames: Map<string, string[]>,
  hasBarrier: boolean,
): { field: string; message: string } | null {
  const green = frames.get('/relay/commands/green') ?? [];
  const idle = frames.get('/relay/commands/idle') ?? [];
  if (hasBarrier) {
    const open = frames.get('/relay/barrier/open')?.[0] ?? '';
    const shut = frames.get('/relay/barrier/shut')?.[0] ?? '';
    if (open === shut) return { field: '/relay/barrier/shut', message: 'must differ from barrier.open' };
    if (!green.includes(open)) {
      return {
        field: '/relay/commands/green',
        message: `must send barrier.open (${open}): green opens the gate`,
      };
    }
    for (const path of SHUT_LISTS) {
      const list = frames.get(path);
      if (list === undefined) continue;
      const at = list.indexOf(open);
      if (at >= 0) {
        return {
          field: `${path}/${at}`,
          message: `is barrier.open (${open}): this state must leave the gate shut`,
        };
      }
      if (path !== '/relay/keepAlive/frames' && !list.includes(shut)) {
        return {
          field: path,
          message: `must send barrier.shut (${shut}): this state must leave the gate shut`,
        };
      }
    }
    return null;
  }
  if (green.length === idle.length && green.every((frame, i) => frame === idle[i])) {
    return { field: '/relay/commands/idle', message: 'is the same as green: idle must shut the gate' };
  }
  const opening = new Set(green.filter((frame) => !idle.includes(frame)));
  if (opening.size === 0) {
    return {
      field: '/relay/commands/green',
      message: 'sends nothing idle does not: green must open the gate (declare relay.barrier to say how)',
    };
  }
  for (const path of SHUT_LISTS) {
    const list = frames.get(path) ?? [];
    const at = list.findIndex((frame) => opening.has(frame));
    if (at >= 0) {
      return {
        field: `${path}/${at}`,
        message: `${list[at] ?? ''} is a frame of green (not of idle): this state must leave the gate shut`,
      };
    }
  }
  return null;
}

/** Reads and validates a profile file; the error says which file and which field. */
export function loadHardwareProfile(file: string): ProfileResult {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return {
      ok: false,
      field: '/',
      message: `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return validateHardwareProfile(value);
}
