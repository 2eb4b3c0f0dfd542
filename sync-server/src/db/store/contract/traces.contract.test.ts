// Tracing's storage on both engines (issue 15): the vehicle of a lane-uploaded scan, the scan reads
// the trace engine makes, the traces themselves, and the retention of scan subjects.
import { createHmac } from 'node:crypto';
import { subjectKeyFromDigest, subjectKeyToHex, type LaneRecord } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sealAsLane } from '../../../lists/scan-seal.testkit.js';
import { openPgStore } from '../../pg/pg-store.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import { openSqliteStore, type OpenedStore } from '../sqlite-store.js';
import { DAY_MS, ERASE_BATCH } from '../trace-rows.js';
import type { TraceContact, TraceEvidence, TraceParams } from '../traces-store.js';
import { addCheckpoint, addKiosk, auditRows, countRows, sql } from './lane-stores.testkit.js';

vi.setConfig({ hookTimeout: 120_000, testTimeout: 120_000 });

const INDEX_KEY = Buffer.alloc(32, 7);
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

const uuid = (n: number): string => `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`;
/** The server's index key of a canonical subject (what the ingest computes from its seal). */
const indexKeyOf = (canonical: string): bigint =>
  subjectKeyFromDigest(createHmac('sha256', INDEX_KEY).update(canonical, 'utf8').digest());

async function storeOf(d: EngineDb, opts: { retainDays?: number; now?: number } = {}): Promise<OpenedStore> {
  const base = {
    indexKey: INDEX_KEY,
    clock: () => opts.now ?? T0,
    ...(opts.retainDays !== undefined && { scanSubjectRetainDays: opts.retainDays }),
  };
  return d.engine === 'sqlite'
    ? openSqliteStore(d.db, base)
    : openPgStore(d.pool, { ...base, closePool: false });
}

interface ScanSpec {
  readonly seq: number;
  readonly at: number;
  /** Canonical subject, sealed to the server as a lane seals it; null: no subject. */
  readonly subject?: string | null;
  /** A lane that does not seal: its own key of the subject (hex). */
  readonly keyHex?: string;
  /** '' stands for a JSON null the route's validation coerced to a string. */
  readonly vehicleId?: string | null;
  readonly format?: 'personal_id' | 'vehicle_plate' | null;
  readonly id?: string;
  /** The lane raised an alert for it (an alert row keeps the subject's key). */
  readonly alert?: boolean;
}

function scanRecord(store: OpenedStore, s: ScanSpec): LaneRecord {
  const subject = s.subject ?? null;
  return {
    type: 'scan',
    seq: s.seq,
    id: s.id ?? uuid(s.seq),
    at: s.at,
    source: 'stdin',
    format:
      s.format === undefined ? (subject === null && s.keyHex === undefined ? null : 'personal_id') : s.format,
    subjectKey: s.keyHex ?? null,
    subjectSealed: subject === null ? null : sealAsLane(store.scanSeal.publicKeyBase64(), subject),
    decision: 'green',
    reasons: [],
    warnings: [],
    alert: s.alert ?? false,
    ...(s.vehicleId !== undefined && { vehicleId: s.vehicleId }),
  };
}

