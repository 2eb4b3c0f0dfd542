import type { Language } from '@checkpoint-lane/shared';

/** The keypads' own words, Vietnamese first. Callers name the Enter key themselves. */
const WORDS = {
  deleteOne: { vi: 'Xoá 1 ký tự', en: 'Delete one' },
  deleteDigit: { vi: 'Xoá 1 số', en: 'Delete one' },
  clearAll: { vi: 'Xoá hết', en: 'Clear all' },
  space: { vi: 'Dấu cách', en: 'Space' },
  shift: { vi: 'Chữ hoa', en: 'Shift' },
  telexOn: { vi: 'Telex: BẬT', en: 'Telex: ON' },
  telexOff: { vi: 'Telex: TẮT', en: 'Telex: OFF' },
  codeExample: {
    vi: 'VD: 079301004567 · 30G-123.45 · C1234567',
    en: 'e.g. 079301004567 · 30G-123.45 · C1234567',
  },
  phrases: { vi: 'Câu nhanh', en: 'Quick phrases' },
  typed: { vi: 'Đã nhập', en: 'Typed' },
  nothingTyped: { vi: 'Chưa nhập', en: 'Nothing typed' },
  pinLength: { vi: 'Mã PIN có {min}–{max} chữ số', en: 'A PIN has {min}–{max} digits' },
  pinCount: { vi: 'Đã nhập {n} chữ số', en: '{n} digits typed' },
  charCount: { vi: '{n} ký tự', en: '{n} characters' },
  noteFull: { vi: 'Ghi chú đã đủ {max} ký tự', en: 'The note is full ({max} characters)' },
} as const satisfies Record<string, Record<Language, string>>;

/** A word of the keypads in a language, with `{name}` slots filled. */
export function keypadText(
  key: keyof typeof WORDS,
  language: Language,
  values: Readonly<Record<string, number | string>> = {},
): string {
  return WORDS[key][language].replace(/\{(\w+)\}/g, (slot, name: string) =>
    name in values ? String(values[name]) : slot,
  );
}

/**
 * A quick phrase as it joins the note: its first letter lower-cased when it goes mid-sentence
 * ("…xe hoà, đã kiểm tra giấy tờ"), kept at the start or after `.`, `!`, `?` or a line break.
 * An acronym ("CCCD …") keeps its capitals.
 */
export function phraseAfter(before: string, phrase: string): string {
  const [first = '', second = ''] = Array.from(phrase);
  const sentenceStart = /(^|[.!?\n])\s*$/.test(before);
  const acronym = second !== '' && second === second.toLocaleUpperCase('vi') && /\p{L}/u.test(second);
  return sentenceStart || acronym ? phrase : first.toLocaleLowerCase('vi') + phrase.slice(first.length);
}

/** Quick phrases offered above the note keyboard (stored as typed: the note is the officer's). */
export const NOTE_PHRASES: Readonly<Record<Language, readonly string[]>> = {
  vi: [
    'Đã kiểm tra giấy tờ',
    'Xe chở hàng thiết yếu',
    'Xe cấp cứu',
    'Người nhà đi cùng',
    'Có kết quả xét nghiệm âm tính',
  ],
  en: [
    'Papers checked',
    'Essential goods vehicle',
    'Ambulance',
    'Family member travelling with them',
    'Has a negative test result',
  ],
};
