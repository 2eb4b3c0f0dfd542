// The scans store and the lane upload on both engines: the cases of scans-repository.test.ts,
// lane-records.test.ts, scans-carry-over.test.ts and health-alert-check.test.ts that go through
// the public methods, and what matters across servers (one batch sent through two pools at once;
// an export's arrival numbers with an upload still in flight).
import {
  decide,
  healthBlocks,
  HEALTH_STATUSES,
  parsePayload,
  parseSubjectText,
  subjectKeyToHex,
  type CheckpointConfig,
  type HealthEntry,
  type LaneRecord,
  type OverrideRecord,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScanSealKeys } from '../../../lists/scan-seal-keys.js';
import { sealAsLane } from '../../../lists/scan-seal.testkit.js';
import { subjectKey } from '../../../lists/subject-key.js';
import { MAX_LANE_CLOCK_AHEAD_MS } from '../../../overrides/check-lane-record.js';
import { openDatabase } from '../../open-database.js';
import { openPg, type PgPool } from '../../pg/open-pg.js';
import { PASS_LOCK_SEED, PgScansStore } from '../../pg/stores/pg-scans.js';
import type { LaneRef } from '../../repositories/lane-transactions.js';
import { ScansRepository, type IngestResult } from '../../repositories/scans-repository.js';
import { describeEngines, type EngineDb } from '../engines.testkit.js';
import { asyncMethods, openSqliteStore } from '../sqlite-store.js';
import type { ScansStore } from '../store.js';

// Dropping a loaded run's databases can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

const INDEX_KEY = Buffer.alloc(32, 7);
const clock = (): number => 1_000;

interface Kit {
  readonly d: EngineDb;
  readonly scans: ScansStore;
  upload(
    kioskId: string,
    checkpointId: string,
    records: readonly LaneRecord[],
    now: number,
    blocking?: readonly string[],
  ): Promise<IngestResult>;
  /** Rows of a query written with `?` placeholders (numbered for PostgreSQL). */
  rows<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  count(table: string): Promise<number>;
  verdicts(
    table: 'overrides' | 'acks',
  ): Promise<{ seq: number; verified: boolean | null; issues: string[] | null }[]>;
  checkpoint(id: string, blocking?: readonly string[]): Promise<void>;
  kiosk(id: string, checkpointId: string, name?: string): Promise<void>;
  officer(
    id: string,
    name: string,
    role: string,
    checkpoints: string[] | null,
    disabledAt: number | null,
  ): Promise<void>;
  health(
    key: bigint,
    subject: string,
    status: string,
    since: number | null,
    until: number | null,
    name?: string | null,
  ): Promise<void>;
  /** The public key lanes seal subjects to (the store's seal key). */
  readonly sealPublicKey: string;
}

/**
 * A store over a fresh database. `sealed: false`: the ingest has no seal key (SQLite: a bare
 * `ScansRepository`; PostgreSQL: a store built without one).
 */
async function makeKit(open: () => Promise<EngineDb>, sealed = true): Promise<Kit> {
  const d = await open();
  let scans: ScansStore;
  let uploadOf: Kit['upload'];
  let sealPublicKey: string;
  const lane = (id: string, checkpointId: string): LaneRef => ({ id, checkpointId });
  if (d.engine === 'sqlite') {
    const store = openSqliteStore(d.db, { indexKey: INDEX_KEY, clock });
    sealPublicKey = store.scanSeal.publicKeyBase64();
    if (sealed) {
      scans = store.scans;
      uploadOf = (k, cp, records, now, blocking = []) =>
        store.lane.upload(lane(k, cp), records, now, blocking);
    } else {
      const repo = new ScansRepository(d.db);
      scans = asyncMethods(repo, [
        'unopenedSeals',
        'ackedThrough',
        'search',
        'lastNo',
        'firstNo',
        'countUpTo',
        'exportPage',
        'hourly',
        'countScans',
        'alert',
        'alerts',
        'alertSubject',
        'ack',
        'acknowledge',
        'arrivals',
      ]);
      uploadOf = (k, cp, records, now, blocking = []) =>
        Promise.resolve(repo.ingest(k, cp, records, now, blocking));
    }
  } else {
    const sealKeys = ScanSealKeys.open(openDatabase(':memory:'), clock);
    sealPublicKey = sealKeys.publicKeyBase64();
    const store = new PgScansStore(d.pool, sealed ? { sealKeys, indexKey: INDEX_KEY } : null);
    scans = store;
    uploadOf = (k, cp, records, now, blocking = []) => store.upload(lane(k, cp), records, now, blocking);
  }
  const rows = async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    if (d.engine === 'sqlite') {
      const st = d.db.prepare(sql);
      if (st.reader) return st.all(...params) as T[];
      st.run(...params);
      return [];
    }
    let n = 0;
    const r = await d.pool.query(
      sql.replace(/\?/g, () => `$${++n}`),
      params.map((p) => (typeof p === 'bigint' ? String(p) : p)),
    );
    return r.rows as T[];
  };
  const kit: Kit = {
    d,
    scans,
    upload: uploadOf,
    rows,
    sealPublicKey,
    count: async (table) => Number((await rows<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n),
    verdicts: async (table) =>
      (
        await rows<{ seq: number; verified: number | boolean | null; issues: string | string[] | null }>(
          `SELECT seq, verified, issues FROM ${table} ORDER BY seq`,
        )
      ).map((r) => ({
        seq: r.seq,
        verified: r.verified === null ? null : r.verified === true || r.verified === 1,
        issues:
          r.issues === null
            ? null
            : typeof r.issues === 'string'
              ? (JSON.parse(r.issues) as string[])
              : r.issues,
      })),
    checkpoint: async (id, blocking = ['F0', 'F1']) => {
      await rows(
        `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
         VALUES (?, ?, 'open', 21600, ?, 5, 0, 0)`,
        [id, id, JSON.stringify(blocking)],
      );
    },
    kiosk: async (id, checkpointId, name = id) => {
      await rows(
        'INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?, 0)',
        [id, name, checkpointId, `h-${id}`],
      );
    },
    officer: async (id, name, role, checkpoints, disabledAt) => {
      await rows(
        `INSERT INTO officers (id, name, role, pin_hash, checkpoints, disabled_at, created_at, updated_at)
         VALUES (?, ?, ?, 'x', ?, ?, 0, 0)`,
        [
          id,
          name,
          role,
          checkpoints === null ? null : d.engine === 'sqlite' ? `;${checkpoints.join(';')};` : checkpoints,
          disabledAt,
        ],
      );
    },
    health: async (key, subject, status, since, until, name = null) => {
      await rows(
        `INSERT INTO health_entries (subject_key, subject, status, since, until, name, version, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 1, 0)`,
        [key, subject, status, since, until, name],
      );
    },
  };
  return kit;
}

