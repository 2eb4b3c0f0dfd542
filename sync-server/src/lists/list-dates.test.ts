import { describe, expect, it } from 'vitest';
import { parseListDate } from './list-dates.js';

describe('parseListDate', () => {
  it('reads a date alone as the whole day in Vietnam time', () => {
    expect(parseListDate('2021-09-18', 'start')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T00:00:00+07:00'),
    });
    expect(parseListDate('2021-09-18', 'end')).toEqual({
      ok: true,
      value: Date.parse('2021-09-19T00:00:00+07:00') - 1,
    });
  });

  it('reads times with an offset, Z, or none (Vietnam time)', () => {
    expect(parseListDate('2021-09-18T08:30:00+07:00', 'start')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T01:30:00Z'),
    });
    expect(parseListDate('2021-09-18T08:30Z', 'end')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T08:30:00Z'),
    });
    expect(parseListDate('2021-09-18 08:30:15.5', 'start')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T01:30:15.500Z'),
    });
    expect(parseListDate('2021-09-18T08:30:00-0300', 'start')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T11:30:00Z'),
    });
  });

  it('treats empty as open-ended and rejects what is not a date', () => {
    expect(parseListDate('  ', 'end')).toEqual({ ok: true, value: null });
    for (const bad of [
      '2021-02-29',
      '31/02/2021',
      '09/18/2021',
      '18/09/21',
      '18-09-2021',
      '18/09/2021 24:00',
      '2021-13-01',
      '2021-09-18T24:00',
      'soon',
      '2021-09-18T08:00+15:00',
    ]) {
      expect(parseListDate(bad, 'start').ok, bad).toBe(false);
    }
    expect(parseListDate('2024-02-29', 'start').ok).toBe(true);
  });

  it('reads dd/mm/yyyy (day first, Vietnam time), with or without a time, strictly', () => {
    expect(parseListDate('18/09/2021', 'start')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T00:00:00+07:00'),
    });
    expect(parseListDate('1/9/2021', 'end')).toEqual({
      ok: true,
      value: Date.parse('2021-09-02T00:00:00+07:00') - 1,
    });
    expect(parseListDate('18/09/2021 08:30', 'end')).toEqual({
      ok: true,
      value: Date.parse('2021-09-18T08:30:00+07:00'),
    });
    expect(parseListDate('29/02/2024', 'start').ok).toBe(true);
    expect(parseListDate('31/02/2021', 'start')).toMatchObject({
      ok: false,
      error: { code: 'not_calendar_date' },
    });
    expect(parseListDate('18/09/2021 25:00', 'start')).toMatchObject({
      ok: false,
      error: { code: 'bad_time' },
    });
    expect(parseListDate('soon', 'start')).toMatchObject({ ok: false, error: { code: 'bad_date' } });
    expect(parseListDate('2021-09-18T08:00+15:00', 'start')).toMatchObject({
      ok: false,
      error: { code: 'bad_offset' },
    });
  });
});
