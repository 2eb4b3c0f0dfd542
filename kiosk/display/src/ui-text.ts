import type { HealthStatus, Language, OverrideReasonCode } from '@checkpoint-lane/shared';

/** The officer screen's own words, Vietnamese first. `{name}` slots are filled by `t`. */
const TEXT = {
  ready: { vi: 'Sẵn sàng quét mã', en: 'Ready to scan' },
  noInput: {
    vi: 'Không có thiết bị quét hoạt động — dùng Nhập tay, gọi kỹ thuật',
    en: 'No scanner is working — use Type ID, call a technician',
  },
  noDevices: { vi: 'Làn chưa có máy quét nào', en: 'This lane has no scanner' },
  green: { vi: 'ĐƯỢC QUA', en: 'PASS' },
  red: { vi: 'DỪNG LẠI', en: 'STOP' },
  amber: { vi: 'KIỂM TRA', en: 'CHECK' },
  manual: { vi: 'Nhập tay', en: 'Type ID' },
  override: { vi: 'Thay đổi kết quả', en: 'Override' },
  acknowledge: { vi: 'Đã xem', en: 'Seen' },
  language: { vi: 'English', en: 'Tiếng Việt' },
  online: { vi: 'Máy chủ: trực tuyến', en: 'Server: online' },
  backlog: { vi: 'Chờ gửi', en: 'Queued' },
  submit: { vi: 'Kiểm tra', en: 'Check' },
  cancel: { vi: 'Huỷ', en: 'Cancel' },
  back: { vi: 'Quay lại', en: 'Back' },
  next: { vi: 'Tiếp', en: 'Next' },
  confirm: { vi: 'Xác nhận', en: 'Confirm' },
  wrongPin: { vi: 'Sai mã PIN', en: 'Wrong PIN' },
  needsSupervisor: { vi: 'Cần mã PIN của chỉ huy (giám sát)', en: 'A supervisor PIN is needed' },
  notSupervisor: { vi: 'Người này không phải chỉ huy (giám sát)', en: 'This officer is not a supervisor' },
  sameOfficer: { vi: 'Chỉ huy (giám sát) phải là người khác', en: 'The supervisor must be someone else' },
  sameDecision: { vi: 'Lượt này đã có kết quả đó', en: 'The scan already has that decision' },
  unknownScan: { vi: 'Không tìm thấy lượt quét này', en: 'This scan is not known here' },
  unknownOfficer: { vi: 'Cán bộ không có trong danh sách làn', en: 'Officer not on this lane' },
  noteRequired: { vi: 'Lý do "Khác" cần ghi chú', en: '"Other" needs a note' },
  overridden: { vi: 'Đã ghi nhận thay đổi', en: 'Override recorded' },
  acknowledged: { vi: 'Đã ghi nhận', en: 'Recorded' },
  failed: { vi: 'Không thực hiện được', en: 'Could not do that' },
  alreadyHandled: {
    vi: 'Lượt này đã được xử lý trước đó — không ghi lại',
    en: 'This scan was already handled — nothing recorded',
  },
  lockedFor: { vi: 'Tạm khoá {time}', en: 'Locked {time}' },
  lockedOut: { vi: '{name} bị tạm khoá, còn {time}', en: '{name} is locked for {time}' },
  pendingCount: { vi: 'Chờ xử lý', en: 'Waiting' },
  moreWaiting: { vi: '… và {n} lượt nữa', en: '… and {n} more' },
  queueEmpty: { vi: 'Không có lượt nào chờ', en: 'Nothing waiting' },
  recent: { vi: 'Gần đây', en: 'Recent' },
  latestGreen: { vi: 'Vừa qua', en: 'Just passed' },
  holderName: { vi: 'Họ tên', en: 'Name' },
  passTitle: { vi: 'Giấy đi đường', en: 'Travel pass' },
  passRoute: { vi: 'Lộ trình', en: 'Route' },
  passValidity: { vi: 'Hiệu lực', en: 'Valid' },
  passPlate: { vi: 'Biển số', en: 'Plate' },
  passUnverified: { vi: 'Thông tin chưa được xác thực', en: 'Details unproven' },
  passProvinceCode: { vi: 'Tỉnh mã {code}', en: 'Province {code}' },
  passDistrictCode: { vi: 'quận/huyện {code}', en: 'district {code}' },
  passWardCode: { vi: 'phường/xã {code}', en: 'ward {code}' },
  holderBorn: { vi: 'Ngày sinh', en: 'Born' },
  restored: {
    vi: 'Từ trước khi khởi động lại — không còn số giấy tờ',
    en: 'From before a restart — document number no longer known',
  },
  noSubject: { vi: 'Không có số giấy tờ', en: 'No document number' },
  unreadable: { vi: 'Mã không đọc được', en: 'Code not readable' },
  vehicleTitle: { vi: 'Xe', en: 'Vehicle' },
  vehicleNone: { vi: 'Chưa có xe — quét biển số để mở xe', en: 'No vehicle — scan a plate to open one' },
  vehiclePassed: { vi: 'Xe đã qua', en: 'Vehicle passed' },
  vehiclePassedDone: { vi: 'Đã đóng xe', en: 'Vehicle closed' },
  vehicleAlreadyClosed: {
    vi: 'Xe này đã đóng trước đó (biển số mới hoặc quá 10 phút)',
    en: 'This vehicle was already closed (new plate or 10 minutes)',
  },
  vehiclePeople: { vi: '{n} người', en: '{n} people' },
  vehicleClosesIn: { vi: 'tự đóng sau {time}', en: 'closes in {time}' },
  vehicleGreenLane: { vi: 'Luồng xanh', en: 'Green lane' },
  vehicleNoPassengers: { vi: 'Chưa quét người nào trên xe', en: 'No one on board scanned yet' },
  vehicleMorePeople: { vi: '… và {n} người nữa', en: '… and {n} more' },
  kind_personal_id: { vi: 'CCCD', en: 'ID' },
  kind_passport: { vi: 'HC', en: 'Passport' },
  kind_plate: { vi: 'BKS', en: 'Plate' },
  justNow: { vi: 'vừa xong', en: 'just now' },
  state_pending: { vi: 'Chờ xử lý', en: 'Waiting' },
  state_acknowledged: { vi: 'Đã xem', en: 'Seen' },
  state_overridden: { vi: 'Đã thay đổi', en: 'Overridden' },
  state_passed: { vi: 'Đã qua', en: 'Passed' },
  overriddenBy: {
    vi: 'Đã đổi {from} → {to} · {who} · {reason}',
    en: 'Changed {from} → {to} · {who} · {reason}',
  },
  handledElsewhere: {
    vi: 'Lượt này đã được xử lý ở màn hình khác — không ghi lại. Kết quả nay: {result}',
    en: 'Another screen already handled this scan — nothing recorded. Now: {result}',
  },
  close: { vi: 'Đóng', en: 'Close' },
  waitingFor: { vi: 'đã chờ {time}', en: 'waiting {time}' },
  scannedAt: { vi: 'Lượt quét lúc {time}', en: 'Scanned at {time}' },
  warningsTitle: { vi: 'Cảnh báo', en: 'Warnings' },
  laneDown: { vi: 'Làn không hoạt động — gọi kỹ thuật', en: 'Lane not working — call a technician' },
  laneDownDetail: {
    vi: 'Màn hình mất liên lạc với máy tính của làn{since}. Không dựa vào màn hình này để cho qua.',
    en: 'This screen lost the lane agent{since}. Do not let anyone through by this screen.',
  },
  sinceTime: { vi: ' từ {time}', en: ' since {time}' },
  serverOffline: { vi: 'Mất kết nối máy chủ từ {time}', en: 'Server offline since {time}' },
  listsExpireIn: { vi: 'Danh sách hết hạn sau {time}', en: 'Lists go stale in {time}' },
  listsNeverSynced: { vi: 'Chưa đồng bộ danh sách', en: 'Lists never synced' },
  staleTitle: { vi: 'Danh sách đã hết hạn', en: 'Lists are out of date' },
  staleDetail: {
    vi: 'Lần đồng bộ cuối: {time}. Mọi lượt lẽ ra ĐƯỢC QUA nay là KIỂM TRA: kiểm tra giấy tờ từng người. Gọi kỹ thuật để nối lại máy chủ.',
    en: 'Last synced: {time}. Every scan that would PASS is now CHECK: check papers by hand. Call a technician to reconnect the server.',
  },
  staleDismiss: { vi: 'Đã hiểu', en: 'Understood' },
  staleBanner: {
    vi: 'Danh sách hết hạn: mọi lượt là KIỂM TRA',
    en: 'Lists out of date: every scan is CHECK',
  },
  never: { vi: 'chưa bao giờ', en: 'never' },
  newDecision: { vi: 'Kết quả mới', en: 'New decision' },
  reason: { vi: 'Lý do', en: 'Reason' },
  note: { vi: 'Ghi chú', en: 'Note' },
  pickOfficer: { vi: 'Cán bộ thực hiện', en: 'Officer' },
  pickSupervisor: {
    vi: 'Chỉ huy (giám sát) duyệt — cho F0/F1 qua',
    en: 'Supervisor approves — letting an F0/F1 through',
  },
  officerPin: { vi: 'Mã PIN của {name}', en: "{name}'s PIN" },
  overrideFor: { vi: 'Lượt quét lúc {time} · {subject}', en: 'Scanned at {time} · {subject}' },
  noOfficers: { vi: 'Làn chưa có danh sách cán bộ', en: 'No officers on this lane yet' },
  manualTitle: { vi: 'Nhập số định danh, biển số hoặc hộ chiếu', en: 'Type an ID, plate or passport' },
  device_connecting: { vi: 'đang kết nối', en: 'connecting' },
  device_connected: { vi: 'hoạt động', en: 'working' },
  device_disconnected: { vi: 'mất kết nối', en: 'disconnected' },
  device_error: { vi: 'lỗi', en: 'error' },
  hours: { vi: '{h} giờ {m} phút', en: '{h} h {m} min' },
  minutes: { vi: '{m} phút', en: '{m} min' },
  seconds: { vi: '{s} giây', en: '{s} s' },
} as const satisfies Record<string, Record<Language, string>>;

