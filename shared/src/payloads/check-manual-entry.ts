import type { Language } from '../decision/decision-messages.js';
import { checkPersonalId } from '../personal-id/check-personal-id.js';
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
 * The verdict on what an officer typed. On success `text` is what to hand the lane (the agent's
 * parser reads exactly `subject` from it) and `shown` is how to show it back (`079 3 01 004567`,
 * `30G-123.45`, `N1234567`). On failure `digits` is the count of digits typed, for
 * `not_12_digits`.
 */
export type ManualEntryCheck =
  | { readonly ok: true; readonly subject: Subject; readonly text: string; readonly shown: string }
  | { readonly ok: false; readonly reason: ManualEntryProblem; readonly digits?: number };

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
    if (text.length > MAX_MANUAL_ENTRY_LENGTH * 4) return { ok: false, reason: 'too_long' };
    const typed = normalizePayload(text).toUpperCase();
    if (typed === '') return { ok: false, reason: 'empty' };
    if (typed.length > MAX_MANUAL_ENTRY_LENGTH) return { ok: false, reason: 'too_long' };
    if (!ALLOWED.test(typed)) return { ok: false, reason: 'unexpected_character' };
    const compact = typed.replace(SEPARATORS, '');
    if (compact === '') return { ok: false, reason: 'empty' };
    const context = { now };
    if (/^\d+$/.test(compact)) {
      // Digits alone can only be a personal ID: say precisely what is wrong with it.
      const check = checkPersonalId(compact, now);
      if (!check.ok) {
        return check.problem === 'not_12_digits'
          ? { ok: false, reason: 'not_12_digits', digits: compact.length }
          : { ok: false, reason: check.problem };
      }
      const parsed = personalIdParser.parse(compact, context);
      if (parsed?.ok !== true || parsed.payload.subject === null) {
        return { ok: false, reason: 'not_12_digits', digits: compact.length };
      }
      return { ok: true, subject: parsed.payload.subject, text: compact, shown: groupPersonalId(compact) };
    }
    const plate = vehiclePlateParser.parse(typed, context);
    if (plate?.ok === true && plate.payload.subject !== null) {
      return {
        ok: true,
        subject: plate.payload.subject,
        text: typed,
        shown: plate.payload.displayForm ?? plate.payload.subject.value,
      };
    }
    // A passport number is letters then digits, never written with - or . (G30-123.45 is a typo).
    const unspaced = typed.replace(/ /g, '');
    const passport = passportParser.parse(unspaced, context);
    if (passport?.ok === true && passport.payload.subject !== null) {
      return { ok: true, subject: passport.payload.subject, text: unspaced, shown: unspaced };
    }
    return { ok: false, reason: 'not_a_plate_or_passport' };
  } catch {
    // The checks above are written not to throw; a dialog must still answer if one ever does.
    return { ok: false, reason: 'not_a_plate_or_passport' };
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
export function describeManualEntryProblem(
  check: { readonly reason: ManualEntryProblem; readonly digits?: number },
  language: Language,
): string {
  const message = MESSAGES[check.reason][language];
  if (check.reason !== 'not_12_digits' || check.digits === undefined) return message;
  return language === 'vi' ? `${message} (đã nhập ${check.digits})` : `${message} (${check.digits} typed)`;
}
