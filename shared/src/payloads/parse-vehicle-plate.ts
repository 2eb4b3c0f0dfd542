import { ok } from '../result.js';
import { payloadError } from './payload-errors.js';
import type { PayloadParser, PayloadResult } from './payload-types.js';

/** Characters a plate may be written with, separators included. */
const PLATE_CHARS = /^[0-9A-Z.\-\s]{6,16}$/;
/** Compact plate: province (2 digits), series (1–2 letters), then 4–6 digits. */
const COMPACT_PLATE = /^(\d{2})([A-Z]{1,2})(\d{4,6})$/;

/** A plate's parts: the key is the compact upper-case form; the display form is rebuilt. */
export interface PlateParts {
  readonly compact: string;
  readonly displayForm: string;
}

/**
 * Reads a Vietnamese plate in any common writing — `51F-123.45`, `29A-12345`, `59-X1 123.45`,
 * `51f12345` — into its compact key (`51F12345`) and display form. Null if it is not a plate.
 */
export function parsePlate(text: string): PlateParts | null {
  const upper = text.trim().toUpperCase();
  if (!PLATE_CHARS.test(upper)) return null;
  const compact = upper.replace(/[.\-\s]/g, '');
  const m = COMPACT_PLATE.exec(compact);
  if (m === null) return null;
  const [, province = '', letters = '', digits = ''] = m;
  // A motorbike series carries a digit after its letter(s) (`X1`): written `59-X1 123.45`.
  // Six digits after the letters can only be that; five are a car unless the writing says
  // otherwise (a separator after the series digit, as in `29-B1 2345`).
  const motorbike =
    digits.length === 6 ||
    (digits.length === 5 && new RegExp(`${letters}${digits[0] ?? ''}[\\s.-]`).test(upper));
  const series = motorbike ? letters + digits.slice(0, 1) : letters;
  const number = motorbike ? digits.slice(1) : digits;
  const shown = number.length === 5 ? `${number.slice(0, 3)}.${number.slice(3)}` : number;
  return {
    compact,
    displayForm: motorbike ? `${province}-${series} ${shown}` : `${province}${series}-${shown}`,
  };
}

/** Reads a vehicle plate (typed by the officer or from a green-lane vehicle pass). */
export const vehiclePlateParser: PayloadParser = {
  format: 'vehicle_plate',
  parse(text: string): PayloadResult | null {
    const plate = parsePlate(text);
    if (plate === null) return null;
    if (plate.compact.length > 11) {
      return payloadError('payload_field_invalid', 'plate number too long', 'vehicle_plate');
    }
    return ok({
      format: 'vehicle_plate',
      subject: { kind: 'plate', value: plate.compact },
      displayForm: plate.displayForm,
      warnings: [],
    });
  },
};

/** Reads a bare passport number (`B1234567`, `C12345678`). */
export const passportParser: PayloadParser = {
  format: 'passport',
  parse(text: string): PayloadResult | null {
    const compact = text.trim().toUpperCase();
    if (!/^[A-Z]{1,2}\d{7,8}$/.test(compact)) return null;
    return ok({ format: 'passport', subject: { kind: 'passport', value: compact }, warnings: [] });
  },
};
