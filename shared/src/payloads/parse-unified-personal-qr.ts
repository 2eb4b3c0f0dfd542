import type { WarningCode } from '../decision/reason-codes.js';
import { checkPersonalId, crossCheckPersonalId } from '../personal-id/check-personal-id.js';
import { parseSubjectText, type Subject } from '../subjects/subject.js';
import { parseIsoDate } from './calendar-date.js';
import { ok } from '../result.js';
import { payloadError } from './payload-errors.js';
import type { CalendarDate, ParseContext, PayloadParser, PayloadResult } from './payload-types.js';

/** `yyyy-mm-dd` where day and month (and, in some apps, the year) may be masked with `*`. */
const MASKABLE_DATE = /^(\d{4}|\*{4})-(\d{2}|\*{2})-(\d{2}|\*{2})$/;

/**
 * Reads the unified personal QR of the 2021 health apps: `docNo|NAME|yyyy-mm-dd|declType|QID|EXT`.
 * A document number masked with `*` (or an old 9-digit ID) names no subject the lists can be
 * asked about: the result then has `subject: null` and the officer checks papers.
 */
export const unifiedPersonalQrParser: PayloadParser = {
  format: 'unified_personal_qr',
  parse(text: string, context: ParseContext): PayloadResult | null {
    if (!text.includes('|')) return null;
    const fields = text.split('|').map((f) => f.trim());
    if (fields.length !== 6) return null;
    const [docNo = '', , dateText = ''] = fields;
    const date = MASKABLE_DATE.exec(dateText);
    if (date === null) return null;

    const birthYear = date[1]?.startsWith('*') ? undefined : Number(date[1]);
    const birthDate: CalendarDate | null = dateText.includes('*') ? null : parseIsoDate(dateText);
    if (!dateText.includes('*') && birthDate === null) {
      return payloadError('payload_field_invalid', 'date of birth is not a real date', 'unified_personal_qr');
    }

    const warnings: WarningCode[] = [];
    let subject: Subject | null = null;
    if (docNo !== '' && !docNo.includes('*')) {
      subject = parseSubjectText(docNo);
      if (subject?.kind === 'plate') subject = null;
      if (subject === null && !/^\d{9}$/.test(docNo)) {
        return payloadError(
          'payload_field_invalid',
          'document number is not an ID or passport',
          'unified_personal_qr',
        );
      }
    }
    if (subject?.kind === 'personal_id') {
      const check = checkPersonalId(subject.value, context.now);
      if (!check.ok) {
        return payloadError(
          'personal_id_invalid',
          `ID: ${check.error.replace(/_/g, ' ')}`,
          'unified_personal_qr',
        );
      }
      warnings.push(...crossCheckPersonalId(check.value, { birthYear }));
    }
    return ok({
      format: 'unified_personal_qr',
      subject,
      ...(birthDate === null ? {} : { birthDate }),
      ...(birthYear === undefined ? {} : { birthYear }),
      warnings,
    });
  },
};
