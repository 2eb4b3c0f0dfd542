import fc from 'fast-check';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { decide } from '../decision/decide.js';
import { REASON_CODES } from '../decision/reason-codes.js';
import { PROVINCE_CODES } from '../personal-id/province-codes.js';
import { CheckpointConfig, CHECKPOINT_DEFAULTS } from '../schemas/checkpoint-schemas.js';
import type { HealthEntry, WhitelistEntry } from '../schemas/list-schemas.js';
import { DecisionSchema } from '../schemas/scan-schemas.js';
import { parseSubjectText } from '../subjects/subject.js';
import { HEALTH_STATUSES, WHITELIST_CATEGORIES } from '../vocabulary.js';
import { parsePayload } from './parse-payload.js';
import type { PayloadResult } from './payload-types.js';

/** Runs per property; the note on the issue reports these counts. */
const RUNS = 2000;
const now = Date.UTC(2026, 10, 23, 3, 0, 0);
const parse = (raw: string): PayloadResult => parsePayload(raw, { now });

/** Every shape a lane may be handed: printable, any Unicode, control characters, NFD, mixed scripts, big. */
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 600 }).map((bytes) => new TextDecoder().decode(bytes)),
  fc.string({
    unit: fc.constantFrom('|', '0', '1', '9', '*', '-', '/', ' ', '\r', '\n', '\u0000', 'Ữ', 'A'),
    maxLength: 80,
  }),
  fc.string({ unit: 'grapheme-composite', maxLength: 100 }).map((s) => s.normalize('NFD')),
  fc
    .array(fc.constantFrom('Nguyễn', 'Нина', '李', 'محمد', '😀', '\u0301', '|', '001090123456'), {
      maxLength: 30,
    })
    .map((a) => a.join('')),
  fc.string({ minLength: 10_000, maxLength: 12_000 }),
);

function expectValidResult(result: PayloadResult): void {
  if (result.ok) {
    const { subject } = result.value;
    if (subject !== null) expect(parseSubjectText(subject.value)).toEqual(subject);
    for (const w of result.value.warnings) expect(typeof w).toBe('string');
  } else {
    expect(REASON_CODES).toContain(result.error.code);
    expect(result.error.message.length).toBeGreaterThan(0);
  }
}

describe('parsePayload never throws and always answers in shape', () => {
  it('for any text', () => {
    fc.assert(
      fc.property(anyText, (raw) => {
        expectValidResult(parse(raw));
      }),
      { numRuns: RUNS },
    );
  });

  it('reads NFD and NFC spellings of the same text alike', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 300 }), (s) => {
        expect(parse(s.normalize('NFD'))).toEqual(parse(s.normalize('NFC')));
      }),
      { numRuns: RUNS },
    );
  });
});

/** A structurally valid 12-digit ID: a real province, any century/sex digit up to this century, any serial. */
const validPersonalId = fc
  .tuple(
    fc.constantFrom(...PROVINCE_CODES.keys()),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 999_999 }),
  )
  .filter(([, g, yy]) => 1900 + Math.floor(g / 2) * 100 + yy <= 2026)
  .map(([p, g, yy, serial]) => `${p}${g}${String(yy).padStart(2, '0')}${String(serial).padStart(6, '0')}`);

const date = fc.date({ min: new Date('1900-01-01'), max: new Date('2026-01-01'), noInvalidDate: true });
const ddMMyyyy = (d: Date): string =>
  `${String(d.getUTCDate()).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${d.getUTCFullYear()}`;