/** A word key of the officer screen. */
export type TextKey = keyof typeof TEXT;

/**
 * Words of each override reason the touchscreen offers: the codes are the shared vocabulary's
 * OVERRIDE_REASONS (stored and uploaded); a new code without words here does not compile.
 */
export const OVERRIDE_REASON_WORDS: Readonly<Record<OverrideReasonCode, Readonly<Record<Language, string>>>> =
  {
    identity_checked: { vi: 'Đã kiểm tra giấy tờ', en: 'Papers checked' },
    medical_emergency: { vi: 'Cấp cứu y tế', en: 'Medical emergency' },
    official_duty: { vi: 'Công vụ', en: 'Official duty' },
    document_mismatch: { vi: 'Giấy tờ không khớp', en: 'Papers do not match' },
    list_error: { vi: 'Danh sách sai', en: 'List is wrong' },
    other: { vi: 'Khác (ghi chú)', en: 'Other (note)' },
  };

/** Health statuses as the officer reads them: an icon and words, F0, F1 and F2 each distinct. */
export const HEALTH_WORDS: Readonly<Record<HealthStatus, { icon: string; vi: string; en: string }>> = {
  F0: { icon: '☣', vi: 'F0 — người nhiễm bệnh', en: 'F0 — infected' },
  F1: { icon: '⚠', vi: 'F1 — tiếp xúc gần với F0', en: 'F1 — close contact of an F0' },
  F2: { icon: '◐', vi: 'F2 — tiếp xúc với F1', en: 'F2 — contact of an F1' },
  F3: { icon: '○', vi: 'F3 — tiếp xúc với F2', en: 'F3 — contact of an F2' },
  recovered: { icon: '✚', vi: 'Đã khỏi bệnh', en: 'Recovered' },
  deceased: { icon: '✝', vi: 'Danh sách ghi đã mất', en: 'Listed as deceased' },
};

