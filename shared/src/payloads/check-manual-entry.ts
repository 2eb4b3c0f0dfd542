import type { Language } from '../decision/decision-messages.js';
import { checkPersonalId } from '../personal-id/check-personal-id.js';
import { fail, ok, type Result } from '../result.js';
import type { Subject } from '../subjects/subject.js';
import { normalizePayload } from './normalize-payload.js';
import { personalIdParser } from './parse-personal-id.js';
import { passportParser, vehiclePlateParser } from './parse-vehicle-plate.js';

/** Longest text the manual-entry keypad accepts (a plate written `59-X1 123.45` is 12). */
export const MAX_MANUAL_ENTRY_LENGTH = 20;

/** Why a typed code is refused in the manual-entry dialog (nothing is recorded). */
export type ManualEntryProblem =
  | 'empty'
  | 'too_long'
  | 'unexpected_character'
  | 'not_12_digits'
  | 'unknown_province'
  | 'birth_year_in_future'
  | 'not_a_plate_or_passport';

/** Every manual-entry problem, for exhaustive message tables and tests. */
export const MANUAL_ENTRY_PROBLEMS: readonly ManualEntryProblem[] = [
  'empty',
  'too_long',
  'unexpected_character',
  'not_12_digits',
  'unknown_province',
  'birth_year_in_future',
  'not_a_plate_or_passport',
];

/**
 * A typed code the lane will read: `text` is what to hand the lane (the agent's parser reads
 * exactly `subject` from it) and `shown` is how to show it back (`079 3 01 004567`,
 * `30G-123.45`, `N1234567`).
 */
export interface ManualEntry {
  readonly subject: Subject;
  readonly text: string;
  readonly shown: string;
}

/** Why a typed code is refused; `digits` is the count of digits typed, for `not_12_digits`. */
export interface ManualEntryRefusal {
  readonly reason: ManualEntryProblem;
  readonly digits?: number;
}

/** The verdict on what an officer typed. */
export type ManualEntryCheck = Result<ManualEntry, ManualEntryRefusal>;

/** Characters an officer may type: the keypad's own, plus spaces from a physical keyboard. */
const ALLOWED = /^[0-9A-Z.\- ]*$/;
const SEPARATORS = /[.\- ]/g;

/** Groups a 12-digit ID as it is read aloud: province, century/sex, year, serial. */
export function groupPersonalId(digits: string): string {
  return [digits.slice(0, 3), digits.slice(3, 4), digits.slice(4, 6), digits.slice(6)]
    .filter((part) => part !== '')
    .join(' ');
}

/**
 * Checks a code typed in the manual-entry dialog: a 12-digit personal ID with a known province
 * and a birth year not in the future, a vehicle plate (`30G-123.45`, `51F12345`,
 * `59-X1 123.45`) or a passport number (`N1234567`). Never throws.
 */
export function checkManualEntry(text: string, now: number): ManualEntryCheck {
  try {
    if (text.length > MAX_MANUAL_ENTRY_LENGTH * 4) return fail({ reason: 'too_long' });
    const typed = normalizePayload(text).toUpperCase();
    if (typed === '') return fail({ reason: 'empty' });
    if (typed.length > MAX_MANUAL_ENTRY_LENGTH) return fail({ reason: 'too_long' });
    if (!ALLOWED.test(typed)) return fail({ reason: 'unexpected_character' });
    const compact = typed.replace(SEPARATORS, '');
    if (compact === '') return fail({ reason: 'empty' });
    const context = { now };
    if (/^\d+$/.test(compact)) {
      // Digits alone can only be a personal ID: say precisely what is wrong with it.
      const check = checkPersonalId(compact, now);
      if (!check.ok) {
        return check.error === 'not_12_digits'
          ? fail({ reason: 'not_12_digits', digits: compact.length })
          : fail({ reason: check.error });
      }
      const parsed = personalIdParser.parse(compact, context);
      if (parsed?.ok !== true || parsed.value.subject === null) {
        return fail({ reason: 'not_12_digits', digits: compact.length });
      }
      return ok({ subject: parsed.value.subject, text: compact, shown: groupPersonalId(compact) });
    }
    const plate = vehiclePlateParser.parse(typed, context);
    if (plate?.ok === true && plate.value.subject !== null) {
      return ok({
        subject: plate.value.subject,
        text: typed,
        shown: plate.value.displayForm ?? plate.value.subject.value,
      });
    }
    // A passport number is letters then digits, never written with - or . (G30-123.45 is a typo).
    const unspaced = typed.replace(/ /g, '');
    const passport = passportParser.parse(unspaced, context);
    if (passport?.ok === true && passport.value.subject !== null) {
      return ok({ subject: passport.value.subject, text: unspaced, shown: unspaced });
    }
    return fail({ reason: 'not_a_plate_or_passport' });
  } catch {
    // The checks above are written not to throw; a dialog must still answer if one ever does.
    return fail({ reason: 'not_a_plate_or_passport' });
  }
}

const MESSAGES: Readonly<Record<ManualEntryProblem, Readonly<Record<Language, string>>>> = {
  empty: { vi: 'Chưa nhập mã', en: 'Nothing typed yet' },
  too_long: {
    vi: `Quá dài: tối đa ${MAX_MANUAL_ENTRY_LENGTH} ký tự`,
    en: `Too long: at most ${MAX_MANUAL_ENTRY_LENGTH} characters`,
  },
  unexpected_character: {
    vi: 'Chỉ dùng chữ số, chữ cái, dấu "-" và "."',
    en: 'Use only digits, letters, "-" and "."',
  },
  not_12_digits: {
    vi: 'Số định danh phải có đúng 12 chữ số',
    en: 'A personal ID has exactly 12 digits',
  },
  unknown_province: {
    vi: '3 số đầu không phải mã tỉnh: kiểm tra lại',
    en: 'The first 3 digits are not a province code: check again',
  },
  birth_year_in_future: {
    vi: 'Năm sinh trong số định danh chưa đến: kiểm tra lại',
    en: 'The birth year in this ID is in the future: check again',
  },
  not_a_plate_or_passport: {
    vi: 'Không phải số định danh, biển số (30G-123.45) hay hộ chiếu (N1234567)',
    en: 'Not an ID, a plate (30G-123.45) or a passport (N1234567)',
  },
};

/** Says in words why a typed code was refused, with the digit count for a short or long ID. */
export function describeManualEntryProblem(refusal: ManualEntryRefusal, language: Language): string {
  const message = MESSAGES[refusal.reason][language];
  if (refusal.reason !== 'not_12_digits' || refusal.digits === undefined) return message;
  return language === 'vi'
    ? `${message} (đã nhập ${refusal.digits})`
    : `${message} (${refusal.digits} typed)`;
}
