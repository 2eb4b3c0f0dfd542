import { crc32 as zlibCrc32 } from 'node:zlib';
import { HEALTH_STATUSES, WHITELIST_CATEGORIES } from '../index.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeSnapshot,
  encodeSnapshot,
  SnapshotDecoder,
  SnapshotEncoder,
  type HealthClass,
  type SnapshotHeader,
  type WhitelistClass,
} from './snapshot-codec.js';

const key64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const time = fc.option(fc.integer({ min: -1e12, max: 4e12 }), { nil: null });
const healthClass: fc.Arbitrary<HealthClass> = fc.record({
  status: fc.constantFrom(...HEALTH_STATUSES),
  since: time,
  until: time,
});
const whitelistClass: fc.Arbitrary<WhitelistClass> = fc.record({
  category: fc.constantFrom(...WHITELIST_CATEGORIES),
  scope: fc.constantFrom('everywhere' as const, 'here' as const, 'elsewhere' as const),
  validFrom: time,
  validUntil: time,
});

function sortedUnique(keys: bigint[]): bigint[] {
  return [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('snapshot codec', () => {
  it('round-trips health snapshots of any keys and classes, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(key64, { maxLength: 200 }),
        fc.array(healthClass, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.integer({ min: 1, max: 64 }),
        (rawKeys, classes, seed, chunk) => {
          const keys = sortedUnique(rawKeys);
          const entries = keys.map((key, i) => ({ key, classIndex: (seed + i * 7) % classes.length }));
          const header: SnapshotHeader = {
            list: 'health',
            version: seed,
            count: keys.length,
            checkpointId: '',
            classes,
          };
          const bytes = encodeSnapshot(header, entries);
          const d = new SnapshotDecoder();
          const out = [];
          for (let i = 0; i < bytes.length; i += chunk) out.push(...d.push(bytes.subarray(i, i + chunk)));
          expect(d.end()).toEqual(header);
          expect(out.map((e) => e.key)).toEqual(keys);
          expect(out.map((e) => e.entry)).toEqual(entries.map((e) => classes[e.classIndex]));
        },
      ),
    );
  });

  it('round-trips whitelist snapshots, resolving scope to what one lane needs', () => {
    fc.assert(
      fc.property(
        fc.array(key64, { maxLength: 100 }),
        fc.array(whitelistClass, { minLength: 1, maxLength: 9 }),
        (rawKeys, classes) => {
          const keys = sortedUnique(rawKeys);
          const entries = keys.map((key, i) => ({ key, classIndex: i % classes.length }));
          const header: SnapshotHeader = {
            list: 'whitelist',
            version: 3,
            count: keys.length,
            checkpointId: 'HCM-Q1.gate',
            classes,
          };
          const { header: h, entries: out } = decodeSnapshot(encodeSnapshot(header, entries));
          expect(h).toEqual(header);
          out.forEach((e, i) => {
            const c = classes[entries[i]!.classIndex]!;
            expect(e.entry).toEqual({
              category: c.category,
              validFrom: c.validFrom,
              validUntil: c.validUntil,
              checkpoints: c.scope === 'everywhere' ? null : c.scope === 'here' ? ['HCM-Q1.gate'] : [],
            });
          });
        },
      ),
    );
  });

  it('handles the extreme keys and streams in chunks', () => {
    const keys = [-(2n ** 63n), -1n, 0n, 1n, 2n ** 63n - 1n];
    const header: SnapshotHeader = {
      list: 'health',
      version: 1,
      count: keys.length,
      checkpointId: '',
      classes: [{ status: 'F0', since: null, until: null }],
    };
    const enc = new SnapshotEncoder(header, 4);
    const parts: Uint8Array[] = [];
    for (const key of keys) {
      const c = enc.add(key, 0);
      if (c) parts.push(c);
    }
    parts.push(enc.finish());
    expect(parts.length).toBeGreaterThan(2);
    const d = new SnapshotDecoder();
    const got = parts.flatMap((p) => d.push(p)).map((e) => e.key);
    d.end();
    expect(got).toEqual(keys);
  });

  it('rejects unsorted keys, a wrong count, corruption and truncation', () => {
    const header: SnapshotHeader = {
      list: 'health',
      version: 1,
      count: 2,
      checkpointId: '',
      classes: [{ status: 'F1', since: 5, until: null }],
    };
    expect(() =>
      encodeSnapshot(header, [
        { key: 5n, classIndex: 0 },
        { key: 5n, classIndex: 0 },
      ]),
    ).toThrow(/ascending/);
    expect(() => encodeSnapshot(header, [{ key: 5n, classIndex: 0 }])).toThrow(/2 entries/);
    const bytes = encodeSnapshot(header, [
      { key: 5n, classIndex: 0 },
      { key: 9n, classIndex: 0 },
    ]);
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6]! + 1) & 0x7f;
    expect(() => decodeSnapshot(corrupt)).toThrow();
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1))).toThrow(/trailing bytes|truncated/);
    expect(() => decodeSnapshot(new TextEncoder().encode('id,status\n'))).toThrow(
      /not a checkpoint-lane snapshot/,
    );
  });

  it('uses about 8 bytes per entry for 100k random keys in a few classes', () => {
    const keys = sortedUnique(
      Array.from({ length: 100_000 }, (_, i) => BigInt.asIntN(64, BigInt(i + 1) * 0x9e3779b97f4a7c15n)),
    );
    const header: SnapshotHeader = {
      list: 'health',
      version: 1,
      count: keys.length,
      checkpointId: '',
      classes: [{ status: 'F0', since: 1_631_000_000_000, until: null }],
    };
    const bytes = encodeSnapshot(
      header,
      keys.map((key) => ({ key, classIndex: 0 })),
    );
    // 100k keys spread over 2^64: gaps ~2^47, i.e. 7 varint bytes, plus 1 for the class.
    expect(bytes.length / keys.length).toBeLessThanOrEqual(8.01);
  });

  it('computes the same CRC-32 as zlib', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(crc32(b)).toBe(zlibCrc32(b));
      }),
    );
  });
});