describe('valid payloads always name their subject', () => {
  it('bare IDs', () => {
    fc.assert(
      fc.property(validPersonalId, fc.constantFrom('', '\r\n', '\n', ' '), (id, suffix) => {
        const result = parse(`${id}${suffix}`);
        expect(result.ok && result.value.subject).toEqual({ kind: 'personal_id', value: id });
      }),
      { numRuns: RUNS },
    );
  });

  it('chip ID card QRs in every layout, with any name and address, in NFC or NFD', () => {
    // Card fields never hold separators or control characters.
    const field = fc
      .string({ maxLength: 60 })
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .map((s) => s.replace(/[|\r\n\u0000-\u001f\u007f-\u009f]/g, ''));
    fc.assert(
      fc.property(
        validPersonalId,
        field,
        field,
        date,
        date,
        fc.constantFrom('Nam', 'Nữ'),
        fc.constantFrom('7', '11', '6'),
        fc.boolean(),
        (id, name, address, born, issued, sex, layout, nfd) => {
          const text =
            layout === '6'
              ? [
                  id,
                  name,
                  born.toISOString().slice(0, 10).split('-').reverse().join('/'),
                  sex,
                  address,
                  '01/01/2021',
                ].join('|')
              : [
                  id,
                  '',
                  name,
                  ddMMyyyy(born),
                  sex,
                  address,
                  ddMMyyyy(issued),
                  ...(layout === '11' ? ['', '', '', ''] : []),
                ].join('|');
          const result = parse(nfd ? text.normalize('NFD') : text);
          expect(result.ok).toBe(true);
          if (result.ok) {
            expect(result.value.format).toBe('chip_id_card');
            expect(result.value.subject).toEqual({ kind: 'personal_id', value: id });
            expect(result.value.warnings.includes('card_reformatted')).toBe(layout === '6');
            // NFD `Nữ` must still read as female: the parser normalises before it compares.
            expect(result.value.sex).toBe(sex === 'Nam' ? 'male' : 'female');
            expect(result.value.warnings).not.toContain('card_sex_unreadable');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('plates written any common way share one key', () => {
    const plate = fc.tuple(
      fc.integer({ min: 10, max: 99 }),
      fc.constantFrom('A', 'F', 'LD', 'KT'),
      fc.integer({ min: 10_000, max: 99_999 }),
    );
    fc.assert(
      fc.property(
        plate,
        fc.constantFrom('-', ' ', '', ' - '),
        fc.boolean(),
        ([pp, series, num], sep, lower) => {
          const n = String(num);
          const written = `${pp}${series}${sep}${n.slice(0, 3)}.${n.slice(3)}`;
          const result = parse(lower ? written.toLowerCase() : written);
          expect(result.ok && result.value.subject).toEqual({ kind: 'plate', value: `${pp}${series}${n}` });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

const epoch = fc.integer({ min: now - 400 * 86_400_000, max: now + 400 * 86_400_000 });
const maybeEpoch = fc.option(epoch, { nil: null });
const healthEntry: fc.Arbitrary<HealthEntry | null> = fc.option(
  fc.record({ status: fc.constantFrom(...HEALTH_STATUSES), since: maybeEpoch, until: maybeEpoch }),
  { nil: null },
);
const whitelistEntry: fc.Arbitrary<WhitelistEntry | null> = fc.option(
  fc.record({
    category: fc.constantFrom(...WHITELIST_CATEGORIES),
    validFrom: maybeEpoch,
    validUntil: maybeEpoch,
    checkpoints: fc.option(fc.array(fc.constantFrom('A', 'B', 'C'), { maxLength: 3 }), { nil: null }),
  }),
  { nil: null },
);
const checkpoint: fc.Arbitrary<CheckpointConfig> = fc.record({
  id: fc.constantFrom('A', 'B'),
  name: fc.constant('Chốt'),
  mode: fc.constantFrom('open', 'closed'),
  freshnessBudgetSec: fc.integer({ min: 60, max: 86_400 }),
  blockingStatuses: fc.subarray([...HEALTH_STATUSES]),
  repeatWindowSec: fc.integer({ min: 0, max: 30 }),
});

describe('the decision policy always answers a valid decision', () => {
  it('for any payload, list entries, checkpoint and clock', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, validPersonalId),
        healthEntry,
        whitelistEntry,
        checkpoint,
        maybeEpoch,
        maybeEpoch,
        maybeEpoch,
        (raw, health, whitelist, cp, healthSync, whitelistSync, lastSame) => {
          const payload = parse(raw);
          const result = decide({
            payload,
            health,
            whitelist,
            checkpoint: cp,
            listsSyncedAt: { health: healthSync, whitelist: whitelistSync },
            lastSameScanAt: lastSame,
            now,
          });
          expect(Value.Check(DecisionSchema, result)).toBe(true);
          expect(result.reasons.length).toBeGreaterThan(0);
          // Never green without a readable subject; never green for a blocking status in force.
          if (!payload.ok || payload.value.subject === null) expect(result.decision).toBe('amber');
          const blocked =
            health !== null &&
            cp.blockingStatuses.includes(health.status) &&
            (health.since === null || health.since <= now) &&
            (health.until === null || now < health.until);
          if (payload.ok && payload.value.subject !== null && blocked) expect(result.decision).toBe('red');
          if (result.alert) expect(result.decision).toBe('red');
        },
      ),
      { numRuns: RUNS },
    );
    // Thousands of runs: seconds on a busy shared machine, beyond the default 5 s at times.
  }, 60_000);

  it('defaults are a valid checkpoint config', () => {
    expect(Value.Check(CheckpointConfig, { id: 'A', name: 'x', mode: 'open', ...CHECKPOINT_DEFAULTS })).toBe(
      true,
    );
  });
});
