import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from '../personal-id/province-codes.js';
import { describeArea, findProvince, gsoCodeText, PROVINCES, provinceName } from './admin-units.js';

describe('admin units', () => {
  it('lists the 63 provinces and cities once each, by ascending code', () => {
    expect(PROVINCES).toHaveLength(63);
    const codes = PROVINCES.map((p) => p.code);
    expect(new Set(codes).size).toBe(63);
    expect([...codes].sort((a, b) => a - b)).toEqual(codes);
    expect(PROVINCES.filter((p) => p.kind === 'city').map((p) => p.en)).toEqual([
      'Hanoi',
      'Hai Phong',
      'Da Nang',
      'Ho Chi Minh City',
      'Can Tho',
    ]);
  });

  it('has the same codes and Vietnamese names as the personal-ID province table', () => {
    expect(new Map(PROVINCES.map((p) => [`0${gsoCodeText(p.code, 'province')}`, p.vi]))).toEqual(
      PROVINCE_CODES,
    );
  });

  it('knows the well-known codes', () => {
    expect(provinceName(1)).toBe('Hà Nội');
    expect(provinceName(79)).toBe('TP Hồ Chí Minh');
    expect(provinceName(79, 'en')).toBe('Ho Chi Minh City');
    expect(provinceName(48, 'en')).toBe('Da Nang');
    expect(provinceName(31)).toBe('Hải Phòng');
    expect(provinceName(92)).toBe('Cần Thơ');
    expect(provinceName(46)).toBe('Thừa Thiên Huế');
    expect(findProvince(3)).toBeNull();
    expect(provinceName(0)).toBeNull();
    expect(provinceName(99, 'en')).toBeNull();
  });

  it('describes an area by name and fixed-width codes', () => {
    expect(describeArea({ province: 1, district: 1, ward: 4 })).toBe(
      'Hà Nội, quận/huyện 001, phường/xã 00004',
    );
    expect(describeArea({ province: 79, district: null, ward: null }, 'en')).toBe('Ho Chi Minh City');
    expect(describeArea({ province: 3, district: 760, ward: null }, 'en')).toBe('03, district 760');
  });
});
