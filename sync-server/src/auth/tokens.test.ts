import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  generateEnrollmentCode,
  generateToken,
  hashesEqual,
  hashToken,
  normalizeEnrollmentCode,
} from './tokens.js';

describe('tokens', () => {
  it('makes distinct 256-bit tokens and compares their hashes', () => {
    const a = generateToken('ck_');
    const b = generateToken('ck_');
    expect(a).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashesEqual(hashToken(a), hashToken(a))).toBe(true);
    expect(hashesEqual(hashToken(a), hashToken(b))).toBe(false);
    expect(hashesEqual(hashToken(a), '')).toBe(false);
  });

  it('never starts a token with a dash (a command line would read it as an option)', () => {
    // Without the guard, 1 in 64 tokens starts with '-': 3,000 of them miss it with p ≈ 3e-21.
    const tokens = Array.from({ length: 3000 }, () => generateToken());
    expect(tokens.filter((t) => t.startsWith('-'))).toEqual([]);
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{43}$/.test(t))).toBe(true);
  });

  it('reads bearer headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('makes typable enrollment codes and forgives how they are typed', () => {
    const code = generateEnrollmentCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(normalizeEnrollmentCode(code.toLowerCase().replace('-', ' '))).toBe(code.replace('-', ''));
    expect(normalizeEnrollmentCode('o1il-2345')).toBe('01112345');
  });
});
