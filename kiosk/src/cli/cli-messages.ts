// Messages the two commands (`checkpoint-lane`, `checkpoint-lane check-devices`) share, each in
// Vietnamese and in English, kept apart: a technician reads the first, the log search greps the
// second. Field paths (`/relay/openMs`) and device paths are quoted verbatim in both.

/** A line's two halves. */
export interface Said {
  readonly vi: string;
  readonly en: string;
}

/** `vi / en`, the form of every line a person reads on stderr. */
export const both = (said: Said): string => `${said.vi} / ${said.en}`;

/**
 * Why a hardware profile was refused, naming the field. The loader's own words are English
 * (`must be >= 500`): they stay on the English side only.
 */
export function profileRefusal(
  file: string,
  refused: { readonly field: string; readonly message: string },
  relay = false,
): Said {
  const what = relay ? 'relay profile' : 'profile';
  if (refused.field === '/' && refused.message.startsWith('cannot read ')) {
    return {
      vi: `không đọc được ${relay ? 'cấu hình rơ-le' : 'cấu hình'} ${file} (không có tệp, hoặc không phải JSON)`,
      en: `bad ${what} ${file}: ${refused.message}`,
    };
  }
  return {
    vi: `${relay ? 'cấu hình rơ-le' : 'cấu hình'} ${file} sai ở trường ${refused.field}`,
    en: `bad ${what} ${file}: ${refused.field} ${refused.message}`,
  };
}

/** A relay profile given as `--profile`: it belongs to `--relay-profile`. */
export function relayProfileMisplaced(file: string): Said {
  return {
    vi: `--profile ${file}: đây là cấu hình rơ-le: dùng --relay-profile (cùng --relay)`,
    en: 'this is a relay profile: use --relay-profile (with --relay)',
  };
}

/** A serial port another process holds (serialport's flock, or the kernel's EBUSY). */
export const PORT_BUSY = /Cannot lock port|EBUSY|resource busy|Resource temporarily unavailable/i;
/** A device node this user may not open. */
export const PORT_DENIED = /EACCES|Permission denied/i;

/**
 * A device's trouble, from an adapter's state detail (English, sometimes the OS's own words),
 * put plainly in both languages. Unknown details are quoted as the system's words.
 */
export function deviceTrouble(detail: string | undefined, status: string): Said {
  const raw = detail ?? status;
  if (PORT_BUSY.test(raw))
    return {
      vi: 'cổng đang được dùng: dừng làn trước',
      en: `port in use: stop the lane first (${raw})`,
    };
  if (PORT_DENIED.test(raw))
    return {
      vi: 'không có quyền mở thiết bị: thêm người dùng vào nhóm dialout (cổng nối tiếp) hoặc thêm quy tắc udev (HID)',
      en: `permission denied: add the user to the dialout group (serial) or a udev rule (HID) (${raw})`,
    };
  if (/No such file or directory|ENOENT/.test(raw))
    return { vi: 'không tìm thấy thiết bị (đã cắm chưa?)', en: `device not found (plugged in?) (${raw})` };
  if (raw === 'no matching HID relay board')
    return {
      vi: 'không thấy bảng rơ-le HID có vendorId/productId của cấu hình trên USB (kiểm tra cáp USB)',
      en: "no HID relay board with the profile's vendorId/productId on USB (check the USB cable)",
    };
  if (raw === 'board gone from the bus')
    return { vi: 'bảng rơ-le HID đã bị rút khỏi USB', en: 'the HID relay board left the USB bus' };
  if (raw === 'device node gone' || raw === 'closed')
    return { vi: 'thiết bị bị rút ra hoặc đã đóng', en: `the device was unplugged or closed (${raw})` };
  if (raw === 'connecting' || raw === 'disconnected') return { vi: 'chưa kết nối được', en: raw };
  if (raw.startsWith('write failed')) return { vi: 'ghi ra thiết bị thất bại', en: raw };
  return { vi: `lỗi hệ thống: «${raw}»`, en: raw };
}

/** An echo (Modbus RTU) board's silence or wrong answer: what to check on the RS-485 side. */
export function boardUnanswered(detail: string | undefined): Said | null {
  if (detail === 'board did not answer')
    return {
      vi: 'bảng rơ-le không trả lời — kiểm tra dây RS-485 A/B, địa chỉ slave, tốc độ baud',
      en: 'the board did not answer — check RS-485 A/B wiring, slave address and baud',
    };
  if (detail === 'board answered something else')
    return {
      vi: 'bảng rơ-le trả lời sai — kiểm tra dây RS-485 A/B, địa chỉ slave, tốc độ baud',
      en: 'the board answered something else — check RS-485 A/B wiring, slave address and baud',
    };
  return null;
}

/** Why a relay adapter could not be made, for a board and choice that match (node-hid…). */
export function relayBuildFailure(message: string): Said {
  if (message.startsWith('cannot load node-hid'))
    return { vi: 'không tải được thư viện HID (node-hid): đã cài libusb-1.0-0 chưa?', en: message };
  return { vi: 'không mở được rơ-le', en: message };
}

/** A `--relay` choice that does not fit the profile's board, or a serial board with no path. */
export function relayChoiceMismatch(
  profile: { readonly id: string; readonly relay: { readonly transport: 'serial' | 'hid' } },
  choice: { readonly kind: 'serial' | 'hid' | 'simulated'; readonly path?: string | null },
  serialPath: string | null,
): Said | null {
  const transport = profile.relay.transport;
  if (choice.kind !== 'simulated' && choice.kind !== transport) {
    const use = transport === 'hid' ? '--relay hid' : '--relay serial:/dev/ttyUSB0';
    return {
      vi: `cấu hình rơ-le ${profile.id} dành cho bảng ${transport === 'hid' ? 'HID' : 'nối tiếp'}, không phải --relay ${choice.kind}: dùng ${use}`,
      en: `relay profile ${profile.id} is for a ${transport} board, not --relay ${choice.kind}: use ${use}`,
    };
  }
  if (choice.kind === 'serial' && (choice.path ?? serialPath) === null)
    return {
      vi: `cấu hình rơ-le ${profile.id} là bảng nối tiếp không có đường dẫn: cho --relay serial:/dev/ttyUSB0`,
      en: `relay profile ${profile.id} is a serial board with no path: give --relay serial:/dev/ttyUSB0`,
    };
  return null;
}
