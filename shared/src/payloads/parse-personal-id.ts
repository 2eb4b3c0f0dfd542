import { checkPersonalId } from '../personal-id/check-personal-id.js';
import { ok } from '../result.js';
import { payloadError } from './payload-errors.js';
import type { ParseContext, PayloadParser, PayloadResult } from './payload-types.js';

const PROBLEM_MESSAGES = {
  not_12_digits: 'a personal ID has 12 digits',
  unknown_province: 'the first three digits are not a province code',
  birth_year_in_future: 'the birth year in the ID is in the future',
} as const;

/** Reads a bare 12-digit personal ID (typed by the officer or from the paper notice QR). */
export const personalIdParser: PayloadParser = {
  format: 'personal_id',
  parse(text: string, context: ParseContext): PayloadResult | null {
    // A run of digits that is not 12 long is still someone's attempt at an ID: say so.
    if (!/^\d{6,20}$/.test(text)) return null;
    const check = checkPersonalId(text, context.now);
    if (!check.ok) {
      return payloadError('personal_id_invalid', PROBLEM_MESSAGES[check.error], 'personal_id');
    }
    return ok({ format: 'personal_id', subject: { kind: 'personal_id', value: text }, warnings: [] });
  },
};
