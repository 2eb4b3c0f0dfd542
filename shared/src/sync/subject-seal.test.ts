import { describe, expect, it } from 'vitest';
import { canonicalSubjectKey, parseSubjectText } from '../subjects/subject.js';
import {
  frameSealedSubject,
  isSealedSubjectText,
  sealedSubjectLength,
  SUBJECT_SEAL_HEADER_BYTES,
  SUBJECT_SEAL_MAX_PLAINTEXT_BYTES,
  SUBJECT_SEAL_OVERHEAD_BYTES,
  SUBJECT_SEALED_MAX_LENGTH,
  subjectSealHeader,
  subjectSealPlaintext,
  subjectSealSalt,
  unframeSealedSubject,
} from './subject-seal.js';

const eph = new Uint8Array(32).fill(0xee);
const server = new Uint8Array(32).fill(0x55);
const nonce = new Uint8Array(12).fill(0x0c);
const tag = new Uint8Array(16).fill(0x7a);

describe('the sealed subject format', () => {
  it('lays out version, ephemeral key, nonce, ciphertext and tag, and splits them back', () => {
    const header = subjectSealHeader(eph, nonce);
    expect(header).toHaveLength(SUBJECT_SEAL_HEADER_BYTES);
    expect(header[0]).toBe(1);
    const bytes = frameSealedSubject(header, Uint8Array.of(1, 2, 3), tag);
    expect(bytes).toHaveLength(3 + SUBJECT_SEAL_OVERHEAD_BYTES);
    const parts = unframeSealedSubject(bytes);
    expect(parts && [...parts.ephemeralPublic]).toEqual([...eph]);
    expect(parts && [...parts.nonce]).toEqual([...nonce]);
    expect(parts && [...parts.ciphertext]).toEqual([1, 2, 3]);
    expect(parts && [...parts.tag]).toEqual([...tag]);
    expect(parts && [...parts.header]).toEqual([...header]);
    expect([...subjectSealSalt(eph, server)]).toEqual([...eph, ...server]);
  });

  it('refuses another version, no ciphertext, and more than the schema holds', () => {
    const header = subjectSealHeader(eph, nonce);
    const bytes = frameSealedSubject(header, Uint8Array.of(9), tag);
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(unframeSealedSubject(v2)).toBeNull();
    expect(unframeSealedSubject(bytes.subarray(0, SUBJECT_SEAL_OVERHEAD_BYTES))).toBeNull();
    expect(
      unframeSealedSubject(
        new Uint8Array(SUBJECT_SEAL_OVERHEAD_BYTES + SUBJECT_SEAL_MAX_PLAINTEXT_BYTES + 1).fill(1),
      ),
    ).toBeNull();
    expect(() => frameSealedSubject(header, new Uint8Array(0), tag)).toThrow(/ciphertext/);
    expect(() => frameSealedSubject(header.subarray(1), Uint8Array.of(1), tag)).toThrow(/header/);
    expect(() => subjectSealHeader(eph.subarray(1), nonce)).toThrow(/ephemeral public key must be 32 bytes/);
    expect(() => subjectSealSalt(eph, server.subarray(2))).toThrow(/server public key must be 32 bytes/);
  });

  it('fits the longest canonical subject of every kind, and the longest plaintext exactly, in 512 characters', () => {
    for (const text of ['001203004005', 'AB12345678', '51AB123456']) {
      const canonical = canonicalSubjectKey(parseSubjectText(text)!);
      expect(sealedSubjectLength(subjectSealPlaintext(canonical).length)).toBeLessThanOrEqual(116);
    }
    expect(SUBJECT_SEAL_MAX_PLAINTEXT_BYTES).toBe(323);
    expect(sealedSubjectLength(SUBJECT_SEAL_MAX_PLAINTEXT_BYTES)).toBe(SUBJECT_SEALED_MAX_LENGTH);
    expect(sealedSubjectLength(SUBJECT_SEAL_MAX_PLAINTEXT_BYTES + 1)).toBeGreaterThan(
      SUBJECT_SEALED_MAX_LENGTH,
    );
    expect(() => subjectSealPlaintext('x'.repeat(324))).toThrow(/324 bytes, at most 323/);
    // UTF-8 bytes count, not characters.
    expect(() => subjectSealPlaintext('é'.repeat(162))).toThrow(/324 bytes/);
    expect(() => subjectSealPlaintext('')).toThrow(/empty/);
  });

  it('takes only canonical padded base64 within the schema’s length as sealed text', () => {
    expect(isSealedSubjectText('QUJD')).toBe(true);
    expect(isSealedSubjectText('QUI=')).toBe(true);
    expect(isSealedSubjectText('QQ==')).toBe(true);
    expect(isSealedSubjectText('QQ')).toBe(false);
    expect(isSealedSubjectText('QU I=')).toBe(false);
    expect(isSealedSubjectText('QU-_')).toBe(false);
    expect(isSealedSubjectText('Q===')).toBe(false);
    expect(isSealedSubjectText('A'.repeat(SUBJECT_SEALED_MAX_LENGTH))).toBe(true);
    expect(isSealedSubjectText('A'.repeat(SUBJECT_SEALED_MAX_LENGTH + 4))).toBe(false);
  });
});
