import { describe, expect, it } from 'vitest';
import { decodeBase45, encodeBase45 } from './base45.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

describe('base45 (RFC 9285)', () => {
  it.each([
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
    ['', ''],
  ])('%j ⇄ %j (the RFC examples)', (plain, encoded) => {
    expect(encodeBase45(ascii(plain))).toBe(encoded);
    expect(text(decodeBase45(encoded))).toBe(plain);
  });

  it('encodes the extremes of a pair and a single byte', () => {
    expect(encodeBase45(new Uint8Array([0xff, 0xff]))).toBe('FGW');
    expect(encodeBase45(new Uint8Array([0xff]))).toBe('U5');
    expect(decodeBase45('FGW')).toEqual(new Uint8Array([0xff, 0xff]));
    expect(decodeBase45('U5')).toEqual(new Uint8Array([0xff]));
  });

  it('refuses what is not base45 (RFC 9285 section 6)', () => {
    expect(decodeBase45('GGW')).toBeNull(); // 65536
    expect(decodeBase45('V5')).toBeNull(); // 256 in a final pair
    expect(decodeBase45('A')).toBeNull(); // 3k + 1 characters
    expect(decodeBase45('BB8A')).toBeNull();
    expect(decodeBase45('bb8')).toBeNull(); // lower case is not in the alphabet
    expect(decodeBase45('BB#')).toBeNull();
  });

  it('round-trips every byte pair value', () => {
    const all = new Uint8Array(2 * 65536 + 1);
    for (let n = 0; n < 65536; n++) {
      all[2 * n] = n >> 8;
      all[2 * n + 1] = n & 0xff;
    }
    all[all.length - 1] = 0x80;
    const encoded = encodeBase45(all);
    const decoded = decodeBase45(encoded);
    // Compared as bytes: a deep equality over 131,073 elements takes seconds.
    expect(decoded !== null && Buffer.from(decoded).equals(Buffer.from(all))).toBe(true);
  });
});
