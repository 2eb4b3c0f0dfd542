// The provinces a declaration may name, by GSO code, with Vietnamese and English names: what the
// declaration page offers and the route accepts.
import { PROVINCE_CODES } from '@checkpoint-lane/shared';

/** A province by its GSO code (1..99). */
export interface Province {
  readonly code: number;
  readonly vi: string;
  readonly en: string;
}

/** Vietnamese text without its diacritics (`Đà Nẵng` → `Da Nang`). */
const plain = (vi: string): string =>
  vi
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');

/**
 * The 63 provinces: the personal ID's province codes (`001` Hà Nội … `096` Cà Mau) are the GSO
 * province codes with a leading zero.
 */
export const PROVINCES: readonly Province[] = [...PROVINCE_CODES]
  .map(([code, vi]) => ({ code: Number(code), vi, en: plain(vi) }))
  .sort((a, b) => a.code - b.code);

const CODES = new Set(PROVINCES.map((p) => p.code));

/** Whether `code` is a province's GSO code. */
export function isProvinceCode(code: number): boolean {
  return CODES.has(code);
}