/** Device kinds in words, for the status strip. */
export const DEVICE_WORDS: Readonly<Record<string, { icon: string; vi: string; en: string }>> = {
  serial: { icon: '⌁', vi: 'Máy quét', en: 'Scanner' },
  hid: { icon: '⌁', vi: 'Máy quét USB', en: 'USB scanner' },
  stdin: { icon: '⌨', vi: 'Máy quét bàn phím (USB)', en: 'Keyboard scanner (USB)' },
  simulated: { icon: '⚙', vi: 'Máy quét giả lập', en: 'Simulated scanner' },
  camera: { icon: '◉', vi: 'Camera', en: 'Camera' },
};

/** A word of the officer screen in a language, with `{name}` slots filled. */
export function t(
  key: TextKey,
  language: Language,
  values: Readonly<Record<string, string | number>> = {},
): string {
  return TEXT[key][language].replace(/\{(\w+)\}/g, (slot, name: string) =>
    name in values ? String(values[name]) : slot,
  );
}

/** A duration in words: "2 giờ 10 phút", "5 phút", "40 giây". */
export function duration(ms: number, language: Language): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return t('seconds', language, { s: total });
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return t('minutes', language, { m: minutes });
  return t('hours', language, { h: Math.floor(minutes / 60), m: minutes % 60 });
}

/** How long a scan has waited, in one unit: "vừa xong" under a minute, then "N phút". */
export function waitedWords(ms: number, language: Language): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  return minutes === 0 ? t('justNow', language) : t('minutes', language, { m: minutes });
}

/** Vietnam's time, whatever zone the lane's browser is set to (the console shows the same). */
const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const HM = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const HMS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** A clock time `HH:MM` (or `HH:MM:SS`) in Vietnam's time (Asia/Ho_Chi_Minh). */
export function clock(at: number, seconds = false): string {
  return (seconds ? HMS : HM).format(new Date(at));
}
