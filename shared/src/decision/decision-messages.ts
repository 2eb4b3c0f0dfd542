import type { DecisionColour, ReasonCode, WarningCode } from './reason-codes.js';

/** Languages of the lane's screens: Vietnamese first, English second. */
export type Language = 'vi' | 'en';

const REASONS: Readonly<Record<ReasonCode, Readonly<Record<Language, string>>>> = {
  payload_empty: { vi: 'Mã trống', en: 'Empty code' },
  payload_too_long: { vi: 'Mã quá dài, không đọc được', en: 'Code too long to read' },
  payload_unknown_format: { vi: 'Không nhận dạng được loại mã', en: 'Unknown code format' },
  personal_id_invalid: { vi: 'Số định danh không hợp lệ', en: 'Invalid personal ID number' },
  payload_field_invalid: { vi: 'Mã có trường không hợp lệ', en: 'Code has an invalid field' },
  subject_unidentified: {
    vi: 'Mã không có số giấy tờ tra cứu được: kiểm tra giấy tờ',
    en: 'No document number to look up (masked or old ID): check papers',
  },
  health_blocked: { vi: 'Thuộc diện cách ly theo danh sách y tế', en: 'Flagged by the health list' },
  health_deceased: {
    vi: 'Danh sách ghi đã mất: kiểm tra danh tính',
    en: 'Listed as deceased: check identity',
  },
  whitelisted: { vi: 'Có trong danh sách được phép', en: 'On the whitelist' },
  not_whitelisted: { vi: 'Không có trong danh sách được phép', en: 'Not on the whitelist' },
  permit_not_yet_valid: { vi: 'Giấy phép chưa đến ngày hiệu lực', en: 'Permit not yet valid' },
  permit_expired: { vi: 'Giấy phép đã hết hạn', en: 'Permit expired' },
  permit_not_valid_here: {
    vi: 'Giấy phép không áp dụng tại chốt này',
    en: 'Permit not valid at this checkpoint',
  },
  not_flagged: { vi: 'Không có cảnh báo', en: 'Not flagged' },
  health_list_stale: { vi: 'Danh sách y tế chưa cập nhật kịp', en: 'Health list is out of date' },
  whitelist_stale: { vi: 'Danh sách được phép chưa cập nhật kịp', en: 'Whitelist is out of date' },
  repeat_scan: { vi: 'Quét lại cùng mã, không ghi thêm', en: 'Same code again; not recorded twice' },
  officer_override: { vi: 'Cán bộ đã thay đổi kết quả', en: 'Overridden by an officer' },
  lane_locked: {
    vi: 'Làn không mở được khoá bảo mật, không tra cứu được danh sách: kiểm tra giấy tờ',
    en: 'Lane cannot unseal its key, so cannot check the lists: check papers',
  },
  pass_valid: { vi: 'Giấy đi đường hợp lệ', en: 'Valid movement pass' },
  pass_expired: { vi: 'Giấy đi đường đã hết hạn', en: 'Movement pass expired' },
  pass_not_yet_valid: {
    vi: 'Giấy đi đường chưa đến thời gian hiệu lực',
    en: 'Movement pass not yet valid',
  },
  pass_signature_invalid: {
    vi: 'Chữ ký giấy đi đường không hợp lệ hoặc không rõ khoá: kiểm tra giấy tờ',
    en: 'Movement pass signature invalid or key unknown: check papers',
  },
  pass_revoked: { vi: 'Giấy đi đường đã bị thu hồi', en: 'Movement pass revoked' },
};

const WARNINGS: Readonly<Record<WarningCode, Readonly<Record<Language, string>>>> = {
  id_birth_year_mismatch: {
    vi: 'Năm sinh trong số định danh khác ngày sinh trên thẻ',
    en: "ID digits disagree with the card's birth year",
  },
  id_sex_mismatch: {
    vi: 'Giới tính trong số định danh khác thẻ',
    en: "ID digits disagree with the card's sex",
  },
  card_reformatted: { vi: 'Mã thẻ đã bị định dạng lại bởi ứng dụng', en: 'Card code re-formatted by an app' },
  card_date_invalid: { vi: 'Ngày trên thẻ không hợp lệ', en: 'Invalid date on the card' },
  card_sex_unreadable: { vi: 'Không đọc được giới tính trên thẻ', en: "Card's sex field unreadable" },
  old_id_malformed: { vi: 'Số CMND cũ không đúng dạng', en: 'Old ID number malformed' },
  extra_fields_ignored: { vi: 'Mã có thêm trường lạ, đã bỏ qua', en: 'Extra fields ignored' },
};

const TRAVELLER: Readonly<Record<DecisionColour, Readonly<Record<Language, string>>>> = {
  green: { vi: 'Mời qua', en: 'Please go ahead' },
  red: { vi: 'Vui lòng gặp cán bộ', en: 'Please see an officer' },
  amber: { vi: 'Vui lòng gặp cán bộ', en: 'Please see an officer' },
};

/** The officer-facing sentence for a reason code. */
export function describeReason(code: ReasonCode, language: Language = 'vi'): string {
  return REASONS[code][language];
}

/** The officer-facing sentence for a warning code. */
export function describeWarning(code: WarningCode, language: Language = 'vi'): string {
  return WARNINGS[code][language];
}

/**
 * The neutral sentence on the traveller's screen. Red and amber read the same on purpose:
 * the traveller's screen must never tell bystanders that someone is flagged.
 */
export function travellerMessage(decision: DecisionColour, language: Language = 'vi'): string {
  return TRAVELLER[decision][language];
}
