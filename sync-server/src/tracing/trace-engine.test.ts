// The trace engine over the real stores of both engines: scans uploaded through the lane upload
// (sealed, keyed at ingest), traced, and compared with a brute-force reference over the same scans.
import { expect, it, vi } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { openPgStore } from '../db/pg/pg-store.js';
import { describeEngines, type EngineDb } from '../db/store/engines.testkit.js';
import { openSqliteStore, type OpenedStore } from '../db/store/sqlite-store.js';
import type { TraceParams } from '../db/store/traces-store.js';
import { mergedWindows, runTrace, type EngineContact } from './trace-engine.js';
import {
  addStoryLanes,
  evidenceText,
  keyOf,
  MAX_EVIDENCE,
  referenceTrace,
  STORY_FROM,
  STORY_TO,
  T0,
  traceStory,
  uploadStory,
  WHO,
  type StoryScan,
} from './trace-story.testkit.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 });

const INDEX_KEY = Buffer.alloc(32, 9);
const NOW = T0 + 2 * 86_400_000;

async function storeOf(d: EngineDb): Promise<OpenedStore> {
  if (d.engine === 'sqlite') return openSqliteStore(d.db, { indexKey: INDEX_KEY, clock: () => NOW });
  return openPgStore(d.pool, { indexKey: INDEX_KEY, clock: () => NOW, closePool: false });
}

const k = (text: string): bigint => keyOf(INDEX_KEY, text);
const params = (hops: 1 | 2, windowMinutes = 15): TraceParams => ({
  indexKeys: [k(WHO.f0a), k(WHO.f0b)],
  from: STORY_FROM,
  to: STORY_TO,
  windowMinutes,
  hops,
});

/** Engine contacts in the reference's form. */
function asReference(contacts: readonly EngineContact[]) {
  return new Map(
    contacts.map((c) => [
      c.subjectKey,
      { hop: c.hop, via: c.via, evidence: c.evidence.map(evidenceText).sort() },
    ]),
  );
}

it('merges overlapping windows per checkpoint, keeps apart those that do not touch', () => {
  const s = (at: number) =>
    ({
      id: String(at),
      kioskId: 'L',
      checkpointId: 'CP',
      at,
      subjectKey: 1n,
      subjectSealed: null,
      format: null,
      vehicleId: null,
    }) as const;
  expect(mergedWindows(new Map([['CP', [s(0), s(10), s(50)]]]), 5)).toEqual([
    { checkpointId: 'CP', from: -5, to: 15 },
    { checkpointId: 'CP', from: 45, to: 55 },
  ]);
});

