// The gate screens' words (issue 17), Vietnamese first: a public screen at an unattended lane,
// so "nhân viên" (staff), never "cán bộ", and never why a traveller is stopped.
import type { Language } from '@checkpoint-lane/shared';
import type { GateShow } from './gate-state.js';

const WORDS = {
  ready: { vi: 'Xin mời quét mã', en: 'Please scan your code' },
  go: { vi: 'Mời qua', en: 'Please go through' },
  see_staff: { vi: 'Vui lòng gặp nhân viên', en: 'Please see a staff member' },
  closed: { vi: 'Làn tạm ngừng', en: 'Lane closed' },
  bad_card: { vi: 'Thẻ nhân viên không hợp lệ', en: 'Staff card not valid' },
  cameraHint: { vi: 'Đưa mã QR vào khung', en: 'Hold the QR code inside the frame' },
  unlockTitle: { vi: 'Mở bảng cán bộ', en: 'Open the officer panel' },
  unlockPick: { vi: 'Chọn cán bộ', en: 'Pick the officer' },
  unlockPin: { vi: 'Mã PIN của {name}', en: "{name}'s PIN" },
  unlockOpen: { vi: 'Mở', en: 'Open' },
  unlockFailed: { vi: 'Không mở được — thử lại', en: 'Could not open — try again' },
  laneLockedOut: {
    vi: 'Nhập sai quá nhiều lần tại làn này — mở bằng PIN tạm khoá {time}',
    en: 'Too many failed tries at this lane — PIN unlock locked for {time}',
  },
  lock: { vi: 'Khoá', en: 'Lock' },
  unlockedLeft: { vi: '{name} · tự khoá sau {s} giây', en: '{name} · locks in {s} s' },
} as const satisfies Record<string, Record<Language, string>>;

/** A word key of the gate screens. */
export type GateWordKey = keyof typeof WORDS;

/** A gate word in a language, `{slots}` filled. */
export function gateWord(
  key: GateWordKey,
  language: Language,
  values: Readonly<Record<string, string | number>> = {},
): string {
  return WORDS[key][language].replace(/\{(\w+)\}/g, (slot, name: string) =>
    name in values ? String(values[name]) : slot,
  );
}

/** The big line and the countdown of a gate state: "Mời qua — 4". */
export function gateLine(show: GateShow, seconds: number | null, language: Language): string {
  const words = gateWord(show, language);
  return show === 'go' && seconds !== null ? `${words} — ${seconds}` : words;
}

/** The shape beside the words: one for every non-green, so red and amber look the same. */
export const GATE_SHAPES: Readonly<Record<GateShow, string>> = {
  ready: '',
  go: '✓',
  see_staff: '!',
  closed: '✕',
  bad_card: '!',
};
