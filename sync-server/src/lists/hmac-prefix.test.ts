import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256Prefix } from './hmac-prefix.js';

/** node:crypto's answer: the first 8 bytes as (signed, unsigned) 32-bit halves. */
function reference(key: Uint8Array, message: string): [number, number] {
  const d = createHmac('sha256', key).update(message, 'utf8').digest();
  return [d.readInt32BE(0), d.readUInt32BE(4)];
}

describe('HmacSha256Prefix', () => {
  it('agrees with node:crypto for every message length across block edges, ASCII and not', () => {
    for (const key of [randomBytes(32), randomBytes(64), Buffer.alloc(0), randomBytes(7)]) {
      const h = new HmacSha256Prefix(key);
      for (let len = 0; len < 200; len++) {
        for (const text of [
          'personal_id:001099012345'.repeat(10).slice(0, len),
          Array.from({ length: len }, (_, i) => String.fromCharCode(0xc0 + ((i * 31) % 900))).join(''),
        ]) {
          h.digest(text);
          expect([h.hi, h.lo]).toEqual(reference(key, text));
        }
      }
    }
  });

  it('agrees for real subjects, a long message and emoji (4-byte UTF-8)', () => {
    const key = randomBytes(32);
    const h = new HmacSha256Prefix(key);
    for (const text of ['passport:C1234567', 'plate:51F12345', '😀'.repeat(300), 'x'.repeat(5000)]) {
      h.digest(text);
      expect([h.hi, h.lo]).toEqual(reference(key, text));
    }
    expect(() => new HmacSha256Prefix(randomBytes(65))).toThrow(/at most 64/);
  });
});