describeEngines('trace engine', ({ open }) => {
  let story: StoryScan[];
  let store: OpenedStore;

  it('finds the story on scans uploaded through the lane upload', async () => {
    const d = await open();
    store = await storeOf(d);
    story = traceStory();
    await addStoryLanes(store, T0 - 86_400_000);
    await uploadStory(store, story, NOW);

    const contacts = await runTrace(store.traceScans, params(1), { chunk: 1 });
    expect(contacts).not.toBeNull();
    const byKey = new Map((contacts ?? []).map((c) => [c.subjectKey, c]));
    // The one-minute neighbour at the same checkpoint, with its evidence.
    const near = byKey.get(k(WHO.near));
    expect(near).toMatchObject({ hop: 1, via: 'lane', evidenceCount: 2 });
    expect(near?.evidence[0]).toEqual({
      checkpointId: 'CP1',
      kioskId: 'L2',
      at: T0 + 60_000,
      indexKey: k(WHO.f0a),
      indexAt: T0,
      vehicleId: null,
    });
    expect(near?.subjectSealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(store.scanSeal.open(near?.subjectSealed ?? '')).toBe(`personal_id:${WHO.near}`);
    // Not the one an hour later, not the other checkpoint's, not one before the period.
    expect(byKey.has(k(WHO.hourLater))).toBe(false);
    expect(byKey.has(k(WHO.otherCheckpoint))).toBe(false);
    expect(byKey.has(k(WHO.beforePeriod))).toBe(false);
    // The vehicle: its plate and both passengers, the one 40 minutes later too.
    for (const who of [WHO.plate, WHO.passenger, WHO.latePassenger])
      expect(byKey.get(k(who))).toMatchObject({ hop: 1, via: 'vehicle' });
    expect(byKey.get(k(WHO.plate))?.format).toBe('vehicle_plate');
    // Index subjects are never contacts (f0b was next to f0a); hop 2 was not asked.
    expect(byKey.has(k(WHO.f0a))).toBe(false);
    expect(byKey.has(k(WHO.f0b))).toBe(false);
    expect(byKey.has(k(WHO.hop2))).toBe(false);
  });

  it('hop 2 is found from the hop-1 contacts', async () => {
    const contacts = (await runTrace(store.traceScans, params(2))) ?? [];
    const byKey = new Map(contacts.map((c) => [c.subjectKey, c]));
    expect(byKey.get(k(WHO.hop2))).toMatchObject({
      hop: 2,
      via: 'lane',
      evidence: [expect.objectContaining({ indexKey: k(WHO.near), checkpointId: 'CP2' })],
    });
    expect(byKey.get(k(WHO.near))?.hop).toBe(1);
    expect(byKey.has(k(WHO.f0a))).toBe(false);
    // Hop 1 first.
    const hops = contacts.map((c) => c.hop);
    expect(hops).toEqual([...hops].sort());
  });

  for (const [hops, windowMinutes, chunk] of [
    [1, 15, 50],
    [2, 15, 1],
    [2, 60, 3],
    [1, 1, 2],
  ] as const) {
    it(`equals the brute-force reference (hops ${hops}, ±${windowMinutes} min, chunks of ${chunk})`, async () => {
      const p = params(hops, windowMinutes);
      const progress: number[] = [];
      const contacts = await runTrace(store.traceScans, p, {
        chunk,
        // One window per store call in one case: the results must not depend on batching.
        windowsPerCall: chunk === 3 ? 1 : 16,
        progress: (f) => {
          progress.push(f);
          return Promise.resolve(true);
        },
      });
      const reference = referenceTrace(story, INDEX_KEY, p);
      expect(reference.size).toBeGreaterThanOrEqual(4);
      const got = asReference(contacts ?? []);
      // Evidence beyond MAX_EVIDENCE is counted, not kept: compare the earliest kept.
      for (const c of contacts ?? []) {
        const ref = reference.get(c.subjectKey);
        expect(c.evidenceCount).toBe(ref?.evidence.length);
        if (ref !== undefined && ref.evidence.length > MAX_EVIDENCE) {
          expect(c.evidence).toHaveLength(MAX_EVIDENCE);
          got.delete(c.subjectKey);
          reference.delete(c.subjectKey);
        }
      }
      expect(got).toEqual(reference);
      expect(progress.at(-1)).toBe(1);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    });
  }

  it('does not run hop 2 from more hop-1 contacts than the limit, and says so', async () => {
    const hop1 = (await runTrace(store.traceScans, params(1), { chunk: 1 })) ?? [];
    expect(hop1.length).toBeGreaterThan(2);
    const skipped: number[] = [];
    const progress: number[] = [];
    const over = await runTrace(store.traceScans, params(2), {
      chunk: 1,
      maxHop2Sources: hop1.length - 1,
      onHop2Skipped: (limit) => skipped.push(limit),
      progress: (f) => {
        progress.push(f);
        return Promise.resolve(true);
      },
    });
    // Hop 1's contacts only, as a 1-hop trace finds them; the limit told; progress ends at 1.
    expect(over).toEqual(hop1);
    expect(skipped).toEqual([hop1.length - 1]);
    expect(progress.at(-1)).toBe(1);
    // At the limit, hop 2 runs.
    const told: number[] = [];
    const at =
      (await runTrace(store.traceScans, params(2), {
        chunk: 1,
        maxHop2Sources: hop1.length,
        onHop2Skipped: (limit) => told.push(limit),
      })) ?? [];
    expect(told).toEqual([]);
    expect(at.some((c) => c.hop === 2)).toBe(true);
  });

  it('stops when progress answers false (the trace was deleted)', async () => {
    let calls = 0;
    const r = await runTrace(store.traceScans, params(2), {
      chunk: 1,
      progress: () => Promise.resolve(++calls < 2),
    });
    expect(r).toBeNull();
    expect(calls).toBe(2);
  });
});

it('finds a 2-hop trace of 150,000 contacts (more than a spread into push() can take)', async () => {
  const db = openDatabase(':memory:');
  const store = openSqliteStore(db, { indexKey: INDEX_KEY, clock: () => NOW });
  await addStoryLanes(store, T0 - 86_400_000);
  const ins = db.prepare(
    `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
       subject_sealed, decision, reasons, warnings, alert) SELECT no, ?, ?, ?, ?, 0, 'simulated', NULL, ?, NULL,
       'green', '[]', '[]', 0 FROM kiosks WHERE id = ?`,
  );
  let seq = 0;
  const scan = (lane: string, cp: string, at: number, key: bigint): void => {
    seq++;
    ins.run(seq, `s-${seq}`, cp, at, key, lane);
  };
  db.transaction(() => {
    scan('L1', 'CP1', T0, 1n); // the index subject
    scan('L1', 'CP1', T0 + 60_000, 2n); // its one contact
    scan('L3', 'CP2', T0 + 3_600_000, 2n); // the contact, later, among a crowd
    for (let i = 0; i < 150_000; i++) scan('L3', 'CP2', T0 + 3_600_000 + (i % 600_000), 10n + BigInt(i));
  })();
  const contacts = await runTrace(store.traceScans, {
    indexKeys: [1n],
    from: T0,
    to: T0 + 86_400_000,
    windowMinutes: 15,
    hops: 2,
  });
  expect(contacts?.length).toBe(150_001);
  expect(contacts?.[0]).toMatchObject({ subjectKey: 2n, hop: 1 });
  expect(contacts?.at(-1)?.hop).toBe(2);
  db.close();
}, 120_000);
