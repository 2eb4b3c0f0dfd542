// phraseAfter: a quick phrase joins the note lower-cased mid-sentence, capitalised at a start.
import { describe, expect, it } from 'vitest';
import { phraseAfter } from './keypad-text.js';

describe('phraseAfter', () => {
  it.each([
    ['', 'Đã kiểm tra giấy tờ', 'Đã kiểm tra giấy tờ'],
    ['Đi cùng xe hoà, ', 'Đã kiểm tra giấy tờ', 'đã kiểm tra giấy tờ'],
    ['Đi cùng xe hoà', 'Xe cấp cứu', 'xe cấp cứu'],
    ['Đi cùng xe hoà. ', 'Xe cấp cứu', 'Xe cấp cứu'],
    ['Đi cùng xe hoà.', 'Xe cấp cứu', 'Xe cấp cứu'],
    ['Ok? ', 'Người nhà đi cùng', 'Người nhà đi cùng'],
    ['Ok!', 'Người nhà đi cùng', 'Người nhà đi cùng'],
    ['Dòng một\n', 'Xe cấp cứu', 'Xe cấp cứu'],
    ['Papers checked, ', 'Ambulance', 'ambulance'],
    ['Đã hỏi ', 'CCCD hết hạn', 'CCCD hết hạn'],
    ['Đã hỏi ', 'Ô tô con', 'ô tô con'],
  ])('after %j: %j → %j', (before, phrase, joined) => {
    expect(phraseAfter(before, phrase)).toBe(joined);
  });
});
