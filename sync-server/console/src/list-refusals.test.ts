import { LIST_REFUSAL_REASONS } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { TEXTS, setLang } from './i18n.js';
import { refusalReasonKey, refusalText } from './list-refusals.js';

describe('list refusals in words', () => {
  it('names every reason a lane can report, in both languages', () => {
    for (const reason of LIST_REFUSAL_REASONS) {
      const key = refusalReasonKey(reason);
      expect(TEXTS.vi[key], reason).toMatch(/\S/);
      expect(TEXTS.en[key], reason).toMatch(/\S/);
    }
  });

  it('says how often, why and which list', () => {
    setLang('en', undefined);
    expect(refusalText({ count: 3, lastReason: 'bad_signature', lastList: 'health', lastAt: 1 })).toBe(
      'Refused list data 3 times, last: bad signature (health)',
    );
    setLang('vi', undefined);
    expect(refusalText({ count: 1, lastReason: 'unknown_key', lastAt: 1 })).toBe(
      'Từ chối dữ liệu 1 lần, lần cuối: ký bằng khoá lạ',
    );
  });
});
