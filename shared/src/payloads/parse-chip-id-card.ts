import type { WarningCode } from '../decision/reason-codes.js';
import { checkPersonalId, crossCheckPersonalId } from '../personal-id/check-personal-id.js';
import { parseCompactDate, parseSlashedDate } from './calendar-date.js';
import { ok } from '../result.js';
import { payloadError } from './payload-errors.js';
import type {
  CalendarDate,
  CardHolder,
  ParseContext,
  PayloadParser,
  PayloadResult,
  Sex,
} from './payload-types.js';

/** Fields of the card QR as printed on chip ID cards (CCCD) since 2021; 2024 cards add 4 empty ones. */
const STANDARD_FIELDS = 7;
const CARD_2024_FIELDS = 11;

/** Reads the sex field: `Nam` / `Nữ`, tolerating case and missing diacritics. */
export function parseCardSex(text: string): Sex | null {
  const t = text.trim().toLowerCase();
  if (t === 'nam') return 'male';
  if (t === 'nữ' || t === 'nu') return 'female';
  return null;
}

interface CardFields {
  readonly id: string;
  readonly oldId: string | null;
  readonly name: string;
  readonly birthDate: string;
  readonly sex: string;
  readonly issueDate: string;
  readonly reformatted: boolean;
  readonly extraFieldsIgnored: boolean;
}

/** Which layout the fields are in, or null if they are not a card QR at all. */
function layoutOf(fields: readonly string[]): CardFields | null {
  const f = (i: number): string => fields[i] ?? '';
  if (fields.length >= STANDARD_FIELDS && (/^\d{8}$/.test(f(3)) || /^\d{9,12}$/.test(f(0)))) {
    const extras = fields.slice(STANDARD_FIELDS);
    const extraFieldsIgnored =
      extras.some((x) => x.trim() !== '') ||
      (fields.length !== STANDARD_FIELDS && fields.length !== CARD_2024_FIELDS);
    const oldId = f(1).trim();
    return {
      id: f(0).trim(),
      oldId: oldId === '' ? null : oldId,
      name: f(2).trim(),
      birthDate: f(3).trim(),
      sex: f(4),
      issueDate: f(6).trim(),
      reformatted: false,
      extraFieldsIgnored,
    };
  }
  // An app's re-format: no old ID, dates as dd/MM/yyyy.
  if (fields.length === 6 && /^\d{2}\/\d{2}\/\d{4}$/.test(f(2).trim())) {
    return {
      id: f(0).trim(),
      oldId: null,
      name: f(1).trim(),
      birthDate: f(2).trim(),
      sex: f(3),
      issueDate: f(5).trim(),
      reformatted: true,
      extraFieldsIgnored: false,
    };
  }
  return null;
}

/**
 * Reads the QR on a chip ID card (CCCD): `ID12|oldID|name|ddMMyyyy|Nam/Nữ|address|ddMMyyyy`,
 * the 2024 form with extra fields, and the 6-field re-format (flagged). The address is not kept;
 * name and birth date leave only as `holder`, for the officer's screen. Only the 12-digit ID must be valid; odd dates, sex or old ID become warnings.
 */
export const chipIdCardParser: PayloadParser = {
  format: 'chip_id_card',
  parse(text: string, context: ParseContext): PayloadResult | null {
    if (!text.includes('|')) return null;
    const card = layoutOf(text.split('|'));
    if (card === null) return null;

    const check = checkPersonalId(card.id, context.now);
    if (!check.ok) {
      return payloadError(
        'personal_id_invalid',
        `card ID: ${check.error.replace(/_/g, ' ')}`,
        'chip_id_card',
      );
    }
    const warnings: WarningCode[] = [];
    if (card.reformatted) warnings.push('card_reformatted');
    if (card.extraFieldsIgnored) warnings.push('extra_fields_ignored');
    if (card.oldId !== null && !/^(\d{9}|\d{12})$/.test(card.oldId)) warnings.push('old_id_malformed');

    // Apps that re-format the card's QR also rewrite dates as dd/MM/yyyy: read both, flag it.
    const slashed = card.reformatted || /^\d{2}\/\d{2}\/\d{4}$/.test(card.birthDate);
    if (slashed && !card.reformatted) warnings.push('card_reformatted');
    const readDate = slashed ? parseSlashedDate : parseCompactDate;
    const birthDate: CalendarDate | null = readDate(card.birthDate);
    if (birthDate === null || (card.issueDate !== '' && readDate(card.issueDate) === null)) {
      warnings.push('card_date_invalid');
    }
    const sex = parseCardSex(card.sex);
    if (sex === null) warnings.push('card_sex_unreadable');
    warnings.push(
      ...crossCheckPersonalId(check.value, { birthYear: birthDate?.year, sex: sex ?? undefined }),
    );

    return ok({
      format: 'chip_id_card',
      subject: { kind: 'personal_id', value: card.id },
      ...(birthDate === null ? {} : { birthDate }),
      ...(sex === null ? {} : { sex }),
      ...holderOf(card.name, birthDate),
      warnings,
    });
  },
};

const MAX_NAME = 120;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The holder for the officer: the printed name (bounded) and birth date, when the card has either. */
function holderOf(name: string, birthDate: CalendarDate | null): { holder?: CardHolder } {
  const shownDate =
    birthDate === null ? null : `${pad2(birthDate.day)}/${pad2(birthDate.month)}/${birthDate.year}`;
  if (name === '' && shownDate === null) return {};
  return { holder: { name: name.slice(0, MAX_NAME), birthDate: shownDate } };
}
