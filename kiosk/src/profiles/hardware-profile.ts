import { readFileSync } from 'node:fs';
import Type from 'typebox';
import Value from 'typebox/value';

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

/** Any hardware profile. */
export const HardwareProfileSchema = Type.Union([SerialProfile, HidPosProfile, CameraProfile]);
/** A hardware profile. */
export type HardwareProfile = Type.Static<typeof HardwareProfileSchema>;
/** A serial scanner profile. */
export type SerialProfile = Type.Static<typeof SerialProfile>;
/** A HID POS scanner profile. */
export type HidPosProfile = Type.Static<typeof HidPosProfile>;
/** A camera profile. */
export type CameraProfile = Type.Static<typeof CameraProfile>;

const BY_KIND = { serial: SerialProfile, 'hid-pos': HidPosProfile, camera: CameraProfile } as const;

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
  if (Value.Check(schema, value)) return { ok: true, profile: value };
  const [first] = Value.Errors(schema, value);
  const field = first?.instancePath === '' ? '/' : (first?.instancePath ?? '/');
  // TypeBox reports a field that `additionalProperties: false` forbids as "schema is false" at it.
  const unknownField = first?.keyword === 'additionalProperties' || first?.message === 'schema is false';
  const detail = unknownField
    ? `unknown field ${JSON.stringify(field.split('/').at(-1))}`
    : (first?.message ?? 'invalid');
  return { ok: false, field, message: detail };
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
