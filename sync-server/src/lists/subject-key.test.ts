import { parseSubjectText } from '@checkpoint-lane/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subjectKey, subjectKeyer, subjectKeyFromHex, subjectKeyToHex } from './subject-key.js';

/** Test vector the lane reuses: K = bytes 0x00..0x1f. */
const TEST_LIST_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

describe('subjectKey', () => {
  it('matches the published test vectors', () => {
    const id = parseSubjectText('001099012345')!;
    const plate = parseSubjectText('51F-123.45')!;
    expect(subjectKeyToHex(subjectKey(TEST_LIST_KEY, id))).toBe('52d2d0ef9befd516');
    expect(subjectKeyToHex(subjectKey(TEST_LIST_KEY, plate))).toBe('1c37f4181067a0da');
  });

  it('is the first 8 bytes of HMAC-SHA256 over kind:value', async () => {
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', TEST_LIST_KEY).update('personal_id:001099012345').digest('hex');
    expect(subjectKeyToHex(subjectKey(TEST_LIST_KEY, parseSubjectText('001099012345')!))).toBe(
      mac.slice(0, 16),
    );
  });

  it('subjectKeyer gives the same keys as subjectKey, signed, for any subject and key', () => {
    const keyer = subjectKeyer(TEST_LIST_KEY);
    expect(subjectKeyToHex(keyer(parseSubjectText('001099012345')!))).toBe('52d2d0ef9befd516');
    expect(subjectKeyToHex(keyer(parseSubjectText('51F-123.45')!))).toBe('1c37f4181067a0da');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom<'personal_id' | 'passport' | 'plate'>('personal_id', 'passport', 'plate'),
        fc.string({ minLength: 1, maxLength: 80, unit: 'binary' }),
        (key, kind, value) => {
          const subject = { kind, value };
          expect(subjectKeyer(key)(subject)).toBe(subjectKey(key, subject));
        },
      ),
    );
    // Both signs of the first byte.
    const keys = ['001099012345', '079201004568', '001090123456', 'B1234567'].map((t) =>
      keyer(parseSubjectText(t) ?? { kind: 'passport', value: t }),
    );
    expect(keys.some((k) => k < 0n) && keys.some((k) => k > 0n)).toBe(true);
  });

  it('keeps kinds apart and depends on the key', () => {
    const a = subjectKey(TEST_LIST_KEY, { kind: 'passport', value: 'B1234567' });
    const b = subjectKey(TEST_LIST_KEY, { kind: 'plate', value: 'B1234567' });
    expect(a).not.toBe(b);
    const other = Buffer.alloc(32, 7);
    expect(subjectKey(other, { kind: 'passport', value: 'B1234567' })).not.toBe(a);
  });

  it('round-trips hex for every signed 64-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (k) => {
        const hex = subjectKeyToHex(k);
        expect(hex).toMatch(/^[0-9a-f]{16}$/);
        expect(subjectKeyFromHex(hex)).toBe(k);
      }),
    );
    expect(subjectKeyToHex(-1n)).toBe('ffffffffffffffff');
    expect(() => subjectKeyFromHex('FFFFFFFFFFFFFFFF')).toThrow();
  });
});
