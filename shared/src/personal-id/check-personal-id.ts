import type { WarningCode } from '../decision/reason-codes.js';
import type { Sex } from '../payloads/payload-types.js';
import { fail, ok, type Result } from '../result.js';
import { PROVINCE_CODES } from './province-codes.js';

/** What the digits of a 12-digit personal ID (`PPP G YY RRRRRR`) say. */
export interface PersonalIdFacts {
  /** PPP: province of birth registration, or a country code (first digit 1 or 2). */
  readonly placeCode: string;
  /** Province name, or null when the birth was registered abroad. */
  readonly provinceName: string | null;
  readonly registeredAbroad: boolean;
  /** From G: even digits are male, odd female. */
  readonly sex: Sex;
  /** From G (century) and YY. */
  readonly birthYear: number;
}

/** Why a string is not a valid 12-digit personal ID. */
export type PersonalIdProblem = 'not_12_digits' | 'unknown_province' | 'birth_year_in_future';

/** Result of checking a personal ID's structure: its facts, or why it is not valid. */
export type PersonalIdCheck = Result<PersonalIdFacts, PersonalIdProblem>;

const TWELVE_DIGITS = /^\d{12}$/;
/** Vietnam keeps one time zone, UTC+7, with no daylight saving. */
const VIETNAM_OFFSET_MS = 7 * 3600 * 1000;

/** The calendar year in Vietnam at `now` (epoch ms). */
export function vietnamYear(now: number): number {
  return new Date(now + VIETNAM_OFFSET_MS).getUTCFullYear();
}

/**
 * Checks the structure of a 12-digit personal ID: province (or country) code, century/sex
 * digit and birth year. A birth year after this year makes it invalid.
 */
export function checkPersonalId(id: string, now: number): PersonalIdCheck {
  if (!TWELVE_DIGITS.test(id)) return fail('not_12_digits');
  const placeCode = id.slice(0, 3);
  const registeredAbroad = placeCode[0] === '1' || placeCode[0] === '2';
  const provinceName = PROVINCE_CODES.get(placeCode) ?? null;
  if (!registeredAbroad && provinceName === null) return fail('unknown_province');
  const g = Number(id[3]);
  // 0/1: 1900s, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 2300s (Circular 07/2016/TT-BCA, art. 7).
  const birthYear = 1900 + Math.floor(g / 2) * 100 + Number(id.slice(4, 6));
  if (birthYear > vietnamYear(now)) return fail('birth_year_in_future');
  return ok({ placeCode, provinceName, registeredAbroad, sex: g % 2 === 0 ? 'male' : 'female', birthYear });
}

/** What a card or code says of its holder, to compare with the ID's digits. */
export interface HolderClaims {
  readonly birthYear?: number | undefined;
  readonly sex?: Sex | undefined;
}

/**
 * Compares the ID's digits with the card's date of birth and sex. Disagreement is a warning
 * for the officer, never a rejection: real and public sample cards break the rule.
 */
export function crossCheckPersonalId(facts: PersonalIdFacts, claims: HolderClaims): WarningCode[] {
  const warnings: WarningCode[] = [];
  if (claims.birthYear !== undefined && claims.birthYear !== facts.birthYear) {
    warnings.push('id_birth_year_mismatch');
  }
  if (claims.sex !== undefined && claims.sex !== facts.sex) warnings.push('id_sex_mismatch');
  return warnings;
}
