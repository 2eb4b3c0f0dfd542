import type { WarningCode } from '../decision/reason-codes.js';
import type { ParsedPass } from '../passes/pass-codec.js';
import type { Result } from '../result.js';
import type { Subject } from '../subjects/subject.js';

/** Formats a lane can read. */
export type PayloadFormat =
  'chip_id_card' | 'unified_personal_qr' | 'personal_id' | 'passport' | 'vehicle_plate' | 'lane_pass';

/** Sex as printed on a chip ID card. */
export type Sex = 'male' | 'female';

/** A calendar date without a time zone. */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * The card holder's name and birth date as the chip ID card's QR prints them, so the officer can
 * match card and face. Officer screen only: never stored, logged, uploaded or shown to travellers.
 */
export interface CardHolder {
  readonly name: string;
  /** `dd/MM/yyyy`; null when the card's date is unreadable. */
  readonly birthDate: string | null;
}

/**
 * What a payload says, reduced to what the decision, the ID checks and the officer need.
 * Addresses are dropped in the parser; a card's name travels only as `holder`, for the officer.
 */
export interface ParsedPayload {
  readonly format: PayloadFormat;
  /** Whom the lists are asked about; null when the code hides it (masked document number). */
  readonly subject: Subject | null;
  /** Date of birth, where the code carries one in full. */
  readonly birthDate?: CalendarDate;
  /** Birth year alone, where the code masks day and month. */
  readonly birthYear?: number;
  readonly sex?: Sex;
  /** Plate as people write it (`51F-123.45`), for vehicle plates. */
  readonly displayForm?: string;
  /** Name and birth date from a chip ID card, for the officer's eyes only (see `CardHolder`). */
  readonly holder?: CardHolder;
  /**
   * A signed lane pass (format `lane_pass`), its signature not yet checked: the lane checks it
   * with `checkPass` and hands the verdict to `decide`. Route and validity are for the officer.
   */
  readonly pass?: ParsedPass;
  readonly warnings: readonly WarningCode[];
}

/** Why a payload could not be read. Codes are also decision reasons. */
export type PayloadErrorCode =
  | 'payload_empty'
  | 'payload_too_long'
  | 'payload_unknown_format'
  | 'personal_id_invalid'
  | 'payload_field_invalid';

/** A payload that could not be read: a stable code and a message for logs (no personal data). */
export interface PayloadError {
  readonly code: PayloadErrorCode;
  readonly message: string;
  /** The format the payload looked like, when it got that far. */
  readonly format?: PayloadFormat;
}

/** The result of reading a payload (`value` is the parsed payload): parsers never throw. */
export type PayloadResult = Result<ParsedPayload, PayloadError>;

/**
 * One payload format. `parse` answers null when the text is not of its format at all (the
 * next parser is tried), or a result (success, or an error once the format is recognised).
 */
export interface PayloadParser {
  readonly format: PayloadFormat;
  parse(text: string, context: ParseContext): PayloadResult | null;
}

/** What parsers may need beyond the text: the current time, to tell a future birth year. */
export interface ParseContext {
  readonly now: number;
}