describeEngines('TraceScansStore and TracesStore', ({ engine, open: openEngineDb }) => {
  const opened: EngineDb[] = [];
  const open = async (): Promise<EngineDb> => {
    const d = await openEngineDb();
    opened.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });

  /** Checkpoints A (lanes a1, a2) and B (lane b1). */
  async function setup(opts: { retainDays?: number } = {}): Promise<{ d: EngineDb; store: OpenedStore }> {
    const d = await open();
    await addCheckpoint(d, 'A');
    await addCheckpoint(d, 'B');
    await addKiosk(d, 'a1', 'A');
    await addKiosk(d, 'a2', 'A');
    await addKiosk(d, 'b1', 'B');
    return { d, store: await storeOf(d, opts) };
  }

  async function upload(
    store: OpenedStore,
    lane: string,
    checkpointId: string,
    specs: ScanSpec[],
  ): Promise<void> {
    const r = await store.lane.upload(
      { id: lane, checkpointId },
      specs.map((s) => scanRecord(store, s)),
      T0,
      [],
    );
    expect(r.inserted).toBe(specs.length);
    expect(r.unopenedSeals).toBe(0);
  }

  describe('scans', () => {
    it('stores the vehicle of a lane-uploaded scan and answers the scans of a vehicle, plate included', async () => {
      const { d, store } = await setup();
      const plate = uuid(1);
      await upload(store, 'a1', 'A', [
        { seq: 1, at: T0, subject: 'plate:51A12345', format: 'vehicle_plate', vehicleId: plate },
        { seq: 2, at: T0 + MIN, subject: 'cccd:001', vehicleId: plate },
        { seq: 3, at: T0 + 2 * MIN, subject: 'cccd:002', vehicleId: plate },
        { seq: 4, at: T0 + 3 * MIN, subject: 'cccd:003', vehicleId: null },
        // A JSON null the route's validation turned into '' is no vehicle.
        { seq: 5, at: T0 + 4 * MIN, subject: 'cccd:004', vehicleId: '' },
        { seq: 6, at: T0 + 5 * MIN, subject: 'cccd:005' },
      ]);
      // Another lane's vehicle, an hour later.
      await upload(store, 'b1', 'B', [
        {
          seq: 1,
          id: uuid(101),
          at: T0 + 60 * MIN,
          subject: 'plate:30F99999',
          format: 'vehicle_plate',
          vehicleId: uuid(101),
        },
        { seq: 2, id: uuid(102), at: T0 + 61 * MIN, subject: 'cccd:001', vehicleId: uuid(101) },
      ]);
      const stored = await sql<{ seq: number; vehicle_id: string | null }>(
        d,
        "SELECT s.seq, s.vehicle_id FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE k.id = 'a1' ORDER BY s.seq",
      );
      expect(stored.map((r) => [r.seq, r.vehicle_id])).toEqual([
        [1, plate],
        [2, plate],
        [3, plate],
        [4, null],
        [5, null],
        [6, null],
      ]);

      const inVehicle = await store.traceScans.scansInVehicles([plate, plate]);
      expect(inVehicle.map((s) => s.id).sort()).toEqual([uuid(1), uuid(2), uuid(3)]);
      const plateScan = inVehicle.find((s) => s.id === plate);
      expect(plateScan).toEqual({
        id: plate,
        kioskId: 'a1',
        checkpointId: 'A',
        at: T0,
        subjectKey: indexKeyOf('plate:51A12345'),
        subjectSealed: expect.any(String) as string,
        format: 'vehicle_plate',
        vehicleId: plate,
      });
      expect((await store.traceScans.scansInVehicles([plate, uuid(101)])).map((s) => s.id).sort()).toEqual(
        [uuid(1), uuid(2), uuid(3), uuid(101), uuid(102)].sort(),
      );
      expect(await store.traceScans.scansInVehicles([])).toEqual([]);
      expect(await store.traceScans.scansInVehicles([uuid(999), 'not-a-record-id'])).toEqual([]);
    });

    it("answers subjects' scans within [from, to] ordered by (subject, at), and scans near windows once each", async () => {
      const { store } = await setup();
      const lanesKey = '00000000000000ff';
      await upload(store, 'a1', 'A', [
        { seq: 1, at: T0, subject: 'cccd:F0' },
        { seq: 2, at: T0 + MIN, subject: 'cccd:near' },
        { seq: 3, at: T0 + 60 * MIN, subject: 'cccd:far' },
        { seq: 4, at: T0 + 90 * MIN, subject: 'cccd:F0' },
        { seq: 5, at: T0 + 15 * MIN, subject: null },
        { seq: 6, at: T0 + 16 * MIN, keyHex: lanesKey },
      ]);
      await upload(store, 'a2', 'A', [
        { seq: 1, id: uuid(201), at: T0 - 5 * MIN, subject: 'cccd:other-lane' },
      ]);
      await upload(store, 'b1', 'B', [
        { seq: 1, id: uuid(301), at: T0, subject: 'cccd:other-checkpoint' },
        { seq: 2, id: uuid(302), at: T0 + 10 * MIN, subject: 'cccd:F0' },
      ]);
      const f0 = indexKeyOf('cccd:F0');
      const near = indexKeyOf('cccd:near');
      const sub = store.traceScans;

      const ofF0 = await sub.scansOfSubjects([f0, near, f0], T0, T0 + 90 * MIN);
      const expected = [
        { key: f0, id: uuid(1) },
        { key: f0, id: uuid(302) },
        { key: f0, id: uuid(4) },
        { key: near, id: uuid(2) },
      ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      expect(ofF0.map((s) => ({ key: s.subjectKey, id: s.id }))).toEqual(expected);
      // The bounds are inclusive; a range outside holds nothing.
      expect((await sub.scansOfSubjects([f0], T0 + 1, T0 + 90 * MIN - 1)).map((s) => s.id)).toEqual([
        uuid(302),
      ]);
      expect(await sub.scansOfSubjects([f0], T0 + 91 * MIN, T0 + 200 * MIN)).toEqual([]);
      expect(await sub.scansOfSubjects([], T0, T0 + DAY_MS)).toEqual([]);
      // A lane that does not seal keeps its own key.
      expect((await sub.scansOfSubjects([BigInt(`0x${lanesKey}`)], 0, T0 + DAY_MS)).map((s) => s.id)).toEqual(
        [uuid(6)],
      );

      // ±15 minutes of the 08:00 scan at A, twice (overlapping), and of the 09:30 one.
      const nearScans = await sub.scansNear([
        { checkpointId: 'A', from: T0 - 15 * MIN, to: T0 + 15 * MIN },
        { checkpointId: 'A', from: T0 - 10 * MIN, to: T0 + 16 * MIN },
        { checkpointId: 'A', from: T0 + 75 * MIN, to: T0 + 105 * MIN },
      ]);
      expect(nearScans.map((s) => s.id)).toEqual([uuid(201), uuid(1), uuid(2), uuid(5), uuid(6), uuid(4)]);
      expect(nearScans[0]).toMatchObject({
        kioskId: 'a2',
        checkpointId: 'A',
        at: T0 - 5 * MIN,
        vehicleId: null,
      });
      expect(nearScans[3]).toMatchObject({ subjectKey: null, subjectSealed: null, format: null });
      // The far scan (an hour later) and the other checkpoint's are not near.
      expect(nearScans.some((s) => s.id === uuid(3) || s.id === uuid(301))).toBe(false);
      expect((await sub.scansNear([{ checkpointId: 'B', from: T0, to: T0 }])).map((s) => s.id)).toEqual([
        uuid(301),
      ]);
      expect(await sub.scansNear([{ checkpointId: 'Z', from: 0, to: T0 * 2 }])).toEqual([]);
      expect(await sub.scansNear([])).toEqual([]);
    });
  });

  describe('traces', () => {
    const params: TraceParams = {
      indexKeys: [-5n, 9_000_000_000_000_000_000n],
      from: T0,
      to: T0 + DAY_MS,
      windowMinutes: 15,
      hops: 2,
    };
    const ev = (at: number, checkpointId: string, over: Partial<TraceEvidence> = {}): TraceEvidence => ({
      checkpointId,
      kioskId: `${checkpointId.toLowerCase()}1`,
      at,
      indexKey: -5n,
      indexAt: at - MIN,
      vehicleId: null,
      ...over,
    });
    const contacts: TraceContact[] = [
      {
        subjectKey: 11n,
        subjectSealed: 'seal-11',
        format: 'personal_id',
        hop: 1,
        via: 'lane',
        evidence: [ev(T0 + 3 * MIN, 'A')],
      },
      {
        subjectKey: -12n,
        subjectSealed: null,
        format: 'personal_id',
        hop: 1,
        via: 'vehicle',
        evidence: [ev(T0 + MIN, 'B', { vehicleId: uuid(7) }), ev(T0 + 2 * MIN, 'A')],
        evidenceCount: 31,
      },
      {
        subjectKey: 13n,
        subjectSealed: 'seal-13',
        format: 'vehicle_plate',
        hop: 2,
        via: 'lane',
        evidence: [ev(T0, 'B', { indexKey: 11n })],
      },
      {
        subjectKey: 14n,
        subjectSealed: 'seal-14',
        format: null,
        hop: 1,
        via: 'lane',
        evidence: [ev(T0 + 2 * MIN, 'B')],
      },
    ];

    it('creates a running trace, records progress, finishes it with contacts paged and filtered, lists and deletes it', async () => {
      const { d, store } = await setup();
      const t = store.traces;
      await t.create({
        id: 'trace-1',
        createdAt: T0,
        createdBy: 'account:7',
        params,
        indexSeals: new Map<bigint, string | null>([
          [-5n, 'seal-index'],
          [9_000_000_000_000_000_000n, null],
        ]),
      });
      await expect(
        t.create({ id: 'trace-1', createdAt: T0, createdBy: 'x', params, indexSeals: new Map() }),
      ).rejects.toThrow();
      await expect(
        t.create({
          id: 'bad',
          createdAt: T0,
          createdBy: 'x',
          params: { ...params, from: 2, to: 1 },
          indexSeals: new Map(),
        }),
      ).rejects.toThrow(/from ≤ to/);
      const running = {
        id: 'trace-1',
        status: 'running',
        createdAt: T0,
        createdBy: 'account:7',
        params,
        progress: 0,
        updatedAt: T0,
        finishedAt: null,
        error: null,
        contactCount: null,
        hop2Skipped: null,
      };
      expect(await t.get('trace-1')).toEqual(running);
      expect(await t.progress('trace-1', 0.25, T0 + 1000)).toBe(true);
      expect(await t.get('trace-1')).toMatchObject({ progress: 0.25, updatedAt: T0 + 1000 });
      await expect(t.progress('trace-1', Number.NaN, T0)).rejects.toThrow(/progress/);
      expect(await t.progress('gone', 0.5, T0)).toBe(false);
      expect(await t.finish('gone', contacts, T0)).toBe(false);

      expect(await t.finish('trace-1', contacts, T0 + 2000)).toBe(true);
      expect(await t.get('trace-1')).toEqual({
        ...running,
        status: 'done',
        progress: 1,
        updatedAt: T0 + 2000,
        finishedAt: T0 + 2000,
        contactCount: 4,
      });
      // Finished again (a retried finish) with hop 2 not run over a limit: the limit is kept.
      expect(await t.finish('trace-1', contacts, T0 + 2000, 3)).toBe(true);
      expect(await t.get('trace-1')).toMatchObject({ status: 'done', contactCount: 4, hop2Skipped: 3 });
      expect(await t.finish('trace-1', contacts, T0 + 2000)).toBe(true);
      expect(await t.get('trace-1')).toMatchObject({ hop2Skipped: null });
      // A failure reported after the end (a worker dying after its commit) leaves it done.
      expect(await t.fail('trace-1', 'late', T0 + 2500)).toBe(false);
      expect(await t.get('trace-1')).toMatchObject({ status: 'done', error: null, contactCount: 4 });
      // Progress after the end changes nothing, and says the trace is there.
      expect(await t.progress('trace-1', 0.5, T0 + 3000)).toBe(true);
      expect(await t.get('trace-1')).toMatchObject({ progress: 1, updatedAt: T0 + 2000 });

      // Hop, then the first evidence time.
      const all = await t.contacts('trace-1', { offset: 0, limit: 10 });
      expect(all.total).toBe(4);
      expect(all.contacts.map((c) => c.subjectKey)).toEqual([-12n, 14n, 11n, 13n]);
      expect(all.contacts[0]).toEqual({ ...contacts[1], evidenceCount: 31 });
      expect(all.contacts[2]).toEqual({ ...contacts[0], evidenceCount: 1 });
      const page = await t.contacts('trace-1', { offset: 1, limit: 2 });
      expect({ total: page.total, keys: page.contacts.map((c) => c.subjectKey) }).toEqual({
        total: 4,
        keys: [14n, 11n],
      });
      const keys = async (q: Parameters<typeof t.contacts>[1]): Promise<[number, bigint[]]> => {
        const r = await t.contacts('trace-1', q);
        return [r.total, r.contacts.map((c) => c.subjectKey)];
      };
      expect(await keys({ hop: 2, offset: 0, limit: 10 })).toEqual([1, [13n]]);
      expect(await keys({ via: 'vehicle', offset: 0, limit: 10 })).toEqual([1, [-12n]]);
      expect(await keys({ checkpointId: 'A', offset: 0, limit: 10 })).toEqual([2, [-12n, 11n]]);
      expect(await keys({ checkpointId: 'B', hop: 1, via: 'lane', offset: 0, limit: 10 })).toEqual([
        1,
        [14n],
      ]);
      expect(await keys({ checkpointId: 'Z', offset: 0, limit: 10 })).toEqual([0, []]);
      expect(await keys({ offset: 10, limit: 10 })).toEqual([4, []]);
      await expect(t.contacts('trace-1', { offset: -1, limit: 10 })).rejects.toThrow(/offset/);
      expect(await t.contacts('gone', { offset: 0, limit: 10 })).toEqual({ total: 0, contacts: [] });

      // Seals: an index subject's, a contact's, none held (null), and a key the trace does not name (absent).
      const seals = await t.seals('trace-1', [-5n, 11n, -12n, 9_000_000_000_000_000_000n, 99n]);
      expect(seals).toEqual(
        new Map<bigint, string | null>([
          [-5n, 'seal-index'],
          [11n, 'seal-11'],
          [-12n, null],
          [9_000_000_000_000_000_000n, null],
        ]),
      );

      await t.create({
        id: 'trace-2',
        createdAt: T0 + 5000,
        createdBy: 'admin-token',
        params: { ...params, hops: 1 },
        indexSeals: new Map(),
      });
      expect(await t.fail('trace-2', 'the database went away', T0 + 6000)).toBe(true);
      expect(await t.get('trace-2')).toMatchObject({
        status: 'failed',
        error: 'the database went away',
        finishedAt: T0 + 6000,
        contactCount: null,
      });
      expect(await t.fail('gone', 'x', T0)).toBe(false);
      expect((await t.list(10)).map((s) => s.id)).toEqual(['trace-2', 'trace-1']);
      expect((await t.list(1)).map((s) => s.id)).toEqual(['trace-2']);

      expect(await t.delete('trace-1')).toBe(true);
      expect(await t.delete('trace-1')).toBe(false);
      expect(await t.get('trace-1')).toBeNull();
      expect(await t.seals('trace-1', [-5n, 11n])).toEqual(new Map());
      const left = await sql<{ n: number | string }>(
        d,
        "SELECT (SELECT count(*) FROM trace_contacts WHERE trace_id = 'trace-1') + (SELECT count(*) FROM trace_subjects WHERE trace_id = 'trace-1') AS n",
      );
      expect(Number(left[0]?.n)).toBe(0);
      expect((await t.list(10)).map((s) => s.id)).toEqual(['trace-2']);
    });

    it('finishes a trace of 400,000 contacts, none shown before it is done, with the event loop free meanwhile', async () => {
      const { d, store } = await setup();
      await store.traces.create({
        id: 'big',
        createdAt: T0,
        createdBy: 'admin-token',
        params,
        indexSeals: new Map(),
      });
      const many: TraceContact[] = Array.from({ length: 400_000 }, (_, i) => ({
        subjectKey: BigInt(i) * 7919n - 1_000_000n,
        subjectSealed: `seal-${i}`,
        format: 'personal_id',
        hop: i % 10 === 0 ? 2 : 1,
        via: i % 7 === 0 ? 'vehicle' : 'lane',
        evidence: [ev(T0 + (i % 1440) * MIN, i % 2 === 0 ? 'A' : 'B')],
      }));
      // While it stores: a timer's turns (the longest gap between them), and what a reader sees.
      let last = Date.now();
      let longestGap = 0;
      let turns = 0;
      const seenMeanwhile: number[] = [];
      let reading = false;
      const timer = setInterval(() => {
        const now = Date.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        turns++;
        if (!reading && turns % 5 === 0) {
          reading = true;
          void store.traces
            .contacts('big', { offset: 0, limit: 1 })
            .then((r) => seenMeanwhile.push(r.total))
            .finally(() => (reading = false));
        }
      }, 10);
      const started = Date.now();
      const finished = await store.traces.finish('big', many, T0 + 1).finally(() => {
        clearInterval(timer);
      });
      const took = Date.now() - started;
      console.log(
        `[${engine}] finish of 400,000 contacts: ${took} ms, longest event-loop gap ${longestGap} ms`,
      );
      expect(finished).toBe(true);
      expect(seenMeanwhile.length).toBeGreaterThan(0);
      expect(seenMeanwhile.every((n) => n === 0)).toBe(true);
      // Batches of a few thousand rows: no stall near the whole run's length (loose: a loaded machine).
      expect(longestGap).toBeLessThan(Math.max(2_000, took / 3));
      expect((await store.traces.get('big'))?.contactCount).toBe(400_000);
      const hop2 = await store.traces.contacts('big', { hop: 2, offset: 39_990, limit: 20 });
      expect(hop2.total).toBe(40_000);
      expect(hop2.contacts).toHaveLength(10);
      const deleted = Date.now();
      expect(await store.traces.delete('big')).toBe(true);
      console.log(`[${engine}] delete of a 400,000-contact trace: ${Date.now() - deleted} ms`);
      expect(await countRows(d, 'trace_contacts')).toBe(0);
    });

    it('leaves a trace whose contacts fail to store as it was, with no contact kept', async () => {
      const { store } = await setup();
      await store.traces.create({
        id: 't',
        createdAt: T0,
        createdBy: 'admin-token',
        params,
        indexSeals: new Map(),
      });
      const dup: TraceContact[] = [
        contacts[0] as TraceContact,
        { ...(contacts[2] as TraceContact), subjectKey: 11n },
      ];
      await expect(store.traces.finish('t', dup, T0 + 1)).rejects.toThrow();
      expect(await store.traces.get('t')).toMatchObject({ status: 'running', contactCount: null });
      expect(await store.traces.contacts('t', { offset: 0, limit: 10 })).toEqual({ total: 0, contacts: [] });
    });
  });

  describe('retention', () => {
    it("erases old scans' subject key and seal at upkeep, keeps the scans and the hourly counts, audits once", async () => {
      const { d, store } = await setup({ retainDays: 30 });
      const old = T0 - 31 * DAY_MS;
      const recent = T0 - 29 * DAY_MS;
      await upload(store, 'a1', 'A', [
        { seq: 1, at: old, subject: 'cccd:old', alert: true },
        { seq: 2, at: old + MIN, keyHex: subjectKeyToHex(77n) },
        { seq: 3, at: old + 2 * MIN, subject: null },
        { seq: 4, at: recent, subject: 'cccd:recent', vehicleId: uuid(4), alert: true },
      ]);
      const alertKeys = async (): Promise<[string, boolean][]> =>
        (
          await sql<{ scan_id: string; held: number | boolean }>(
            d,
            'SELECT scan_id, subject_key IS NOT NULL AS held FROM alerts ORDER BY scan_id',
          )
        ).map((r) => [r.scan_id, Boolean(r.held)]);
      expect(await alertKeys()).toEqual([
        [uuid(1), true],
        [uuid(4), true],
      ]);
      const hourlyBefore = await store.scans.hourly(old - DAY_MS, T0);
      const before = await store.traceScans.scansNear([{ checkpointId: 'A', from: old - DAY_MS, to: T0 }]);
      expect(before.filter((s) => s.subjectKey !== null)).toHaveLength(3);

      await store.maintain(T0);
      const after = await store.traceScans.scansNear([{ checkpointId: 'A', from: old - DAY_MS, to: T0 }]);
      expect(after.map((s) => [s.id, s.subjectKey, s.subjectSealed === null])).toEqual([
        [uuid(1), null, true],
        [uuid(2), null, true],
        [uuid(3), null, true],
        [uuid(4), indexKeyOf('cccd:recent'), false],
      ]);
      // The scan rows stay whole but for the subject; the hourly counts are untouched.
      expect(after.map(({ subjectKey: _k, subjectSealed: _s, ...rest }) => rest)).toEqual(
        before.map(({ subjectKey: _k, subjectSealed: _s, ...rest }) => rest),
      );
      expect(await store.scans.countScans()).toBe(4);
      expect(await store.scans.hourly(old - DAY_MS, T0)).toEqual(hourlyBefore);
      expect(await store.traceScans.scansOfSubjects([indexKeyOf('cccd:old'), 77n], 0, T0)).toEqual([]);
      // The old scan's alert stays (its time, lane, checkpoint) without the subject's key.
      expect(await alertKeys()).toEqual([
        [uuid(1), false],
        [uuid(4), true],
      ]);
      const erased = (await auditRows(d)).filter((r) => r.action === 'scans.subjects_erased');
      expect(erased).toEqual([
        {
          at: T0,
          actor: 'server',
          action: 'scans.subjects_erased',
          target: null,
          details: { count: 2, before: T0 - 30 * DAY_MS },
        },
      ]);

      // Again: nothing left to erase, nothing audited.
      await store.maintain(T0 + 1000);
      expect(await store.traceScans.eraseSubjectsBefore(T0 - 30 * DAY_MS)).toBe(0);
      expect((await auditRows(d)).filter((r) => r.action === 'scans.subjects_erased')).toHaveLength(1);
      // A day later the recent one goes too.
      expect(await store.traceScans.eraseSubjectsBefore(recent + 1)).toBe(1);
    });

    it('erases old scans’ pass ids and deletes declarations ended before the cutoff, audited by count', async () => {
      const { d, store } = await setup();
      const cutoff = T0 - 30 * DAY_MS;
      const scan = (n: number, at: number, passId: string) =>
        sql(
          d,
          `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
             subject_sealed, decision, reasons, warnings, alert, pass_id)
           VALUES (1, $1, $2, 'A', $3, 0, 'stdin', 'lane_pass', NULL, NULL, 'green', '[]', '[]', $4, $5)`,
          [n, uuid(900 + n), at, d.engine === 'sqlite' ? 0 : false, passId],
        );
      await scan(1, cutoff - MIN, 'aaaaaaaaaaaaaaaa');
      await scan(2, cutoff + MIN, 'bbbbbbbbbbbbbbbb');
      const declare = (id: string, passId: string | null, travelDate: string, validUntil: number) =>
        sql(
          d,
          `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id, full_name, phone,
             from_province, from_district, from_ward, to_province, to_district, to_ward, plate, purpose, travel_date,
             valid_from, valid_until)
           VALUES ($1, $2, $3, 1, 42, '001099012345', 'Nguyễn Văn An', '0901234567', 1, NULL, NULL, 79, NULL, NULL,
             NULL, 'work', $4, $5, $6)`,
          [id, passId, passId === null ? null : 1, travelDate, validUntil - DAY_MS, validUntil],
        );
      // Passes: window ended a minute before the cutoff (goes), a minute after (stays).
      await declare('1111111111111111', 'aaaaaaaaaaaaaaaa', '2026-10-18', cutoff - MIN);
      await declare('2222222222222222', 'bbbbbbbbbbbbbbbb', '2026-10-18', cutoff + MIN);
      // Held (no pass): by travel date in Vietnam. The cutoff (2026-10-21 08:00 UTC) is on 21 October
      // there: the 20th has ended (goes), the 21st has not (stays), whatever their validity says.
      await declare('3333333333333333', null, '2026-10-20', T0);
      await declare('4444444444444444', null, '2026-10-21', cutoff - DAY_MS);

      await store.maintain(T0);
      const passIds = await sql<{ id: string; pass_id: string | null }>(
        d,
        'SELECT id, pass_id FROM scans ORDER BY at',
      );
      expect(passIds.map((r) => r.pass_id)).toEqual([null, 'bbbbbbbbbbbbbbbb']);
      const left = await sql<{ id: string }>(d, 'SELECT id FROM declarations ORDER BY id');
      expect(left.map((r) => r.id)).toEqual(['2222222222222222', '4444444444444444']);
      const audited = (await auditRows(d)).filter((r) => r.action === 'declarations.erased');
      expect(audited).toEqual([
        {
          at: T0,
          actor: 'server',
          action: 'declarations.erased',
          target: null,
          details: { count: 2, before: cutoff },
        },
      ]);
      expect(JSON.stringify(await auditRows(d))).not.toContain('001099012345');
      // Again: nothing left to delete, nothing audited.
      await store.maintain(T0 + 1000);
      expect((await auditRows(d)).filter((r) => r.action === 'declarations.erased')).toHaveLength(1);
    });

    it(`erases more than one batch (${ERASE_BATCH} scans) in a run`, async () => {
      const { d, store } = await setup();
      const n = ERASE_BATCH * 2 + 17;
      // Scans written directly (the upload path is covered above), in the engine's own SQL.
      await sql(
        d,
        d.engine === 'sqlite'
          ? `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $1)
             INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
               subject_sealed, decision, reasons, warnings, alert)
             SELECT 1, i, 'id-' || i, 'A', $2 + i, 0, 'stdin', NULL, i, 's', 'green', '[]', '[]', 0 FROM g`
          : `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key,
               subject_sealed, decision, reasons, warnings, alert)
             SELECT 1, i, ('01890a5d-ac96-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'A', $2::bigint + i, 0, 'stdin', NULL,
               i, 's', 'green', '[]', '[]', false FROM generate_series(1, $1::int) AS g (i)`,
        [n, T0 - 40 * DAY_MS],
      );
      expect(await store.traceScans.eraseSubjectsBefore(T0 - 40 * DAY_MS + n)).toBe(n - 1);
      const held = await sql<{ n: number | string }>(
        d,
        'SELECT count(*) AS n FROM scans WHERE subject_key IS NOT NULL OR subject_sealed IS NOT NULL',
      );
      expect(Number(held[0]?.n)).toBe(1);
    });
  });
});
