import type { Language } from '@checkpoint-lane/shared';

/** The officer screen's own words, Vietnamese first. */
const TEXT = {
  ready: { vi: 'Sẵn sàng quét mã', en: 'Ready to scan' },
  green: { vi: 'ĐƯỢC QUA', en: 'PASS' },
  red: { vi: 'DỪNG LẠI', en: 'STOP' },
  amber: { vi: 'KIỂM TRA', en: 'CHECK' },
  manual: { vi: 'Nhập tay', en: 'Type ID' },
  override: { vi: 'Thay đổi kết quả', en: 'Override' },
  acknowledge: { vi: 'Đã xem', en: 'Seen' },
  language: { vi: 'English', en: 'Tiếng Việt' },
  online: { vi: 'Trực tuyến', en: 'Online' },
  offline: { vi: 'Mất kết nối máy chủ', en: 'Server offline' },
  displayLink: { vi: 'Mất kết nối với làn', en: 'Lost the lane agent' },
  backlog: { vi: 'Chờ gửi', en: 'Queued' },
  lists: { vi: 'Danh sách', en: 'Lists' },
  never: { vi: 'chưa đồng bộ', en: 'never synced' },
  minutesAgo: { vi: 'phút trước', en: 'min ago' },
  submit: { vi: 'Kiểm tra', en: 'Check' },
  cancel: { vi: 'Huỷ', en: 'Cancel' },
  clear: { vi: 'Xoá', en: 'Clear' },
  officerPin: { vi: 'Mã PIN cán bộ', en: 'Officer PIN' },
  supervisorPin: { vi: 'Mã PIN chỉ huy', en: 'Supervisor PIN' },
  reason: { vi: 'Lý do', en: 'Reason' },
  note: { vi: 'Ghi chú', en: 'Note' },
  confirm: { vi: 'Xác nhận', en: 'Confirm' },
  newDecision: { vi: 'Kết quả mới', en: 'New decision' },
  wrongPin: { vi: 'Sai mã PIN', en: 'Wrong PIN' },
  lockedOut: { vi: 'Tạm khoá do nhập sai nhiều lần', en: 'Locked after repeated wrong PINs' },
  needsSupervisor: { vi: 'Cần mã PIN của chỉ huy', en: 'A supervisor PIN is needed' },
  overridden: { vi: 'Đã ghi nhận thay đổi', en: 'Override recorded' },
  failed: { vi: 'Không thực hiện được', en: 'Could not do that' },
} as const satisfies Record<string, Record<Language, string>>;

/** Override reasons offered on the touchscreen (codes are stored; words are shown). */
export const OVERRIDE_REASONS = {
  identity_checked: { vi: 'Đã kiểm tra giấy tờ', en: 'Papers checked' },
  medical_emergency: { vi: 'Cấp cứu y tế', en: 'Medical emergency' },
  official_duty: { vi: 'Công vụ', en: 'Official duty' },
  document_mismatch: { vi: 'Giấy tờ không khớp', en: 'Papers do not match' },
  list_error: { vi: 'Danh sách sai', en: 'List is wrong' },
  other: { vi: 'Khác (ghi chú)', en: 'Other (note)' },
} as const satisfies Record<string, Record<Language, string>>;

/** A word of the officer screen in a language. */
export function t(key: keyof typeof TEXT, language: Language): string {
  return TEXT[key][language];
}
