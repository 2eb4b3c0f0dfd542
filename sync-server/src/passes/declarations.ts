// Movement declarations (issue 16): what a declaration body must hold, checked as a lane checks
// the same values (the personal-ID structure, the plate parser, GSO province codes), and the
// validity window of the pass it yields.
import { randomBytes } from 'node:crypto';
import {
  checkPersonalId,
  healthBlocks,
  isHealthEntryInForce,
  parsePlate,
  PASS_MAX_PLATE_LENGTH,
  SafeText,
  type HealthEntry,
} from '@checkpoint-lane/shared';
import Type, { type Static } from 'typebox';
import type { AreaCodes } from './passes-store.js';
import { PASS_MAX_DAYS_AHEAD, PASS_VALID_DAYS, VIETNAM_OFFSET_MS, floorMinute } from './pass-keys.js';
import { isProvinceCode } from './provinces.js';

const DAY_MS = 24 * 3_600_000;

const Area = Type.Object(
  {
    province: Type.Integer({ minimum: 0, maximum: 999, description: 'GSO province code (1..99)' }),
    // Null first: the validator's type coercion would otherwise make a null 0.
    district: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Integer({
          minimum: 0,
          maximum: 99_999,
          description: 'GSO district code (3 digits; 0 or null: not given)',
        }),
      ]),
    ),
    ward: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Integer({
          minimum: 0,
          maximum: 999_999,
          description: 'GSO ward code (5 digits; 0 or null: not given)',
        }),
      ]),
    ),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/public/declarations`. Shapes and bounds only: the values are checked by {@link checkDeclaration}. */
export const DeclarationBody = Type.Object(
  {
    personalId: Type.String({ maxLength: 32, description: '12-digit personal ID' }),
    fullName: SafeText({ maxLength: 200 }),
    phone: Type.String({ maxLength: 32 }),
    from: Area,
    to: Area,
    plate: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
    purpose: SafeText({ maxLength: 500 }),
    travelDate: Type.String({ maxLength: 32, description: 'YYYY-MM-DD, Vietnam’s calendar' }),
  },
  { additionalProperties: false },
);
/** A declaration as sent. */
export type DeclarationBody = Static<typeof DeclarationBody>;

/** Why a declaration is refused (the 400's `error`). */
export type DeclarationProblem =
  | 'personal_id_invalid'
  | 'full_name_invalid'
  | 'phone_invalid'
  | 'area_invalid'
  | 'province_unknown'
  | 'plate_invalid'
  | 'purpose_invalid'
  | 'travel_date_invalid'
  | 'travel_date_past'
  | 'travel_date_too_far';

/** A declaration that passed every check, in the form it is stored and signed. */
export interface CheckedDeclaration {
  readonly personalId: string;
  readonly fullName: string;
  readonly phone: string;
  readonly from: AreaCodes;
  readonly to: AreaCodes;
  readonly plate: string | null;
  readonly purpose: string;
  readonly travelDate: string;
  /** Epoch ms: the travel date's 00:00 (UTC+7), or the minute if later. */
  readonly validFrom: number;
  /** Epoch ms: {@link PASS_VALID_DAYS} days after the travel date's 00:00 (UTC+7). */
  readonly validUntil: number;
}

const PHONE = /^\+?[0-9]{8,15}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Collapses runs of white space and trims. */
const tidy = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim();

/** 00:00 (UTC+7) of a `YYYY-MM-DD` date, epoch ms; null when it is no calendar date. */
export function vietnamDayStart(date: string): number | null {
  const m = ISO_DATE.exec(date);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return utc - VIETNAM_OFFSET_MS;
}

/** The `YYYY-MM-DD` date in Vietnam at `now`. */
export function vietnamDate(now: number): string {
  return new Date(now + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

function area(a: DeclarationBody['from']): AreaCodes | DeclarationProblem {
  // 0 is "not given", as a pass writes it.
  const district = a.district === 0 ? null : (a.district ?? null);
  const ward = a.ward === 0 ? null : (a.ward ?? null);
  if (a.province < 1 || a.province > 99) return 'province_unknown';
  if (!isProvinceCode(a.province)) return 'province_unknown';
  if (district !== null && (district < 1 || district > 999)) return 'area_invalid';
  if (ward !== null && (ward < 1 || ward > 99_999)) return 'area_invalid';
  return { province: a.province, district, ward };
}

/**
 * Checks a declaration at `now`: the ID's structure (`checkPersonalId`, as the lane), a name, a
 * phone number of 8–15 digits, known provinces and codes in range, a plate the lane's parser
 * reads (at most 12 characters compact), a purpose, and a travel date from today to
 * {@link PASS_MAX_DAYS_AHEAD} days ahead in Vietnam's calendar. Never throws.
 */
export function checkDeclaration(
  body: DeclarationBody,
  now: number,
): { ok: true; value: CheckedDeclaration } | { ok: false; error: DeclarationProblem } {
  const fail = (error: DeclarationProblem) => ({ ok: false as const, error });
  const personalId = body.personalId.trim();
  if (!checkPersonalId(personalId, now).ok) return fail('personal_id_invalid');
  const fullName = tidy(body.fullName);
  if (fullName.length < 2 || fullName.length > 120) return fail('full_name_invalid');
  const phone = body.phone.replace(/[\s.-]/g, '');
  if (!PHONE.test(phone)) return fail('phone_invalid');
  const from = area(body.from);
  if (typeof from === 'string') return fail(from);
  const to = area(body.to);
  if (typeof to === 'string') return fail(to);
  let plate: string | null = null;
  const plateText = (body.plate ?? '').trim();
  if (plateText !== '') {
    const p = parsePlate(plateText);
    if (p === null || p.compact.length > PASS_MAX_PLATE_LENGTH) return fail('plate_invalid');
    plate = p.compact;
  }
  const purpose = tidy(body.purpose);
  if (purpose.length < 2 || purpose.length > 200) return fail('purpose_invalid');
  const travelDate = body.travelDate.trim();
  const dayStart = vietnamDayStart(travelDate);
  if (dayStart === null) return fail('travel_date_invalid');
  const today = vietnamDayStart(vietnamDate(now));
  if (today === null) return fail('travel_date_invalid');
  if (dayStart < today) return fail('travel_date_past');
  if (dayStart > today + PASS_MAX_DAYS_AHEAD * DAY_MS) return fail('travel_date_too_far');
  return {
    ok: true,
    value: {
      personalId,
      fullName,
      phone,
      from,
      to,
      plate,
      purpose,
      travelDate,
      validFrom: Math.max(dayStart, floorMinute(now)),
      validUntil: dayStart + PASS_VALID_DAYS * DAY_MS,
    },
  };
}

/**
 * Whether a health entry holds a person back from a pass valid `from`..`to`: its status is one
 * of `blocking` and it is in force at some moment of that window (the lane's `healthBlocks` at
 * each end, or begun within it).
 */
export function healthHolds(
  entry: HealthEntry | null,
  blocking: readonly string[],
  from: number,
  to: number,
): boolean {
  if (entry === null || !blocking.includes(entry.status)) return false;
  if (healthBlocks(entry, blocking, from) || healthBlocks(entry, blocking, to)) return true;
  return (
    entry.since !== null &&
    entry.since >= from &&
    entry.since <= to &&
    isHealthEntryInForce(entry, entry.since)
  );
}

/** A new declaration (and pass) id: 16 lower-case hex digits. */
export function newDeclarationId(): string {
  return randomBytes(8).toString('hex');
}
