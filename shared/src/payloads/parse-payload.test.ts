import { describe, expect, it } from 'vitest';
import { parsePayload } from './parse-payload.js';
import type { ParsedPayload, PayloadResult } from './payload-types.js';

const now = Date.UTC(2026, 10, 23, 3, 0, 0);
const parse = (raw: string): PayloadResult => parsePayload(raw, { now });
function parsed(raw: string): ParsedPayload {
  const result = parse(raw);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${result.error.code}`);
  return result.value;
}
function errorCode(raw: string): string {
  const result = parse(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to fail, got ${result.value.format}`);
  return result.error.code;
}

describe('chip ID card QR (CCCD)', () => {
  // The 7-field form, as public CCCD parsers document it (ID digits agree with birth year and sex).
  const standard =
    '001090123456|012345678|NGUYEN VAN A|01011990|Nam|Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15042021';

  it('reads the 7-field form', () => {
    expect(parsed(standard)).toEqual({
      format: 'chip_id_card',
      subject: { kind: 'personal_id', value: '001090123456' },
      birthDate: { year: 1990, month: 1, day: 1 },
      sex: 'male',
      holder: { name: 'NGUYEN VAN A', birthDate: '01/01/1990' },
      warnings: [],
    });
  });

  it('keeps the name only as the holder (for the officer) and never the address', () => {
    const { holder, ...rest } = parsed(standard);
    expect(holder).toEqual({ name: 'NGUYEN VAN A', birthDate: '01/01/1990' });
    const text = JSON.stringify(rest);
    expect(text).not.toContain('NGUYEN');
    expect(JSON.stringify(parsed(standard))).not.toContain('Bến Nghé');
  });

  it('carries the holder of the re-formatted card, and a null birth date when it is unreadable', () => {
    expect(parsed('001090123456|NGUYEN VAN A|01/01/1990|Nam|Hà Nội|15/04/2021').holder).toEqual({
      name: 'NGUYEN VAN A',
      birthDate: '01/01/1990',
    });
    expect(parsed('079301004567||Trần Thị Bình|31022001|Nữ|Quận 1|20072021').holder).toEqual({
      name: 'Trần Thị Bình',
      birthDate: null,
    });
  });

  it('reads the form with an empty old ID', () => {
    const p = parsed('079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1, TP Hồ Chí Minh|20072021');
    expect(p.subject).toEqual({ kind: 'personal_id', value: '079301004567' });
    expect(p.sex).toBe('female');
    expect(p.warnings).toEqual([]);
  });

  it('reads the 2024 11-field form, ignoring the 4 empty extras without a warning', () => {
    const p = parsed('036085000123|162345678|Lê Văn Cường|12121985|Nam|Nam Định|01032024||||');
    expect(p.subject?.value).toBe('036085000123');
    expect(p.warnings).toEqual([]);
  });

  it('warns when extra fields carry something', () => {
    expect(
      parsed('036085000123|162345678|Lê Văn Cường|12121985|Nam|Nam Định|01032024|x|||').warnings,
    ).toEqual(['extra_fields_ignored']);
  });

  it('reads the 6-field re-format (no old ID, dd/MM/yyyy) and flags it', () => {
    const p = parsed('001090123456|NGUYEN VAN A|01/01/1990|Nam|Hà Nội|15/04/2021');
    expect(p.subject?.value).toBe('001090123456');
    expect(p.birthDate).toEqual({ year: 1990, month: 1, day: 1 });
    expect(p.warnings).toEqual(['card_reformatted']);
  });

  it('reads 7 fields with dd/MM/yyyy dates and flags them', () => {
    expect(parsed('001090123456|012345678|Nguyễn Văn A|01/01/1990|Nam|Hà Nội|01/01/2020').warnings).toEqual([
      'card_reformatted',
    ]);
  });

  it('warns, not rejects, when the ID digits disagree with birth year and sex', () => {
    // G=1 (female, 1900s), YY=85, but the card says male, born 1990.
    const p = parsed('001185012345|012345678|NGUYEN VAN A|01011990|Nam|Hà Nội|15042021');
    expect(p.subject?.value).toBe('001185012345');
    expect(p.warnings).toEqual(['id_birth_year_mismatch', 'id_sex_mismatch']);
  });

  it('strips a BOM and trailing CRLF, and NFC-normalises NFD text', () => {
    const nfd = '079301004567||Trần Thị Bình|05062001|Nữ|Quận 1|20072021'.normalize('NFD');
    expect(nfd).not.toBe(nfd.normalize('NFC'));
    const p = parsed(`\uFEFF${nfd}\r\n`);
    expect(p.sex).toBe('female');
    expect(p.warnings).toEqual([]);
  });

  it('turns odd dates, sex and old IDs into warnings', () => {
    const p = parsed('001090123456|12AB|NGUYEN VAN A|31021990|X|Hà Nội|15042021');
    expect(p.warnings).toEqual(['old_id_malformed', 'card_date_invalid', 'card_sex_unreadable']);
    expect(p.birthDate).toBeUndefined();
  });

  it('rejects an invalid card ID as personal_id_invalid', () => {
    expect(errorCode('003090123456|012345678|A|01011990|Nam|X|15042021')).toBe('personal_id_invalid'); // no province 003
    expect(errorCode('00109012345|012345678|A|01011990|Nam|X|15042021')).toBe('personal_id_invalid'); // 11 digits
    // A public sample: 123456789012 reads as a birth in 2156.
    expect(errorCode('123456789012|123456789|Nguyễn Văn A|01/01/1990|Nam|123 Đường ABC|01/01/2020')).toBe(
      'personal_id_invalid',
    );
  });
});

