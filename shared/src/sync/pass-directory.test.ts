import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { PassDirectory, passDirectoryMessage, PassKeySchema } from './pass-directory.js';

const KEY_A = `${'A'.repeat(42)}E`;
const KEY_B = `${'b'.repeat(42)}w`;

const doc: PassDirectory = {
  version: 7,
  keys: [
    { keyId: 4, publicKey: KEY_B, validFrom: 2000, validUntil: null },
    { keyId: 3, publicKey: KEY_A, validFrom: 1000, validUntil: 2000 },
  ],
  revoked: [
    { passId: 'ffff000011112222', until: 9000 },
    { passId: '0000000011112222', until: 8000 },
  ],
};

describe('pass directory', () => {
  it('signs a canonical message: sorted, counted, one field per column', () => {
    expect(passDirectoryMessage(doc)).toBe(
      [
        'CLPAS1',
        '7',
        'keys 2',
        `3 ${KEY_A} 1000 2000`,
        `4 ${KEY_B} 2000 -`,
        'revoked 2',
        '0000000011112222 8000',
        'ffff000011112222 9000',
      ].join('\n'),
    );
    const reordered = { ...doc, keys: [...doc.keys].reverse(), revoked: [...doc.revoked].reverse() };
    expect(passDirectoryMessage(reordered)).toBe(passDirectoryMessage(doc));
    expect(passDirectoryMessage({ version: 0, keys: [], revoked: [] })).toBe('CLPAS1\n0\nkeys 0\nrevoked 0');
  });

  it('a change in any value changes the message', () => {
    const base = passDirectoryMessage(doc);
    const [k3, k4] = [doc.keys[1]!, doc.keys[0]!];
    for (const changed of [
      { ...doc, version: 8 },
      { ...doc, keys: [k4, { ...k3, validUntil: null }] },
      { ...doc, keys: [k4, { ...k3, validFrom: 999 }] },
      { ...doc, keys: [k4] },
      { ...doc, revoked: doc.revoked.slice(1) },
      { ...doc, revoked: [doc.revoked[0]!, { passId: '0000000011112222', until: 8001 }] },
    ]) {
      expect(passDirectoryMessage(changed)).not.toBe(base);
    }
  });

  it('refuses values it cannot write unambiguously', () => {
    const k = doc.keys[0]!;
    expect(() => passDirectoryMessage({ ...doc, keys: [{ ...k, publicKey: 'a b' }] })).toThrow();
    expect(() => passDirectoryMessage({ ...doc, keys: [{ ...k, keyId: 0 }] })).toThrow();
    expect(() => passDirectoryMessage({ ...doc, version: -1 })).toThrow();
    expect(() => passDirectoryMessage({ ...doc, revoked: [{ passId: 'x\n', until: 1 }] })).toThrow();
  });

  it('schema: accepts the answer, refuses padded or wrong-length keys', () => {
    expect(Value.Check(PassDirectory, doc)).toBe(true);
    expect(Value.Check(PassKeySchema, { ...doc.keys[0], publicKey: `${KEY_A}=` })).toBe(false);
    expect(Value.Check(PassKeySchema, { ...doc.keys[0], publicKey: `${'A'.repeat(42)}B` })).toBe(false);
    expect(Value.Check(PassKeySchema, { ...doc.keys[0], keyId: 256 })).toBe(false);
    expect(Value.Check(PassDirectory, { ...doc, revoked: [{ passId: 'ABCDEF0011223344', until: 1 }] })).toBe(
      false,
    );
  });
});