const uuid = (n: number): string => `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`;

const scan = (seq: number, id = uuid(seq)): LaneRecord => ({
  type: 'scan',
  seq,
  id,
  at: seq,
  source: 'stdin',
  format: null,
  subjectKey: null,
  subjectSealed: null,
  decision: 'amber',
  reasons: ['payload_unknown_format'],
  warnings: [],
  alert: false,
});

describeEngines('ScansStore', ({ engine, open: openEngineDb }) => {
  // Each test's database is dropped after it, so the suite's own clean-up has little left to do.
  const opened: EngineDb[] = [];
  const open = async (): Promise<EngineDb> => {
    const d = await openEngineDb();
    opened.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()));
  });

  /** One checkpoint CP with lane k1 (scans-repository.test.ts). */
  async function setup(sealed = true): Promise<Kit> {
    const kit = await makeKit(open, sealed);
    await kit.checkpoint('CP');
    await kit.kiosk('k1', 'CP');
    return kit;
  }

  describe('ingest', () => {
    it('counts scans and overrides in one sequence and ignores a seq or id already held', async () => {
      const kit = await setup();
      const override: LaneRecord = {
        type: 'override',
        seq: 2,
        id: '01890a5d-ac96-7000-8000-00000000ffff',
        at: 2,
        scanId: uuid(1),
        originalDecision: 'amber',
        decision: 'green',
        officerId: 'o1',
        supervisorId: null,
        reason: 'checked_by_hand',
        note: '',
      };
      expect(await kit.upload('k1', 'CP', [scan(1), override, scan(3)], 10)).toMatchObject({
        ackedThrough: 3,
        inserted: 3,
      });
      expect(await kit.upload('k1', 'CP', [scan(2), scan(4, uuid(1))], 11)).toMatchObject({
        ackedThrough: 4,
        inserted: 0,
      });
      expect(await kit.scans.countScans()).toBe(2);
      expect(await kit.count('overrides')).toBe(1);
    });

    it('holds out-of-order batches and acknowledges once the gap is filled', async () => {
      const kit = await setup();
      expect((await kit.upload('k1', 'CP', [scan(3), scan(4)], 1)).ackedThrough).toBe(0);
      expect((await kit.upload('k1', 'CP', [scan(1)], 1)).ackedThrough).toBe(1);
      expect((await kit.upload('k1', 'CP', [scan(2)], 1)).ackedThrough).toBe(4);
      expect(await kit.scans.ackedThrough('k1')).toBe(4);
      expect(await kit.scans.ackedThrough('nobody')).toBe(0);
    });

    it('rolls back a failed batch (an unknown lane): nothing stored, no roll-up', async () => {
      const kit = await setup();
      await expect(kit.upload('nope', 'CP', [scan(1)], 1)).rejects.toThrow(/no kiosk/);
      expect(await kit.count('scan_hourly')).toBe(0);
      expect(await kit.scans.countScans()).toBe(0);
    });

    it('stores the same batch once when two servers receive it at once, and both answers ack it', async () => {
      const kit = await setup();
      const batch = Array.from(
        { length: 200 },
        (_, i) => ({ ...scan(i + 1), alert: i % 50 === 0 }) as LaneRecord,
      );
      let other: { upload: Kit['upload']; close(): Promise<void> };
      if (kit.d.engine === 'postgres') {
        const pool: PgPool = await openPg({ url: String(kit.d.pool.options.connectionString) });
        const store = new PgScansStore(pool);
        other = {
          upload: (k, cp, r, now, b = []) => store.upload({ id: k, checkpointId: cp }, r, now, b),
          close: () => pool.end(),
        };
      } else {
        other = { upload: (...args) => kit.upload(...args), close: () => Promise.resolve() };
      }
      try {
        const [a, b] = await Promise.all([
          kit.upload('k1', 'CP', batch, 10),
          other.upload('k1', 'CP', batch, 10),
        ]);
        expect([a.ackedThrough, b.ackedThrough]).toEqual([200, 200]);
        expect(a.inserted + b.inserted).toBe(200);
        expect(a.alerts.length + b.alerts.length).toBe(4);
        expect(await kit.scans.countScans()).toBe(200);
        expect(await kit.count('alerts')).toBe(4);
        expect(await kit.scans.hourly(0, 3_600_000)).toEqual([
          { checkpointId: 'CP', hour: 0, decision: 'amber', count: 200 },
        ]);
        // Consecutive batches of one lane through both servers at once: acked through both.
        const next = (from: number) => Array.from({ length: 100 }, (_, i) => scan(from + i));
        const [c, e] = await Promise.all([
          kit.upload('k1', 'CP', next(201), 11),
          other.upload('k1', 'CP', next(301), 11),
        ]);
        expect(Math.max(c.ackedThrough, e.ackedThrough)).toBe(400);
        expect(await kit.scans.ackedThrough('k1')).toBe(400);
      } finally {
        await other.close();
      }
    });
  });

  it.skipIf(engine !== 'postgres')(
    'raises the replay alert when two servers store the two passages of a pass at once (per-pass advisory lock)',
    async () => {
      const kit = await setup();
      if (kit.d.engine !== 'postgres') return;
      await kit.checkpoint('HN');
      await kit.checkpoint('SG');
      await kit.kiosk('hn', 'HN');
      await kit.kiosk('sg', 'SG');
      await kit.rows('UPDATE checkpoints SET lat = ?, lon = ? WHERE id = ?', [21.0285, 105.8542, 'HN']);
      await kit.rows('UPDATE checkpoints SET lat = ?, lon = ? WHERE id = ?', [10.7769, 106.7009, 'SG']);
      const PASS = '0123456789abcdef';
      const T = 1_700_000_000_000;
      const passScan = (seq: number, at: number, id: string): LaneRecord => ({
        ...(scan(seq, id) as Extract<LaneRecord, { type: 'scan' }>),
        at,
        format: 'lane_pass',
        passId: PASS,
        decision: 'green',
        reasons: ['pass_valid'],
      });
      const pool2: PgPool = await openPg({ url: String(kit.d.pool.options.connectionString) });
      const other = new PgScansStore(pool2);
      // A third connection holds the pass's lock, so both uploads store their scan and then wait
      // for it; let go, they check one after the other and the second sees the first's passage.
      const holder = await kit.d.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [PASS, PASS_LOCK_SEED]);
        const a = kit.upload('hn', 'HN', [passScan(1, T, uuid(901))], T);
        const b = other.upload(
          { id: 'sg', checkpointId: 'SG' },
          [passScan(1, T + 10 * 60_000, uuid(902))],
          T,
          [],
        );
        const state = await Promise.race([
          Promise.allSettled([a, b]).then(() => 'done'),
          new Promise((resolve) => setTimeout(resolve, 500, 'waiting')),
        ]);
        expect(state).toBe('waiting');
        await holder.query('COMMIT');
        const [ra, rb] = await Promise.all([a, b]);
        expect([ra.inserted, rb.inserted]).toEqual([1, 1]);
        expect(
          await kit.rows<{ kind: string }>("SELECT kind FROM alerts WHERE kind = 'replay'"),
        ).toHaveLength(1);
      } finally {
        holder.release();
        await pool2.end();
      }
    },
  );

  describe('scan_hourly roll-up', () => {
    const H = 3_600_000;
    const T = 1_700_000_000_000 - (1_700_000_000_000 % H);
    const rec = (seq: number, at: number, decision: 'green' | 'amber' | 'red'): LaneRecord => ({
      ...(scan(seq) as Extract<LaneRecord, { type: 'scan' }>),
      at,
      decision,
    });
    const norm = (rs: Record<string, unknown>[]) =>
      rs.map((r) => ({ ...r, hour: Number(r.hour), count: Number(r.count) }));

    it('matches a GROUP BY over scans after several batches, re-sent duplicates and two checkpoints', async () => {
      const kit = await setup();
      await kit.checkpoint('CP2', []);
      await kit.kiosk('k2', 'CP2');
      const batch1 = [
        rec(1, T + 1, 'green'),
        rec(2, T + 2, 'green'),
        rec(3, T + 3, 'red'),
        rec(4, T + H - 1, 'amber'),
        rec(5, T + H, 'green'),
      ];
      await kit.upload('k1', 'CP', batch1, 10);
      await kit.upload('k1', 'CP', batch1, 11);
      await kit.upload(
        'k1',
        'CP',
        [rec(5, T + H, 'green'), rec(6, T + H + 5, 'green'), rec(8, T + 3 * H, 'red')],
        12,
      );
      await kit.upload('k1', 'CP', [rec(7, T + 2, 'green'), rec(6, T + H + 5, 'green')], 13);
      const k2 = (seq: number, at: number, d: 'green' | 'amber' | 'red'): LaneRecord => ({
        ...rec(seq, at, d),
        id: uuid(0xf00000 + seq),
      });
      await kit.upload(
        'k2',
        'CP2',
        [k2(1, T + 1, 'green'), k2(2, T + 7, 'green'), k2(3, T + H, 'amber')],
        14,
      );
      await kit.upload('k2', 'CP2', [k2(2, T + 7, 'green'), k2(3, T + H, 'amber')], 15);
      expect(await kit.scans.countScans()).toBe(11);
      const groupBy = norm(
        await kit.rows(
          `SELECT checkpoint_id, at - (at % 3600000) AS hour, decision, count(*) AS count FROM scans
           GROUP BY 1, 2, 3 ORDER BY 2, 1, 3`,
        ),
      );
      const rollup = norm(
        await kit.rows('SELECT checkpoint_id, hour, decision, count FROM scan_hourly ORDER BY 2, 1, 3'),
      );
      expect(rollup).toEqual(groupBy);
      expect(rollup).toContainEqual({ checkpoint_id: 'CP', hour: T, decision: 'green', count: 3 });
      expect(await kit.scans.hourly(T, T + H, 'CP2')).toEqual([
        { checkpointId: 'CP2', hour: T, decision: 'green', count: 2 },
      ]);
      expect((await kit.scans.hourly(T + H, T + 2 * H)).map((r) => [r.checkpointId, r.count])).toEqual([
        ['CP', 2],
        ['CP2', 1],
      ]);
    });
  });

  describe('alerts and the export page', () => {
    it('acknowledges once, keeping the first acker, and filters unacknowledged alerts', async () => {
      const kit = await setup();
      const r = await kit.upload(
        'k1',
        'CP',
        [{ ...scan(1), alert: true } as LaneRecord, { ...scan(2), alert: true } as LaneRecord],
        5,
      );
      const [a1, a2] = r.alerts;
      expect(a1).toMatchObject({
        kioskId: 'k1',
        kioskName: 'k1',
        ackedAt: null,
        ackedBy: null,
        raisedBy: 'lane',
      });
      if (!a1 || !a2) throw new Error('two alerts expected');
      expect(await kit.scans.ack(a1.id, 100, 'alice')).toMatchObject({
        acked: true,
        alert: { ackedAt: 100, ackedBy: 'alice' },
      });
      expect(await kit.scans.ack(a1.id, 200, 'bob')).toMatchObject({
        acked: false,
        alert: { ackedAt: 100, ackedBy: 'alice' },
      });
      expect(await kit.scans.ack(999, 200, 'bob')).toBeNull();
      expect((await kit.scans.alerts({ limit: 10, unacked: true })).map((a) => a.id)).toEqual([a2.id]);
      expect((await kit.scans.alerts({ limit: 10 })).map((a) => a.id)).toEqual([a2.id, a1.id]);
      expect((await kit.scans.alerts({ limit: 10, before: a2.id })).map((a) => a.id)).toEqual([a1.id]);
      expect(await kit.scans.alerts({ limit: 10, checkpointId: 'CP2' })).toEqual([]);
      expect(await kit.scans.alert(a2.id)).toEqual(r.alerts[1]);
      expect(await kit.scans.alert(999)).toBeNull();
    });

    it('audits the first acknowledgement by an admin, in the same transaction, and only the first', async () => {
      const kit = await setup();
      const [a] = (await kit.upload('k1', 'CP', [{ ...scan(1), alert: true } as LaneRecord], 5)).alerts;
      if (!a) throw new Error('an alert expected');
      expect(await kit.scans.acknowledge(a.id, 100, 'admin:alice', 'gọi lại')).toMatchObject({ acked: true });
      expect(await kit.scans.acknowledge(a.id, 200, 'admin:bob')).toMatchObject({
        acked: false,
        alert: { ackedBy: 'admin:alice' },
      });
      expect(await kit.scans.acknowledge(999, 200, 'admin:bob')).toBeNull();
      const audit = await kit.rows<{ actor: string; action: string; target: string; details: unknown }>(
        'SELECT actor, action, target, details FROM audit_log ORDER BY id',
      );
      expect(
        audit.map((x) => ({
          ...x,
          details: typeof x.details === 'string' ? (JSON.parse(x.details) as unknown) : x.details,
        })),
      ).toEqual([
        {
          actor: 'admin:alice',
          action: 'alert.ack',
          target: String(a.id),
          details: { checkpointId: 'CP', kioskId: 'k1', note: 'gọi lại' },
        },
      ]);
    });

    it('exports pages below a cursor with the latest override of each scan', async () => {
      const kit = await setup();
      const ov = (seq: number, at: number, decision: string): LaneRecord =>
        ({
          type: 'override',
          seq,
          id: `01890a5d-ac96-7000-8000-00000000ff${seq.toString(16).padStart(2, '0')}`,
          at,
          scanId: uuid(1),
          originalDecision: 'amber',
          decision,
          officerId: `o${seq}`,
          supervisorId: null,
          reason: 'checked_by_hand',
          note: '',
        }) as LaneRecord;
      expect(await kit.scans.lastNo()).toBe(0);
      expect(await kit.scans.firstNo()).toBe(1);
      await kit.upload('k1', 'CP', [scan(1), ov(2, 50, 'green'), ov(3, 60, 'red'), scan(4), scan(5)], 9);
      const last = await kit.scans.lastNo();
      const all = await kit.scans.exportPage({}, last + 1, 10);
      expect(all.map((r) => r.scanId)).toEqual((await kit.scans.search({ limit: 10 })).map((s) => s.id));
      expect(all.at(-1)?.override).toMatchObject({ decision: 'red', officerId: 'o3', verified: false });
      expect(all[0]?.override).toBeNull();
      expect(all[0]).toMatchObject({
        reasons: 'payload_unknown_format',
        warnings: '',
        alert: false,
        kioskName: 'k1',
        receivedAt: 9,
      });
      const page2 = await kit.scans.exportPage({}, all[0]?.no ?? 0, 1);
      expect(page2.map((r) => r.scanId)).toEqual([all[1]?.scanId]);
      expect(await kit.scans.countUpTo({}, last + 1, 2)).toBe(2);
      expect(await kit.scans.countUpTo({ decision: 'red' }, last + 1, 10)).toBe(0);
      expect(await kit.scans.firstNo()).toBe(all.at(-1)?.no);
      // Filters: each narrows; a value no row holds matches nothing (never an error).
      expect((await kit.scans.search({ limit: 10, scanId: uuid(4) })).map((s) => s.seq)).toEqual([4]);
      expect(await kit.scans.search({ limit: 10, scanId: 'not-a-uuid' })).toEqual([]);
      expect(await kit.scans.search({ limit: 10, kioskId: 'k\0' })).toEqual([]);
      expect(
        (await kit.scans.search({ limit: 10, from: 4, to: 5, kioskId: 'k1', checkpointId: 'CP' })).map(
          (s) => s.seq,
        ),
      ).toEqual([4]);
      expect((await kit.scans.search({ limit: 2, before: all[0]?.no ?? 0 })).map((s) => s.seq)).toEqual([
        4, 1,
      ]);
    });

    it("answers each scan's vehicle and finds one vehicle's scans, its plate scan included", async () => {
      const kit = await setup();
      await kit.kiosk('k2', 'CP');
      const inVehicle = (seq: number, vehicleId: string | null, id = uuid(seq)): LaneRecord => ({
        ...(scan(seq, id) as ScanRecord),
        vehicleId,
      });
      const plateA = uuid(1);
      const plateB = uuid(5);
      // Vehicle A: its plate (naming itself) and two passengers; then a person in no vehicle, a
      // lane before vehicle mode (no field at all), and vehicle B at the same lane.
      await kit.upload(
        'k1',
        'CP',
        [
          inVehicle(1, plateA),
          inVehicle(2, plateA),
          inVehicle(3, plateA),
          inVehicle(4, null),
          inVehicle(5, plateB),
          inVehicle(6, plateB),
          scan(7),
        ],
        9,
      );
      // Another lane's vehicle whose plate scan did not name itself: still in its vehicle.
      const plateC = uuid(0x21);
      await kit.upload('k2', 'CP', [inVehicle(1, null, plateC), inVehicle(2, plateC, uuid(0x22))], 9);

      const all = await kit.scans.search({ limit: 20 });
      expect(all.map((s) => [s.id, s.vehicleId])).toEqual([
        [uuid(0x22), plateC],
        [plateC, null],
        [uuid(7), null],
        [uuid(6), plateB],
        [plateB, plateB],
        [uuid(4), null],
        [uuid(3), plateA],
        [uuid(2), plateA],
        [plateA, plateA],
      ]);
      const ids = async (vehicleId: string, extra: { limit?: number; before?: number } = {}) =>
        (await kit.scans.search({ limit: 20, vehicleId, ...extra })).map((s) => s.id);
      expect(await ids(plateA)).toEqual([uuid(3), uuid(2), plateA]);
      expect(await ids(plateB)).toEqual([uuid(6), plateB]);
      expect(await ids(plateC)).toEqual([uuid(0x22), plateC]);
      // A passenger's id names no vehicle but finds that scan itself, as a plate scan's would.
      expect(await ids(uuid(2))).toEqual([uuid(2)]);
      expect(await ids(uuid(0x99))).toEqual([]);
      expect(await ids('not-a-uuid')).toEqual([]);
      // Combined with other filters and paged like any search.
      expect(await ids(plateA, { limit: 2 })).toEqual([uuid(3), uuid(2)]);
      const page1 = await kit.scans.search({ limit: 2, vehicleId: plateA });
      expect(await ids(plateA, { before: page1.at(-1)?.no ?? 0 })).toEqual([plateA]);
      expect(await kit.scans.search({ limit: 20, vehicleId: plateA, kioskId: 'k2' })).toEqual([]);

      // The export pages carry the vehicle and take the same filter.
      const last = await kit.scans.lastNo();
      const exported = await kit.scans.exportPage({ vehicleId: plateA }, last + 1, 10);
      expect(exported.map((r) => [r.scanId, r.vehicleId])).toEqual([
        [uuid(3), plateA],
        [uuid(2), plateA],
        [plateA, plateA],
      ]);
      expect((await kit.scans.exportPage({}, last + 1, 20)).map((r) => r.vehicleId)).toEqual(
        all.map((s) => s.vehicleId),
      );
      expect(await kit.scans.countUpTo({ vehicleId: plateB }, last + 1, 10)).toBe(2);
      expect(await kit.scans.countUpTo({ vehicleId: 'not-a-uuid' }, last + 1, 10)).toBe(0);
    });
  });

  describe('sealed scan subjects', () => {
    const F0 = parseSubjectText('001203004005')!;
    const OTHER = parseSubjectText('51F-123.45')!;
    const canonical = (subject: typeof F0) => `${subject.kind}:${subject.value}`;

    async function sealedSetup(withKeys = true) {
      const kit = await setup(withKeys);
      await kit.health(subjectKey(INDEX_KEY, F0), canonical(F0), 'F0', null, null);
      const sealedScan = (seq: number, sealed: string | null, key: string | null = null): LaneRecord => ({
        ...(scan(seq) as Extract<LaneRecord, { type: 'scan' }>),
        subjectKey: key,
        subjectSealed: sealed,
        decision: 'green',
        reasons: [],
      });
      const keyOf = async (seq: number) => {
        const [r] = await kit.rows<{ k: string | null }>(
          'SELECT CAST(subject_key AS text) AS k FROM scans WHERE seq = ?',
          [seq],
        );
        return r?.k === null || r?.k === undefined ? null : BigInt(r.k);
      };
      const sealedOf = async (seq: number) =>
        (
          await kit.rows<{ s: string | null }>('SELECT subject_sealed AS s FROM scans WHERE seq = ?', [seq])
        )[0]?.s ?? null;
      return { kit, seal: (c: string) => sealAsLane(kit.sealPublicKey, c), sealedScan, keyOf, sealedOf };
    }

    it('keys an opened subject with the index key, keeps the seal as uploaded, and alerts on a listed F0', async () => {
      const { kit, seal, sealedScan, keyOf, sealedOf } = await sealedSetup();
      const f0Seal = seal(canonical(F0));
      const r = await kit.upload(
        'k1',
        'CP',
        [sealedScan(1, f0Seal), sealedScan(2, seal(canonical(OTHER)))],
        10,
        ['F0'],
      );
      expect(r).toMatchObject({ ackedThrough: 2, inserted: 2, unopenedSeals: 0 });
      expect(await keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
      expect(await keyOf(2)).toBe(subjectKey(INDEX_KEY, OTHER));
      expect(await sealedOf(1)).toBe(f0Seal);
      expect(r.alerts).toHaveLength(1);
      expect(r.alerts[0]).toMatchObject({
        scanId: uuid(1),
        raisedBy: 'server',
        status: 'F0',
        subjectKey: subjectKeyToHex(subjectKey(INDEX_KEY, F0)),
      });
      expect(
        (await kit.scans.search({ subjectKey: subjectKey(INDEX_KEY, F0), limit: 10 })).map((v) => v.seq),
      ).toEqual([1]);
    });

    it('stores and acknowledges a seal that does not open, with no subject key, and counts it', async () => {
      const { kit, seal, sealedScan, keyOf, sealedOf } = await sealedSetup();
      const bytes = Buffer.from(seal(canonical(F0)), 'base64');
      bytes[bytes.length - 1]! ^= 0x80;
      const tampered = bytes.toString('base64');
      const foreign = sealAsLane(
        ScanSealKeys.open(openDatabase(':memory:')).publicKeyBase64(),
        canonical(F0),
      );
      const r = await kit.upload(
        'k1',
        'CP',
        [sealedScan(1, tampered), sealedScan(2, foreign), sealedScan(3, 'not a seal')],
        10,
        ['F0'],
      );
      expect(r).toMatchObject({ ackedThrough: 3, inserted: 3, unopenedSeals: 3, alerts: [] });
      expect([await keyOf(1), await keyOf(2), await keyOf(3)]).toEqual([null, null, null]);
      expect(await sealedOf(1)).toBe(tampered);
      expect(await kit.scans.unopenedSeals()).toBe(3);
      expect(await kit.upload('k1', 'CP', [sealedScan(1, tampered)], 11, ['F0'])).toMatchObject({
        inserted: 0,
        unopenedSeals: 0,
      });
      expect(await kit.scans.unopenedSeals()).toBe(3);
    });

    it('stores a seal with no subject key when the ingest has no seal key', async () => {
      const { kit, seal, sealedScan, keyOf } = await sealedSetup(false);
      const r = await kit.upload('k1', 'CP', [sealedScan(1, seal(canonical(F0)))], 10, ['F0']);
      expect(r).toMatchObject({ inserted: 1, unopenedSeals: 1, alerts: [] });
      expect(await keyOf(1)).toBeNull();
    });

    it('takes the subject key of a lane that does not seal, as before', async () => {
      const { kit, sealedScan, keyOf } = await sealedSetup();
      const r = await kit.upload(
        'k1',
        'CP',
        [sealedScan(1, null, subjectKeyToHex(subjectKey(INDEX_KEY, F0)))],
        10,
        ['F0'],
      );
      expect(r).toMatchObject({ inserted: 1, unopenedSeals: 0 });
      expect(r.alerts).toHaveLength(1);
      expect(await keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
    });

    it('reads an empty subjectSealed (what route validation makes of a JSON null) as no seal', async () => {
      const { kit, sealedScan, keyOf, sealedOf } = await sealedSetup();
      const r = await kit.upload(
        'k1',
        'CP',
        [sealedScan(1, '', subjectKeyToHex(subjectKey(INDEX_KEY, F0)))],
        10,
        ['F0'],
      );
      expect(r).toMatchObject({ inserted: 1, unopenedSeals: 0 });
      expect(r.alerts).toHaveLength(1);
      expect(await keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
      expect(await sealedOf(1)).toBeNull();
    });
  });

  describe('lane records (lane-records.test.ts)', () => {
    /** Two checkpoints, a lane at each, and a central roster. */
    async function laneSetup(roster = true): Promise<Kit> {
      const kit = await makeKit(open);
      await kit.checkpoint('HCM-01');
      await kit.checkpoint('HN-02');
      await kit.kiosk('hcm', 'HCM-01', 'Làn HCM');
      await kit.kiosk('hn', 'HN-02', 'Làn HN');
      if (roster) {
        await kit.officer('an', 'Trần An', 'officer', ['HCM-01'], null);
        await kit.officer('binh', 'Lê Bình', 'supervisor', null, null);
        await kit.officer('cuong', 'Phạm Cường', 'officer', ['HN-02'], null);
        await kit.officer('dung', 'Vũ Dũng', 'supervisor', ['HCM-01'], 1500);
        await kit.rows('UPDATE officer_roster SET version = 4');
      }
      return kit;
    }
    const red = (seq: number, n = seq): LaneRecord => ({
      type: 'scan',
      seq,
      id: uuid(n),
      at: 1000 + seq,
      source: 'stdin',
      format: 'personal_id',
      subjectKey: '52d2d0ef9befd516',
      subjectSealed: null,
      decision: 'red',
      reasons: ['health_blocked'],
      warnings: [],
      alert: true,
    });
    const override = (seq: number, scanN: number, extra: Partial<OverrideRecord> = {}): LaneRecord => ({
      type: 'override',
      seq,
      id: uuid(0x1000 + seq),
      at: 1000 + seq,
      scanId: uuid(scanN),
      originalDecision: 'red',
      decision: 'green',
      officerId: 'an',
      supervisorId: 'binh',
      reason: 'checked_by_hand',
      note: '',
      ...extra,
    });
    const ack = (seq: number, scanN: number): LaneRecord => ({
      type: 'ack',
      seq,
      id: uuid(0x2000 + seq),
      at: 1000 + seq,
      scanId: uuid(scanN),
      decision: 'red',
      note: 'gọi y tế',
    });
    const v = (seq: number, verified: boolean | null, issues: string[] | null = null) => ({
      seq,
      verified,
      issues,
    });

    it('acknowledgements are stored and count in the lane sequence', async () => {
      const kit = await laneSetup();
      expect(await kit.upload('hcm', 'HCM-01', [red(1), ack(2, 1), red(3)], 10)).toMatchObject({
        ackedThrough: 3,
        inserted: 3,
      });
      expect(await kit.verdicts('acks')).toEqual([v(2, true)]);
      expect(await kit.upload('hcm', 'HCM-01', [ack(2, 1), red(2, 9)], 11)).toMatchObject({
        ackedThrough: 3,
        inserted: 0,
      });
    });

    it('an acknowledgement gives the scan and its alert the outcome "acknowledged", passed on as updated', async () => {
      const kit = await laneSetup();
      const first = await kit.upload('hcm', 'HCM-01', [red(1)], 10);
      expect(first.alerts[0]?.outcome).toMatchObject({ state: 'pending', decision: 'red', at: null });
      const second = await kit.upload('hcm', 'HCM-01', [ack(2, 1)], 11);
      expect(second.alerts).toEqual([]);
      expect(second.updatedAlerts.map((a) => a.id)).toEqual([first.alerts[0]?.id]);
      expect(second.updatedAlerts[0]?.outcome).toMatchObject({
        state: 'acknowledged',
        decision: 'red',
        at: 1002,
        ack: { note: 'gọi y tế', kioskId: 'hcm', verified: true },
      });
      const [s] = await kit.scans.search({ limit: 1 });
      expect(s?.acks).toHaveLength(1);
      expect(s?.outcome.state).toBe('acknowledged');
    });

    it('trusts a supervisor-backed release at the lane’s own checkpoint, names the people, audits the release', async () => {
      const kit = await laneSetup();
      const r = await kit.upload('hcm', 'HCM-01', [red(1), override(2, 1)], 10);
      expect(await kit.verdicts('overrides')).toEqual([v(2, true)]);
      expect(r.alerts.map((a) => a.kind)).toEqual(['health']);
      expect(r.healthReleases).toEqual([
        expect.objectContaining({ scanId: uuid(1), officerId: 'an', supervisorId: 'binh', verified: true }),
      ]);
      const [s] = await kit.scans.search({ limit: 1 });
      expect(s?.outcome).toMatchObject({
        state: 'overridden',
        decision: 'green',
        override: { officerName: 'Trần An', supervisorName: 'Lê Bình', kioskName: 'Làn HCM', verified: true },
      });
      const audit = await kit.rows<{ actor: string; action: string; target: string }>(
        'SELECT actor, action, target FROM audit_log',
      );
      expect(audit).toEqual([{ actor: 'kiosk:hcm', action: 'override.health_release', target: uuid(1) }]);
    });

    it('flags another lane’s override with unknown people, alerts, and keeps the outbox moving', async () => {
      const kit = await laneSetup();
      await kit.upload('hcm', 'HCM-01', [red(1)], 10);
      const r = await kit.upload(
        'hn',
        'HN-02',
        [override(1, 1, { officerId: 'o1', supervisorId: 'chief' })],
        11,
      );
      expect(r.ackedThrough).toBe(1);
      expect(await kit.verdicts('overrides')).toEqual([
        v(1, false, ['scan_other_lane', 'officer_unknown', 'supervisor_unknown']),
      ]);
      expect(r.alerts).toHaveLength(1);
      expect(r.alerts[0]).toMatchObject({
        kind: 'override',
        kioskId: 'hn',
        checkpointId: 'HN-02',
        scanId: uuid(1),
        raisedBy: 'server',
        subjectKey: '52d2d0ef9befd516',
        issues: ['scan_other_lane', 'officer_unknown', 'supervisor_unknown'],
        record: { type: 'override', officerId: 'o1', officerName: null, kioskId: 'hn', verified: false },
      });
      const [s] = await kit.scans.search({ limit: 1 });
      expect(s?.overrides.map((o) => [o.kioskId, o.verified])).toEqual([['hn', false]]);
      expect(s?.outcome.state).toBe('pending');
      expect((await kit.upload('hn', 'HN-02', [override(1, 1)], 12)).alerts).toEqual([]);
    });

    it('flags officers who are disabled, assigned elsewhere, not supervisors, or the same person', async () => {
      const kit = await laneSetup();
      await kit.upload(
        'hcm',
        'HCM-01',
        [
          red(1),
          override(2, 1, { officerId: 'cuong', supervisorId: 'binh' }),
          override(3, 1, { officerId: 'an', supervisorId: 'cuong' }),
          override(4, 1, { officerId: 'an', supervisorId: 'dung', at: 1600 }),
          override(5, 1, { officerId: 'an', supervisorId: 'dung', at: 1400 }),
          override(6, 1, { officerId: 'binh', supervisorId: 'binh' }),
          override(7, 1, { supervisorId: null }),
          override(8, 1, { originalDecision: 'amber' }),
        ],
        10,
      );
      expect(await kit.verdicts('overrides')).toEqual([
        v(2, false, ['officer_not_here']),
        v(3, false, ['supervisor_not_here', 'supervisor_not_supervisor']),
        v(4, false, ['supervisor_disabled']),
        v(5, true),
        v(6, false, ['supervisor_same_officer']),
        v(7, false, ['supervisor_missing']),
        v(8, false, ['original_mismatch']),
      ]);
      expect(await kit.scans.alerts({ limit: 20, kind: 'override' })).toHaveLength(6);
    });

    it('waits for a gap below an override: its scan may come in a later batch', async () => {
      const kit = await laneSetup();
      expect(await kit.upload('hcm', 'HCM-01', [override(2, 1)], 10)).toMatchObject({
        ackedThrough: 0,
        alerts: [],
      });
      expect(await kit.verdicts('overrides')).toEqual([v(2, null)]);
      const late = await kit.upload('hcm', 'HCM-01', [red(1)], 11);
      expect(late.ackedThrough).toBe(2);
      expect(await kit.verdicts('overrides')).toEqual([v(2, true)]);
      expect(late.alerts.map((a) => a.kind)).toEqual(['health']);
      expect(late.alerts[0]?.outcome.state).toBe('overridden');
    });

    it('flags an override of a scan that never came', async () => {
      const kit = await laneSetup();
      const r = await kit.upload('hcm', 'HCM-01', [red(1), override(2, 77)], 10);
      expect(await kit.verdicts('overrides')).toEqual([v(2, false, ['scan_unknown'])]);
      expect(r.alerts.map((a) => [a.kind, a.scanId, a.issues])).toEqual([
        ['health', uuid(1), []],
        ['override', uuid(77), ['scan_unknown']],
      ]);
    });

    it('without a central roster marks people unverifiable, without an alert', async () => {
      const kit = await laneSetup(false);
      const r = await kit.upload(
        'hcm',
        'HCM-01',
        [red(1), override(2, 1, { officerId: 'o1', supervisorId: 'chief' })],
        10,
      );
      expect(await kit.verdicts('overrides')).toEqual([v(2, false, ['no_roster'])]);
      expect(r.alerts.map((a) => a.kind)).toEqual(['health']);
      const other = await kit.upload('hn', 'HN-02', [override(1, 1)], 11);
      expect(other.alerts.map((a) => a.issues)).toEqual([['scan_other_lane', 'no_roster']]);
    });

    it('judges a backdated override at its scan’s time: flagged before_scan, and the disable still counts', async () => {
      const kit = await laneSetup();
      const r = await kit.upload(
        'hcm',
        'HCM-01',
        [
          { ...red(1), at: 2000 },
          override(2, 1, { supervisorId: 'dung', at: 1400 }),
          override(3, 1, { at: 1999 }),
        ],
        10,
      );
      expect(r.ackedThrough).toBe(3);
      expect(await kit.verdicts('overrides')).toEqual([
        v(2, false, ['before_scan', 'supervisor_disabled']),
        v(3, false, ['before_scan']),
      ]);
      expect(r.alerts.filter((a) => a.kind === 'override').map((a) => a.issues)).toEqual([
        ['before_scan', 'supervisor_disabled'],
        ['before_scan'],
      ]);
      expect(r.healthReleases.map((h) => h.verified)).toEqual([false, false]);
      expect(await kit.count('audit_log')).toBe(2);
    });

    it('flags an acknowledgement dated before its scan', async () => {
      const kit = await laneSetup();
      const r = await kit.upload('hcm', 'HCM-01', [{ ...red(1), at: 2000 }, ack(2, 1)], 10);
      expect(await kit.verdicts('acks')).toEqual([v(2, false, ['before_scan'])]);
      expect(r.alerts.map((a) => [a.kind, a.issues])).toEqual([
        ['health', []],
        ['override', ['before_scan']],
      ]);
    });

    it('flags a record dated more than ten minutes after the server received it', async () => {
      const kit = await laneSetup();
      const received = 1_000_000;
      const limit = received + MAX_LANE_CLOCK_AHEAD_MS;
      await kit.upload(
        'hcm',
        'HCM-01',
        [
          red(1),
          override(2, 1, { at: limit }),
          override(3, 1, { at: limit + 1 }),
          { ...ack(4, 1), at: limit + 1 },
        ],
        received,
      );
      expect(await kit.verdicts('overrides')).toEqual([v(2, true), v(3, false, ['future_dated'])]);
      expect(await kit.verdicts('acks')).toEqual([v(4, false, ['future_dated'])]);
      expect(await kit.scans.alerts({ limit: 20, kind: 'override' })).toHaveLength(2);
    });

    it('bounds a held-back record by when it arrived, not by when its gap was filled', async () => {
      const kit = await laneSetup();
      await kit.upload('hcm', 'HCM-01', [override(2, 1, { at: 700_000 })], 10);
      await kit.upload('hcm', 'HCM-01', [red(1)], 200_000);
      expect(await kit.verdicts('overrides')).toEqual([v(2, false, ['future_dated'])]);
    });

    it('flags an acknowledgement of another lane’s scan', async () => {
      const kit = await laneSetup();
      await kit.upload('hcm', 'HCM-01', [red(1)], 10);
      const r = await kit.upload('hn', 'HN-02', [ack(1, 1)], 11);
      expect(await kit.verdicts('acks')).toEqual([v(1, false, ['scan_other_lane'])]);
      expect(r.alerts.map((a) => [a.kind, a.record?.type])).toEqual([['override', 'ack']]);
      expect(r.updatedAlerts).toEqual([]);
    });

    it('masks alert subjects and reveals them (with the entry’s name) only through alertSubject', async () => {
      const kit = await laneSetup();
      await kit.health(
        BigInt.asIntN(64, 0x52d2d0ef9befd516n),
        'personal_id:001099012345',
        'F0',
        null,
        null,
        'Nguyễn Văn A',
      );
      const [a] = (await kit.upload('hcm', 'HCM-01', [red(1)], 10)).alerts;
      expect(a).toMatchObject({
        subjectMasked: '••••••••2345',
        status: 'F0',
        subjectKey: '52d2d0ef9befd516',
      });
      expect(JSON.stringify(a)).not.toContain('001099012345');
      expect(await kit.scans.alertSubject(a?.id ?? 0)).toEqual({
        subject: '001099012345',
        name: 'Nguyễn Văn A',
        list: 'health',
        subjectKey: '52d2d0ef9befd516',
      });
      expect(await kit.scans.alertSubject(999)).toBeNull();
    });
  });

  describe('a re-enrolled lane and the health window (scans-carry-over.test.ts)', () => {
    async function carrySetup(): Promise<Kit> {
      const kit = await makeKit(open);
      await kit.checkpoint('CP');
      await kit.kiosk('old', 'CP');
      await kit.kiosk('new', 'CP');
      return kit;
    }
    const carried = (seq: number, n: number, extra: Partial<LaneRecord> = {}): LaneRecord =>
      ({ ...scan(seq, uuid(n)), at: 1_000 + n, ...extra }) as LaneRecord;

    it('acknowledges records its old identity delivered, storing nothing twice', async () => {
      const kit = await carrySetup();
      expect(
        (
          await kit.upload(
            'old',
            'CP',
            [1, 2, 3].map((n) => carried(n, n)),
            10,
          )
        ).ackedThrough,
      ).toBe(3);
      const tail = [2, 3, 4, 5].map((n, i) => carried(i + 1, n));
      expect(await kit.upload('new', 'CP', tail, 20)).toMatchObject({ ackedThrough: 4, inserted: 2 });
      expect(await kit.scans.countScans()).toBe(5);
      expect(await kit.upload('new', 'CP', tail, 30)).toMatchObject({ ackedThrough: 4, inserted: 0 });
    });

    const since = Date.UTC(2026, 10, 23, 3, 0, 0);
    const until = since + 3_600_000;
    it.each([
      ['before since', since - 1],
      ['at since', since],
      ['at until', until],
      ['after until', until + 1],
    ])('the server’s alert and the lane’s red agree %s', async (_label, at) => {
      const kit = await carrySetup();
      const key = 0x1234n;
      await kit.health(key, 'x', 'F0', since, until);
      const checkpoint: CheckpointConfig = {
        id: 'CP',
        name: 'CP',
        mode: 'open',
        freshnessBudgetSec: 21600,
        blockingStatuses: ['F0', 'F1'],
        repeatWindowSec: 5,
      };
      const lane = decide({
        payload: parsePayload('001090123456', { now: at }),
        health: { status: 'F0', since, until },
        whitelist: null,
        checkpoint,
        listsSyncedAt: { health: at, whitelist: at },
        lastSameScanAt: null,
        now: at,
      });
      const res = await kit.upload(
        'new',
        'CP',
        [carried(1, 1, { at, subjectKey: key.toString(16).padStart(16, '0') })],
        at,
        ['F0', 'F1'],
      );
      expect(res.alerts.length === 1).toBe(lane.decision === 'red');
    });
  });

  it('raises the server’s health alert exactly where the lane’s rule blocks (health-alert-check.test.ts)', async () => {
    const kit = await makeKit(open);
    const SINCE = 1_700_000_000_000;
    const UNTIL = SINCE + 3_600_000;
    const bounds = [null, SINCE, UNTIL] as const;
    const entries: { key: bigint; status: string; since: number | null; until: number | null }[] = [];
    let key = 1n;
    for (const status of HEALTH_STATUSES)
      for (const since of bounds)
        for (const until of bounds) entries.push({ key: key++, status, since, until });
    for (const e of entries) await kit.health(e.key, `personal_id:${e.key}`, e.status, e.since, e.until);
    const times = [0, SINCE - 1, SINCE, SINCE + 1, UNTIL, UNTIL + 1];
    const blockingSets = [['F0'], ['F0', 'F1'], ['F2', 'deceased'], []];
    let n = 0;
    for (const [i, blocking] of blockingSets.entries()) {
      await kit.checkpoint(`C${i}`, blocking);
      await kit.kiosk(`l${i}`, `C${i}`);
      const records: LaneRecord[] = [];
      const expected: string[] = [];
      for (const e of [...entries, { key: 999n, status: 'F0', since: null, until: null }])
        for (const at of times) {
          const id = uuid(++n);
          records.push({
            ...scan(records.length + 1, id),
            at,
            subjectKey: subjectKeyToHex(e.key),
            decision: 'green',
            reasons: [],
          } as LaneRecord);
          const onList = e.key !== 999n;
          if (onList && healthBlocks(e as HealthEntry, blocking, at)) expected.push(id);
        }
      records.push({ ...scan(records.length + 1, uuid(++n)), decision: 'green', reasons: [] } as LaneRecord);
      const r = await kit.upload(`l${i}`, `C${i}`, records, 10, blocking);
      expect(
        r.alerts.map((a) => a.scanId),
        blocking.join(','),
      ).toEqual(expected);
    }
  });

  if (engine === 'postgres') {
    it('settles arrival numbers: lastNo waits for an upload in flight that holds a lower number', async () => {
      const kit = await setup();
      await kit.kiosk('k2', 'CP');
      if (kit.d.engine !== 'postgres') return;
      const pool = kit.d.pool;
      // An upload on another server, stopped before its commit, holding arrival number 1.
      const slow = await pool.connect();
      try {
        await slow.query('BEGIN');
        await slow.query(`SELECT 1 FROM kiosks WHERE id = 'k2' FOR UPDATE`);
        await slow.query(
          `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings, alert)
           SELECT no, 1, $1, 'CP', 1, 1, 'stdin', 'green', '[]', '[]', false FROM kiosks WHERE id = 'k2'`,
          [uuid(900)],
        );
        // This server's upload takes number 2 and commits first.
        await kit.upload('k1', 'CP', [scan(1)], 10);
        let settled: number | null = null;
        const last = kit.scans.lastNo().then((no) => (settled = no));
        const search = kit.scans.search({ limit: 10 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(settled).toBeNull();
        await slow.query('COMMIT');
        expect(await last).toBe(2);
        expect((await kit.scans.exportPage({}, 3, 10)).map((r) => r.no)).toEqual([2, 1]);
        expect((await search).map((s) => s.no)).toEqual([2, 1]);
      } finally {
        await slow.query('ROLLBACK').catch(() => undefined);
        slow.release();
      }
    });
  }
});
