import { describe, expect, it } from 'vitest';
import { canonicalSubjectKey, maskSubject, parseSubjectText } from './subject.js';

describe('parseSubjectText', () => {
  it.each([
    ['001090123456', 'personal_id', '001090123456'],
    [' 001090123456 ', 'personal_id', '001090123456'],
    ['51F-123.45', 'plate', '51F12345'],
    ['59-x1 123.45', 'plate', '59X112345'],
    ['b1234567', 'passport', 'B1234567'],
  ])('%s → %s %s', (text, kind, value) => {
    expect(parseSubjectText(text)).toEqual({ kind, value });
  });

  it.each(['', '12345', 'hello', '0010901234567', 'A-B-C'])('%j is no subject', (text) => {
    expect(parseSubjectText(text)).toBeNull();
  });
});

describe('canonicalSubjectKey', () => {
  it('separates kinds', () => {
    expect(canonicalSubjectKey({ kind: 'personal_id', value: '001090123456' })).toBe(
      'personal_id:001090123456',
    );
    expect(canonicalSubjectKey({ kind: 'plate', value: '51F12345' })).not.toBe(
      canonicalSubjectKey({ kind: 'passport', value: '51F12345' }),
    );
  });
});

describe('maskSubject', () => {
  it('shows only the last four characters', () => {
    expect(maskSubject({ kind: 'personal_id', value: '001090123456' })).toBe('••••••••3456');
    expect(maskSubject({ kind: 'plate', value: '51F12345' }, 3)).toBe('•••••345');
  });
});
