import { randomBytes } from 'node:crypto';
import { canonicalSubjectKey } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import {
  KeyCollisionError,
  KeyedEntries,
  LaneKeyMemo,
  laneSubjectKey,
  laneSubjectKeyHex,
  TimeSlice,
} from './rekey.js';
import { subjectKey, subjectKeyToHex } from './subject-key.js';

const KEY = randomBytes(32);
const subject = (i: number) => ({ kind: 'personal_id' as const, value: String(100_000_000_000 + i * 7919) });

async function sorted(entries: KeyedEntries): Promise<[bigint, number][]> {
  const out: [bigint, number][] = [];
  await entries.merge((k, c) => out.push([k, c]), new TimeSlice(1));
  return out;
}

describe('laneSubjectKey', () => {
  it('is subjectKey() of the parsed subject, from its canonical text', () => {
    for (let i = 0; i < 50; i++) {
      const s = subject(i);
      expect(laneSubjectKey(KEY, canonicalSubjectKey(s))).toBe(subjectKey(KEY, s));
      expect(laneSubjectKeyHex(KEY, canonicalSubjectKey(s))).toBe(subjectKeyToHex(subjectKey(KEY, s)));
    }
    expect(laneSubjectKey(randomBytes(32), canonicalSubjectKey(subject(1)))).not.toBe(
      laneSubjectKey(KEY, canonicalSubjectKey(subject(1))),
    );
  });
});

describe('LaneKeyMemo', () => {
  it('answers laneSubjectKeyHex per list key, and holds at most its bound', () => {
    const memo = new LaneKeyMemo(3);
    const a = { id: 1, key: KEY };
    const b = { id: 2, key: randomBytes(32) };
    for (const s of ['personal_id:1', 'personal_id:2']) {
      expect(memo.hex(a, s)).toBe(laneSubjectKeyHex(KEY, s));
      expect(memo.hex(a, s)).toBe(laneSubjectKeyHex(KEY, s));
      expect(memo.hex(b, s)).toBe(laneSubjectKeyHex(b.key, s));
    }
    expect(memo.hex(a, 'personal_id:1')).not.toBe(memo.hex(b, 'personal_id:1'));
    expect(memo.size).toBeLessThanOrEqual(3);
  });
});

describe('KeyedEntries', () => {
  it.each([
    ['one run', 100_000, 20_000],
    ['one run that grows', 20_000, 20_000],
    ['many runs and a short last one', 97, 5_000],
    ['runs of one entry', 1, 200],
  ])('gives every entry back once, in ascending signed key order, with its class (%s)', async (_, run, n) => {
    const entries = new KeyedEntries(KEY, run);
    const slice = new TimeSlice(1);
    for (let i = 0; i < n; i++) {
      // Some full runs are sorted as they fill, the others by the merge.
      if (entries.add(canonicalSubjectKey(subject(i)), i % 7) && i % 3 === 0) await entries.sortRuns(slice);
    }
    expect(entries.length).toBe(n);
    const expected = Array.from({ length: n }, (_, i): [bigint, number] => [
      subjectKey(KEY, subject(i)),
      i % 7,
    ]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(expected.some(([k]) => k < 0n) && expected.some(([k]) => k > 0n)).toBe(true);
    expect(await sorted(entries)).toEqual(expected);
  });

  it('keeps class indexes above 65535', async () => {
    const entries = new KeyedEntries(KEY, 2);
    expect(entries.add('personal_id:1', 69_999)).toBe(false);
    expect(entries.add('personal_id:2', 65_536)).toBe(true);
    expect(entries.add('personal_id:3', 0)).toBe(false);
    expect(new Map(await sorted(entries))).toEqual(
      new Map([
        [laneSubjectKey(KEY, 'personal_id:1'), 69_999],
        [laneSubjectKey(KEY, 'personal_id:2'), 65_536],
        [laneSubjectKey(KEY, 'personal_id:3'), 0],
      ]),
    );
  });

  it('refuses two equal keys, in one run or across runs', async () => {
    for (const run of [10, 1]) {
      const entries = new KeyedEntries(KEY, run);
      for (const s of ['personal_id:1', 'personal_id:2', 'personal_id:1']) entries.add(s, 0);
      await expect(sorted(entries)).rejects.toThrow(KeyCollisionError);
    }
  });

  it('gives an empty list back as nothing; a run holds at least one entry', async () => {
    expect(await sorted(new KeyedEntries(KEY))).toEqual([]);
    expect(() => new KeyedEntries(KEY, 0)).toThrow(/at least one/);
  });

  it('returns to the event loop during a long sort and merge, and counts its longest slice', async () => {
    const n = 300_000;
    const entries = new KeyedEntries(KEY, 1 << 17);
    const slice = new TimeSlice(2);
    for (let i = 0; i < n; i++) entries.add(`personal_id:${i}`, 0);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let count = 0;
    let flushes = 0;
    await entries.merge(
      () => count++,
      slice,
      () => {
        flushes++;
        return Promise.resolve();
      },
    );
    clearInterval(timer);
    expect(count).toBe(n);
    expect(ticks).toBeGreaterThan(0);
    expect(flushes).toBeGreaterThan(0);
    slice.end();
    expect(slice.longestMs).toBeGreaterThan(0);
    expect(slice.longestCpuMs).toBeGreaterThanOrEqual(0);
  });
});
