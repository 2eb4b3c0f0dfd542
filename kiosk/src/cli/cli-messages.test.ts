// The shared wording of the two commands: each trouble put in both languages, apart (no English
// reason on the Vietnamese side for the troubles a technician meets in the field).
import { describe, expect, it } from 'vitest';
import {
  boardUnanswered,
  deviceTrouble,
  profileRefusal,
  relayBuildFailure,
  relayChoiceMismatch,
} from './cli-messages.js';

describe('deviceTrouble', () => {
  it.each([
    // serialport's own words for a port another process has locked, and the kernel's EBUSY.
    ['Error Resource temporarily unavailable Cannot lock port', 'cổng đang được dùng: dừng làn trước'],
    ["Error: EBUSY: resource busy or locked, open '/dev/ttyUSB0'", 'cổng đang được dùng: dừng làn trước'],
    ['Error: Permission denied, cannot open /dev/ttyUSB0', 'không có quyền mở thiết bị'],
    ['Error: No such file or directory, cannot open /dev/ttyUSB9', 'không tìm thấy thiết bị (đã cắm chưa?)'],
    ['no matching HID relay board', 'không thấy bảng rơ-le HID'],
    ['board gone from the bus', 'bảng rơ-le HID đã bị rút khỏi USB'],
    ['device node gone', 'thiết bị bị rút ra'],
    ['write failed: report timed out', 'ghi ra thiết bị thất bại'],
  ])('%s: Vietnamese on one side, the detail on the English side', (detail, vi) => {
    const said = deviceTrouble(detail, 'disconnected');
    expect(said.vi).toContain(vi);
    expect(said.vi).not.toContain(detail);
    expect(said.en.length).toBeGreaterThan(0);
  });

  it('names a port in use for what it is, in English too', () => {
    expect(
      deviceTrouble('Error Resource temporarily unavailable Cannot lock port', 'disconnected').en,
    ).toMatch(/^port in use: stop the lane first \(/);
  });

  it("quotes the system's words it does not know, on both sides", () => {
    expect(deviceTrouble('Error: weird ioctl', 'disconnected')).toEqual({
      vi: 'lỗi hệ thống: «Error: weird ioctl»',
      en: 'Error: weird ioctl',
    });
  });
});

describe('boardUnanswered', () => {
  it('sends the technician to the RS-485 side of a silent or confused Modbus board', () => {
    expect(boardUnanswered('board did not answer')).toEqual({
      vi: 'bảng rơ-le không trả lời — kiểm tra dây RS-485 A/B, địa chỉ slave, tốc độ baud',
      en: 'the board did not answer — check RS-485 A/B wiring, slave address and baud',
    });
    expect(boardUnanswered('board answered something else')?.en).toMatch(
      /RS-485 A\/B wiring, slave address and baud/,
    );
    expect(boardUnanswered('closed')).toBeNull();
    expect(boardUnanswered(undefined)).toBeNull();
  });
});

describe('profile and relay refusals', () => {
  it('keep the field path verbatim on both sides, the loader words on the English side', () => {
    expect(profileRefusal('r.json', { field: '/relay/openMs', message: 'must be >= 500' }, true)).toEqual({
      vi: 'cấu hình rơ-le r.json sai ở trường /relay/openMs',
      en: 'bad relay profile r.json: /relay/openMs must be >= 500',
    });
  });

  it('say which --relay a board takes, and when a serial board has no path', () => {
    const lcus = { id: 'lcus-1-relay', relay: { transport: 'serial' as const } };
    const hid = { id: 'usb-hid-relay-2ch', relay: { transport: 'hid' as const } };
    expect(relayChoiceMismatch(hid, { kind: 'serial', path: '/dev/ttyUSB0' }, '/dev/ttyUSB0')?.en).toBe(
      'relay profile usb-hid-relay-2ch is for a hid board, not --relay serial: use --relay hid',
    );
    expect(relayChoiceMismatch(lcus, { kind: 'serial', path: null }, null)?.vi).toMatch(
      /^cấu hình rơ-le lcus-1-relay là bảng nối tiếp không có đường dẫn/,
    );
    expect(relayChoiceMismatch(lcus, { kind: 'simulated' }, null)).toBeNull();
    expect(relayChoiceMismatch(hid, { kind: 'hid' }, null)).toBeNull();
  });

  it('put a node-hid load failure in Vietnamese, its error in English', () => {
    const said = relayBuildFailure('cannot load node-hid (is libusb-1.0-0 installed?): libusb.so.0: missing');
    expect(said.vi).toBe('không tải được thư viện HID (node-hid): đã cài libusb-1.0-0 chưa?');
    expect(said.en).toMatch(/^cannot load node-hid .*libusb\.so\.0: missing$/);
  });
});
