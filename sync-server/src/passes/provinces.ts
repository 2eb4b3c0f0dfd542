// The provinces a declaration may name: shared's admin-unit table (63 provinces and cities, GSO
// codes, Vietnamese and English names). Districts and wards are not bundled: the page takes their
// GSO codes as numbers.
import { findProvince, PROVINCES as SHARED_PROVINCES, type Province } from '@checkpoint-lane/shared';

export type { Province };

/** The 63 provinces, by GSO code. */
export const PROVINCES: readonly Province[] = [...SHARED_PROVINCES].sort((a, b) => a.code - b.code);

/** Whether `code` is a province's GSO code. */
export function isProvinceCode(code: number): boolean {
  return findProvince(code) !== null;
}