describe('unified personal QR (2021 health apps)', () => {
  it('reads an unmasked code and cross-checks the birth year', () => {
    const p = parsed('001090123456|NGUYEN VAN A|1990-01-01|1|QID123456|HN<2021<X');
    expect(p).toMatchObject({
      format: 'unified_personal_qr',
      subject: { kind: 'personal_id', value: '001090123456' },
      birthYear: 1990,
      birthDate: { year: 1990, month: 1, day: 1 },
      warnings: [],
    });
  });

  it('reads masked day and month, keeping the year', () => {
    const p = parsed('001090123456|NGUYEN VAN A|1991-**-**|1|QID1|');
    expect(p.birthYear).toBe(1991);
    expect(p.birthDate).toBeUndefined();
    expect(p.warnings).toEqual(['id_birth_year_mismatch']);
  });

  it('has no subject when the document number is masked', () => {
    const p = parsed('********3456|NGUYEN VAN A|1990-**-**|1|QID1|A<B');
    expect(p.format).toBe('unified_personal_qr');
    expect(p.subject).toBeNull();
  });

  it('has no subject for an old 9-digit ID, and reads passports', () => {
    expect(parsed('012345678|NGUYEN VAN A|1990-01-01|1|Q|').subject).toBeNull();
    expect(parsed('C1234567|JOHN SMITH|1980-**-**|2|Q|').subject).toEqual({
      kind: 'passport',
      value: 'C1234567',
    });
  });

  it('rejects impossible dates and unusable document numbers', () => {
    expect(errorCode('001090123456|A|1990-02-30|1|Q|')).toBe('payload_field_invalid');
    expect(errorCode('hello world|A|1990-01-01|1|Q|')).toBe('payload_field_invalid');
    expect(errorCode('003090123456|A|1990-01-01|1|Q|')).toBe('personal_id_invalid');
  });
});

describe('bare personal ID', () => {
  it.each([
    ['001090123456', 'Hà Nội, 1990'],
    ['079301004567', 'TP HCM, 2001'],
    ['096199000001', 'Cà Mau, 1999'],
    ['101085000001', 'registered abroad'],
  ])('reads %s (%s)', (id) => {
    expect(parsed(id)).toEqual({
      format: 'personal_id',
      subject: { kind: 'personal_id', value: id },
      warnings: [],
    });
  });

  it.each([
    ['003090123456', 'unknown province'],
    ['001450123456', 'born in 2145'],
    ['00109012345', '11 digits'],
    ['0010901234567', '13 digits'],
    ['012345678', 'an old 9-digit ID'],
  ])('rejects %s (%s)', (id) => {
    expect(errorCode(id)).toBe('personal_id_invalid');
  });
});

describe('vehicle plates', () => {
  it.each([
    ['51F-123.45', '51F12345', '51F-123.45'],
    ['29A-12345', '29A12345', '29A-123.45'],
    ['29A-1234', '29A1234', '29A-1234'],
    ['59-X1 123.45', '59X112345', '59-X1 123.45'],
    ['59-x1 12345', '59X112345', '59-X1 123.45'],
    ['29-B1 2345', '29B12345', '29-B1 2345'],
    ['51f12345', '51F12345', '51F-123.45'],
    ['51LD-123.45', '51LD12345', '51LD-123.45'],
    [' 30E 123 45 ', '30E12345', '30E-123.45'],
  ])('reads %s as %s', (raw, compact, display) => {
    expect(parsed(raw)).toEqual({
      format: 'vehicle_plate',
      subject: { kind: 'plate', value: compact },
      displayForm: display,
      warnings: [],
    });
  });
});

describe('passports', () => {
  it('reads a bare passport number', () => {
    expect(parsed('b1234567').subject).toEqual({ kind: 'passport', value: 'B1234567' });
  });
});

describe('what is not a code', () => {
  it.each([
    ['', 'payload_empty'],
    ['   \r\n', 'payload_empty'],
    ['\uFEFF', 'payload_empty'],
    ['hello', 'payload_unknown_format'],
    ['https://example.com/qr?id=1', 'payload_unknown_format'],
    ['a|b|c', 'payload_unknown_format'],
    ['|||||||', 'payload_unknown_format'],
  ])('%j → %s', (raw, code) => {
    expect(errorCode(raw)).toBe(code);
  });

  it('refuses payloads over the length cap, however long', () => {
    expect(errorCode('x'.repeat(1025))).toBe('payload_too_long');
    expect(errorCode(`001090123456${' '.repeat(5000)}`)).toBe('payload_too_long');
    expect(errorCode('x'.repeat(10_000_000))).toBe('payload_too_long');
  });

  it('gives messages without the payload in them', () => {
    const result = parse('003090123456|012345678|NGUYEN VAN A|01011990|Nam|X|15042021');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).not.toMatch(/003090123456|NGUYEN/);
  });
});
