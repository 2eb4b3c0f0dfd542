import { describe, expect, it } from 'vitest';
import { checkPersonalId, crossCheckPersonalId, vietnamYear } from './check-personal-id.js';

const now = Date.UTC(2026, 10, 23);

describe('checkPersonalId', () => {
  it('reads province, sex and birth year from PPP G YY', () => {
    expect(checkPersonalId('079301004567', now)).toEqual({
      ok: true,
      value: {
        placeCode: '079',
        provinceName: 'TP Hồ Chí Minh',
        registeredAbroad: false,
        sex: 'female',
        birthYear: 2001,
      },
    });
    expect(checkPersonalId('001090123456', now)).toMatchObject({
      ok: true,
      value: { provinceName: 'Hà Nội', sex: 'male', birthYear: 1990 },
    });
  });

  it.each([
    ['0', 'male', 1900],
    ['1', 'female', 1900],
    ['2', 'male', 2000],
    ['3', 'female', 2000],
  ])('century/sex digit %s → %s, %i + YY', (g, sex, century) => {
    expect(checkPersonalId(`001${g}05123456`, now)).toMatchObject({
      ok: true,
      value: { sex, birthYear: century + 5 },
    });
  });

  it('accepts births registered abroad (first digit 1 or 2) without a province', () => {
    expect(checkPersonalId('201085000001', now)).toMatchObject({
      ok: true,
      value: { placeCode: '201', provinceName: null, registeredAbroad: true },
    });
  });

  it.each([
    ['00109012345', 'not_12_digits'],
    ['00109012345a', 'not_12_digits'],
    ['００１０９０１２３４５６', 'not_12_digits'],
    ['003090123456', 'unknown_province'],
    ['097090123456', 'unknown_province'],
    ['001227123456', 'birth_year_in_future'],
    ['001490123456', 'birth_year_in_future'],
  ])('rejects %s (%s)', (id, problem) => {
    expect(checkPersonalId(id, now)).toEqual({ ok: false, error: problem });
  });

  it('knows the year in Vietnam (UTC+7) at the turn of the year', () => {
    const newYearInHanoi = Date.UTC(2026, 11, 31, 17, 30);
    expect(vietnamYear(newYearInHanoi)).toBe(2027);
    expect(checkPersonalId('001227123456', newYearInHanoi).ok).toBe(true);
  });
});

describe('crossCheckPersonalId', () => {
  const check = checkPersonalId('001090123456', now);
  if (!check.ok) throw new Error('fixture');
  it('is silent when the card agrees, or says nothing', () => {
    expect(crossCheckPersonalId(check.value, { birthYear: 1990, sex: 'male' })).toEqual([]);
    expect(crossCheckPersonalId(check.value, {})).toEqual([]);
  });
  it('warns on each disagreement', () => {
    expect(crossCheckPersonalId(check.value, { birthYear: 1991, sex: 'female' })).toEqual([
      'id_birth_year_mismatch',
      'id_sex_mismatch',
    ]);
  });
});
