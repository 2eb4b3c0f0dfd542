import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../decision/reason-codes.js';
import { parsePayload } from '../payloads/parse-payload.js';
import { parsePlate } from '../payloads/parse-vehicle-plate.js';
import { BASE45_ALPHABET, encodeBase45 } from './base45.js';
import { formatPass, parsePass, PASS_MAX_TEXT_LENGTH, type AreaCode, type PassBody } from './pass-codec.js';

/** Runs per property, as the payload property tests use. */
const RUNS = 2000;
const now = Date.UTC(2026, 11, 1, 3, 0, 0);

const base45Text = fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET.split('')), maxLength: 200 });

/** Texts that reach every branch of the pass parser: any text, base45 after the prefix, near-valid bytes. */
const passLike = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 300 }).map((s) => `CLP1:${s}`),
  base45Text.map((s) => `CLP1:${s}`),
  fc
    .tuple(fc.uint8Array({ minLength: 96, maxLength: 112 }), fc.integer({ min: 0, max: 14 }), fc.boolean())
    .map(([bytes, plateLength, versionOne]) => {
      const b = new Uint8Array(bytes);
      if (versionOne) b[0] = 1;
      if (b.length > 33) b[33] = plateLength;
      return `CLP1:${encodeBase45(b)}`;
    }),
);

const hex16 = fc
  .uint8Array({ minLength: 8, maxLength: 8 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
const area: fc.Arbitrary<AreaCode> = fc.record({
  province: fc.integer({ min: 1, max: 99 }),
  district: fc.option(fc.integer({ min: 1, max: 999 })),
  ward: fc.option(fc.integer({ min: 1, max: 99_999 })),
});
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
const letters = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHKLMNPSTUVXYZ'.split('')),
  minLength: 1,
  maxLength: 2,
});
const plate = fc
  .tuple(digits(2, 2), letters, digits(4, 6))
  .map((parts) => parts.join(''))
  .filter((p) => parsePlate(p)?.compact === p);

const validBody: fc.Arbitrary<PassBody> = fc
  .record({
    keyId: fc.integer({ min: 1, max: 255 }),
    passId: hex16,
    personalId: digits(12, 12),
    fromSeconds: fc.integer({ min: 0, max: 0xffffffff }),
    minutes: fc.integer({ min: 1, max: 0xffff }),
    from: area,
    to: area,
    plate: fc.option(plate),
  })
  .map(({ fromSeconds, minutes, ...rest }) => ({
    ...rest,
    validFrom: fromSeconds * 1000,
    validUntil: fromSeconds * 1000 + minutes * 60_000,
  }));

describe('lane pass parser (properties)', () => {
  it('never throws on any text, and answers in shape', () => {
    fc.assert(
      fc.property(passLike, (text) => {
        const r = parsePass(text);
        if (!r.ok) {
          expect(['payload_field_invalid', 'payload_unknown_format']).toContain(r.error.code);
        } else {
          expect(r.value.signature).toHaveLength(64);
        }
        const payload = parsePayload(text, { now });
        if (!payload.ok) expect(REASON_CODES).toContain(payload.error.code);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads back every pass written from a valid body, through parsePass and parsePayload', () => {
    fc.assert(
      fc.property(validBody, fc.uint8Array({ minLength: 64, maxLength: 64 }), (body, signature) => {
        const text = formatPass(body, signature);
        expect(text.length).toBeLessThanOrEqual(PASS_MAX_TEXT_LENGTH);
        expect(text).toMatch(/^CLP1:[0-9A-Z $%*+\-./:]+$/);
        const r = parsePass(text);
        expect(r.ok && r.value.body).toEqual(body);
        expect(r.ok && r.value.signature).toEqual(signature);
        const payload = parsePayload(text, { now });
        expect(payload.ok && payload.value.format).toBe('lane_pass');
        expect(payload.ok && payload.value.subject).toEqual({ kind: 'personal_id', value: body.personalId });
        expect(payload.ok && payload.value.pass?.body).toEqual(body);
        // As a scanner with Caps Lock on types it: the same pass.
        const lower = parsePayload(text.toLowerCase(), { now });
        expect(lower.ok && lower.value.pass?.body).toEqual(body);
      }),
      { numRuns: RUNS },
    );
  });
});
