import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from '../personal-id/province-codes.js';
import {
  checkManualEntry,
  describeManualEntryProblem,
  groupPersonalId,
  MANUAL_ENTRY_PROBLEMS,
  type ManualEntryCheck,
} from './check-manual-entry.js';
import { parsePayload } from './parse-payload.js';

const now = Date.UTC(2026, 10, 30, 3, 0, 0);
const check = (text: string): ManualEntryCheck => checkManualEntry(text, now);

describe('checkManualEntry accepts', () => {
  it.each([
    ['079301004567', 'personal_id', '079301004567', '079 3 01 004567'],
    ['001090123456', 'personal_id', '001090123456', '001 0 90 123456'],
    [' 079301004567 ', 'personal_id', '079301004567', '079 3 01 004567'],
    ['079 3 01 004567', 'personal_id', '079301004567', '079 3 01 004567'],
    ['30G-123.45', 'plate', '30G12345', '30G-123.45'],
    ['51F12345', 'plate', '51F12345', '51F-123.45'],
    ['51f-123.45', 'plate', '51F12345', '51F-123.45'],
    ['59-X1 123.45', 'plate', '59X112345', '59-X1 123.45'],
    ['29A-1234', 'plate', '29A1234', '29A-1234'],
    ['N1234567', 'passport', 'N1234567', 'N1234567'],
    ['C1234567', 'passport', 'C1234567', 'C1234567'],
    ['B1234567', 'passport', 'B1234567', 'B1234567'],
    ['c12345678', 'passport', 'C12345678', 'C12345678'],
  ])('%j as a %s', (typed, kind, value, shown) => {
    const result = check(typed);
    expect(result).toMatchObject({ ok: true, value: { subject: { kind, value }, shown } });
  });

  it('a personal ID registered abroad (first digit 1 or 2)', () => {
    expect(check('100301004567')).toMatchObject({ ok: true, value: { subject: { kind: 'personal_id' } } });
  });

  it('gives text the lane reads as the same subject (what the dialog submits)', () => {
    for (const typed of ['079 3 01 004567', '30G-123.45', '59-X1 123.45', 'n1234567', 'N 1234567']) {
      const result = check(typed);
      if (!result.ok) throw new Error(`${typed} refused: ${result.error.reason}`);
      const parsed = parsePayload(result.value.text, { now });
      expect(parsed.ok && parsed.value.subject).toEqual(result.value.subject);
    }
  });
});

describe('checkManualEntry refuses', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['-.-', 'empty'],
    ['07930100456', 'not_12_digits'],
    ['0793010045678', 'not_12_digits'],
    ['1234', 'not_12_digits'],
    ['003301004567', 'unknown_province'],
    ['000301004567', 'unknown_province'],
    ['079399004567', 'birth_year_in_future'],
    ['30G', 'not_a_plate_or_passport'],
    ['ABC', 'not_a_plate_or_passport'],
    ['N123456', 'not_a_plate_or_passport'],
    ['30G-123.45X', 'not_a_plate_or_passport'],
    ['G30-123.45', 'not_a_plate_or_passport'],
    ['N-1234567', 'not_a_plate_or_passport'],
    ['079301004567|Nguyễn', 'unexpected_character'],
    ['30G_123', 'unexpected_character'],
    ['1'.repeat(21), 'too_long'],
    ['x'.repeat(100_000), 'too_long'],
  ])('%j: %s', (typed, reason) => {
    expect(check(typed)).toMatchObject({ ok: false, error: { reason } });
  });

  it('an 11-digit typo, saying how many digits were typed', () => {
    const result = check('07930100456');
    expect(result).toEqual({ ok: false, error: { reason: 'not_12_digits', digits: 11 } });
    if (result.ok) return;
    expect(describeManualEntryProblem(result.error, 'vi')).toBe(
      'Số định danh phải có đúng 12 chữ số (đã nhập 11)',
    );
    expect(describeManualEntryProblem(result.error, 'en')).toBe(
      'A personal ID has exactly 12 digits (11 typed)',
    );
  });

  it('a birth year that is this year is fine, next year is in the future', () => {
    expect(check('079326004567').ok).toBe(true);
    expect(check('079327004567')).toMatchObject({ ok: false, error: { reason: 'birth_year_in_future' } });
  });
});

describe('describeManualEntryProblem', () => {
  it('has words in both languages for every reason', () => {
    for (const reason of MANUAL_ENTRY_PROBLEMS) {
      const vi = describeManualEntryProblem({ reason }, 'vi');
      const en = describeManualEntryProblem({ reason }, 'en');
      expect(vi.length).toBeGreaterThan(5);
      expect(en.length).toBeGreaterThan(5);
      expect(vi).not.toBe(en);
    }
  });
});

describe('groupPersonalId', () => {
  it('groups as the digits are typed', () => {
    expect(groupPersonalId('079')).toBe('079');
    expect(groupPersonalId('0793')).toBe('079 3');
    expect(groupPersonalId('07930')).toBe('079 3 0');
    expect(groupPersonalId('079301004567')).toBe('079 3 01 004567');
  });
});

describe('checkManualEntry never throws and agrees with the lane', () => {
  const typedText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...Array.from('0123456789ABCGNXZ-. ')), maxLength: 16 }),
    fc.string({ unit: fc.constantFrom(...Array.from('0123456789')), minLength: 9, maxLength: 14 }),
    fc
      .tuple(fc.constantFrom(...PROVINCE_CODES.keys()), fc.stringMatching(/^\d{9}$/))
      .map(([province, rest]) => province + rest),
    fc.stringMatching(/^\d{2}[A-Z]{1,2}\d?[-. ]?\d{3}[.]?\d{1,2}$/),
    fc.stringMatching(/^[A-Z]{1,2}\d{7,8}$/),
  );

  it('for any text: a result in shape; on success the lane reads the same subject', () => {
    fc.assert(
      fc.property(typedText, (typed) => {
        const result = check(typed);
        if (result.ok) {
          const parsed = parsePayload(result.value.text, { now });
          expect(parsed.ok && parsed.value.subject).toEqual(result.value.subject);
          expect(result.value.shown.length).toBeGreaterThan(0);
        } else {
          expect(MANUAL_ENTRY_PROBLEMS).toContain(result.error.reason);
          expect(describeManualEntryProblem(result.error, 'vi').length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
