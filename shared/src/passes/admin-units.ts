// Vietnam's 63 provinces and centrally-run cities as they stood before the 2025 reorganisation
// (34 provinces from 1 July 2025, without districts), with their GSO administrative codes
// (Decision 124/2004/QĐ-TTg and its amendments): the province codes lane passes and declarations
// carry. The same codes, with a leading 0, open a 12-digit personal ID (personal-id/province-codes.ts).
// Districts (3-digit codes) and wards (5-digit codes) come from the GSO's published list
// (https://danhmuchanhchinh.gso.gov.vn) and are not bundled here: a pass carries them as numbers.
import type { Language } from '../decision/decision-messages.js';
import type { AreaCode } from './pass-codec.js';

/** A province (`tỉnh`) or a centrally-run city (`thành phố trực thuộc trung ương`). */
export type ProvinceKind = 'province' | 'city';

/** One province-level unit. */
export interface Province {
  /** GSO code, 1..99 (written with two digits: `01`). */
  readonly code: number;
  /** Vietnamese name, as the personal-ID table writes it. */
  readonly vi: string;
  /** English name, without diacritics. */
  readonly en: string;
  readonly kind: ProvinceKind;
}

const ROWS: readonly (readonly [number, string, string, ProvinceKind])[] = [
  [1, 'Hà Nội', 'Hanoi', 'city'],
  [2, 'Hà Giang', 'Ha Giang', 'province'],
  [4, 'Cao Bằng', 'Cao Bang', 'province'],
  [6, 'Bắc Kạn', 'Bac Kan', 'province'],
  [8, 'Tuyên Quang', 'Tuyen Quang', 'province'],
  [10, 'Lào Cai', 'Lao Cai', 'province'],
  [11, 'Điện Biên', 'Dien Bien', 'province'],
  [12, 'Lai Châu', 'Lai Chau', 'province'],
  [14, 'Sơn La', 'Son La', 'province'],
  [15, 'Yên Bái', 'Yen Bai', 'province'],
  [17, 'Hòa Bình', 'Hoa Binh', 'province'],
  [19, 'Thái Nguyên', 'Thai Nguyen', 'province'],
  [20, 'Lạng Sơn', 'Lang Son', 'province'],
  [22, 'Quảng Ninh', 'Quang Ninh', 'province'],
  [24, 'Bắc Giang', 'Bac Giang', 'province'],
  [25, 'Phú Thọ', 'Phu Tho', 'province'],
  [26, 'Vĩnh Phúc', 'Vinh Phuc', 'province'],
  [27, 'Bắc Ninh', 'Bac Ninh', 'province'],
  [30, 'Hải Dương', 'Hai Duong', 'province'],
  [31, 'Hải Phòng', 'Hai Phong', 'city'],
  [33, 'Hưng Yên', 'Hung Yen', 'province'],
  [34, 'Thái Bình', 'Thai Binh', 'province'],
  [35, 'Hà Nam', 'Ha Nam', 'province'],
  [36, 'Nam Định', 'Nam Dinh', 'province'],
  [37, 'Ninh Bình', 'Ninh Binh', 'province'],
  [38, 'Thanh Hóa', 'Thanh Hoa', 'province'],
  [40, 'Nghệ An', 'Nghe An', 'province'],
  [42, 'Hà Tĩnh', 'Ha Tinh', 'province'],
  [44, 'Quảng Bình', 'Quang Binh', 'province'],
  [45, 'Quảng Trị', 'Quang Tri', 'province'],
  [46, 'Thừa Thiên Huế', 'Thua Thien Hue', 'province'],
  [48, 'Đà Nẵng', 'Da Nang', 'city'],
  [49, 'Quảng Nam', 'Quang Nam', 'province'],
  [51, 'Quảng Ngãi', 'Quang Ngai', 'province'],
  [52, 'Bình Định', 'Binh Dinh', 'province'],
  [54, 'Phú Yên', 'Phu Yen', 'province'],
  [56, 'Khánh Hòa', 'Khanh Hoa', 'province'],
  [58, 'Ninh Thuận', 'Ninh Thuan', 'province'],
  [60, 'Bình Thuận', 'Binh Thuan', 'province'],
  [62, 'Kon Tum', 'Kon Tum', 'province'],
  [64, 'Gia Lai', 'Gia Lai', 'province'],
  [66, 'Đắk Lắk', 'Dak Lak', 'province'],
  [67, 'Đắk Nông', 'Dak Nong', 'province'],
  [68, 'Lâm Đồng', 'Lam Dong', 'province'],
  [70, 'Bình Phước', 'Binh Phuoc', 'province'],
  [72, 'Tây Ninh', 'Tay Ninh', 'province'],
  [74, 'Bình Dương', 'Binh Duong', 'province'],
  [75, 'Đồng Nai', 'Dong Nai', 'province'],
  [77, 'Bà Rịa - Vũng Tàu', 'Ba Ria - Vung Tau', 'province'],
  [79, 'TP Hồ Chí Minh', 'Ho Chi Minh City', 'city'],
  [80, 'Long An', 'Long An', 'province'],
  [82, 'Tiền Giang', 'Tien Giang', 'province'],
  [83, 'Bến Tre', 'Ben Tre', 'province'],
  [84, 'Trà Vinh', 'Tra Vinh', 'province'],
  [86, 'Vĩnh Long', 'Vinh Long', 'province'],
  [87, 'Đồng Tháp', 'Dong Thap', 'province'],
  [89, 'An Giang', 'An Giang', 'province'],
  [91, 'Kiên Giang', 'Kien Giang', 'province'],
  [92, 'Cần Thơ', 'Can Tho', 'city'],
  [93, 'Hậu Giang', 'Hau Giang', 'province'],
  [94, 'Sóc Trăng', 'Soc Trang', 'province'],
  [95, 'Bạc Liêu', 'Bac Lieu', 'province'],
  [96, 'Cà Mau', 'Ca Mau', 'province'],
];

/** The 63 provinces and cities, by GSO code (ascending). */
export const PROVINCES: readonly Province[] = ROWS.map(([code, vi, en, kind]) => ({ code, vi, en, kind }));

const BY_CODE: ReadonlyMap<number, Province> = new Map(PROVINCES.map((p) => [p.code, p]));

/** The province with this GSO code, or null (not one of the 63). */
export function findProvince(code: number): Province | null {
  return BY_CODE.get(code) ?? null;
}

/** A province's name in `language`, or null when the code is not one of the 63. */
export function provinceName(code: number, language: Language = 'vi'): string | null {
  return findProvince(code)?.[language] ?? null;
}

/** A GSO code with its fixed number of digits (province 2, district 3, ward 5). */
export function gsoCodeText(code: number, level: 'province' | 'district' | 'ward'): string {
  return String(code).padStart(level === 'province' ? 2 : level === 'district' ? 3 : 5, '0');
}

/**
 * An area for the officer's screen: the province's name (its code when unknown), then the
 * district's and ward's codes where given, e.g. `Hà Nội, quận/huyện 001, phường/xã 00004`.
 */
export function describeArea(area: AreaCode, language: Language = 'vi'): string {
  const parts = [provinceName(area.province, language) ?? gsoCodeText(area.province, 'province')];
  if (area.district !== null) {
    parts.push(`${language === 'vi' ? 'quận/huyện' : 'district'} ${gsoCodeText(area.district, 'district')}`);
  }
  if (area.ward !== null) {
    parts.push(`${language === 'vi' ? 'phường/xã' : 'ward'} ${gsoCodeText(area.ward, 'ward')}`);
  }
  return parts.join(', ');
}
