import { parseSubjectText, subjectKeyToHex, type LaneRecord } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { ScanSealKeys } from '../../lists/scan-seal-keys.js';
import { sealAsLane } from '../../lists/scan-seal.testkit.js';
import { subjectKey } from '../../lists/subject-key.js';
import { openDatabase } from '../open-database.js';
import { ScansRepository, scanWhere } from './scans-repository.js';

function setup() {
  const db = openDatabase(':memory:');
  db.prepare(
    "INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('CP', 'CP', 'open', 21600, '[\"F0\",\"F1\"]', 5, 0, 0)",
  ).run();
  db.prepare(
    "INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k1', 'k1', 'CP', 'h', 0)",
  ).run();
  return { db, repo: new ScansRepository(db) };
}

const scan = (
  seq: number,
  id = `01890a5d-ac96-7000-8000-${seq.toString(16).padStart(12, '0')}`,
): LaneRecord => ({
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

describe('ScansRepository.ingest', () => {
  it('counts scans and overrides in one sequence and ignores a seq or id already held', () => {
    const { db, repo } = setup();
    const override: LaneRecord = {
      type: 'override',
      seq: 2,
      id: '01890a5d-ac96-7000-8000-00000000ffff',
      at: 2,
      scanId: (scan(1) as { id: string }).id,
      originalDecision: 'amber',
      decision: 'green',
      officerId: 'o1',
      supervisorId: null,
      reason: 'checked_by_hand',
      note: '',
    };
    expect(repo.ingest('k1', 'CP', [scan(1), override, scan(3)], 10)).toMatchObject({
      ackedThrough: 3,
      inserted: 3,
    });
    // A scan reusing the override's seq, and a scan reusing an id under a new seq, are both
    // ignored; the id is held, so its seq counts as delivered (nothing stored twice, no lane stuck).
    expect(repo.ingest('k1', 'CP', [scan(2), scan(4, (scan(1) as { id: string }).id)], 11)).toMatchObject({
      ackedThrough: 4,
      inserted: 0,
    });
    expect(db.prepare('SELECT count(*) FROM scans').pluck().get()).toBe(2);
    expect(db.prepare('SELECT count(*) FROM overrides').pluck().get()).toBe(1);
  });

  it('holds out-of-order batches and acknowledges once the gap is filled', () => {
    const { repo } = setup();
    expect(repo.ingest('k1', 'CP', [scan(3), scan(4)], 1).ackedThrough).toBe(0);
    expect(repo.ingest('k1', 'CP', [scan(1)], 1).ackedThrough).toBe(1);
    expect(repo.ingest('k1', 'CP', [scan(2)], 1).ackedThrough).toBe(4);
    expect(repo.ackedThrough('k1')).toBe(4);
  });
});

describe('scan_hourly roll-up', () => {
  const H = 3_600_000;
  const T = 1_700_000_000_000 - (1_700_000_000_000 % H);
  const rec = (seq: number, at: number, decision: 'green' | 'amber' | 'red'): LaneRecord => ({
    ...(scan(seq) as Extract<LaneRecord, { type: 'scan' }>),
    at,
    decision,
  });
  const groupBy = (db: ReturnType<typeof setup>['db']) =>
    db
      .prepare(
        `SELECT checkpoint_id, at - (at % 3600000) AS hour, decision, count(*) AS count FROM scans
         GROUP BY 1, 2, 3 ORDER BY 2, 1, 3`,
      )
      .all();
  const rollup = (db: ReturnType<typeof setup>['db']) =>
    db.prepare('SELECT checkpoint_id, hour, decision, count FROM scan_hourly ORDER BY 2, 1, 3').all();

  it('matches a GROUP BY over scans after several batches, re-sent duplicates and two checkpoints', () => {
    const { db, repo } = setup();
    db.prepare(
      "INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('CP2', 'CP2', 'open', 21600, '[]', 5, 0, 0)",
    ).run();
    db.prepare(
      "INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k2', 'k2', 'CP2', 'h2', 0)",
    ).run();
    const batch1 = [
      rec(1, T + 1, 'green'),
      rec(2, T + 2, 'green'),
      rec(3, T + 3, 'red'),
      rec(4, T + H - 1, 'amber'),
      rec(5, T + H, 'green'),
    ];
    repo.ingest('k1', 'CP', batch1, 10);
    // The same batch again, a batch overlapping it, and out-of-order records.
    repo.ingest('k1', 'CP', batch1, 11);
    repo.ingest(
      'k1',
      'CP',
      [rec(5, T + H, 'green'), rec(6, T + H + 5, 'green'), rec(8, T + 3 * H, 'red')],
      12,
    );
    repo.ingest('k1', 'CP', [rec(7, T + 2, 'green'), rec(6, T + H + 5, 'green')], 13);
    const k2 = (seq: number, at: number, d: 'green' | 'amber' | 'red'): LaneRecord => ({
      ...rec(seq, at, d),
      id: `01890a5d-ac96-7000-8000-${(0xf00000 + seq).toString(16).padStart(12, '0')}`,
    });
    repo.ingest('k2', 'CP2', [k2(1, T + 1, 'green'), k2(2, T + 7, 'green'), k2(3, T + H, 'amber')], 14);
    repo.ingest('k2', 'CP2', [k2(2, T + 7, 'green'), k2(3, T + H, 'amber')], 15);
    expect(db.prepare('SELECT count(*) FROM scans').pluck().get()).toBe(11);
    expect(rollup(db)).toEqual(groupBy(db));
    expect(rollup(db)).toContainEqual({ checkpoint_id: 'CP', hour: T, decision: 'green', count: 3 });
    expect(repo.hourly(T, T + H, 'CP2')).toEqual([
      { checkpointId: 'CP2', hour: T, decision: 'green', count: 2 },
    ]);
    expect(repo.hourly(T + H, T + 2 * H).map((r) => [r.checkpointId, r.count])).toEqual([
      ['CP', 2],
      ['CP2', 1],
    ]);
  });

  it('rolls back with a failed batch (same transaction)', () => {
    const { db, repo } = setup();
    expect(() => repo.ingest('nope', 'CP', [rec(1, T, 'green')], 1)).toThrow(/no kiosk/);
    expect(rollup(db)).toEqual([]);
  });
});

describe('alerts and the export page', () => {
  it('acknowledges once, keeping the first acker, and filters unacknowledged alerts', () => {
    const { repo } = setup();
    const r = repo.ingest(
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
    expect(repo.ack(a1.id, 100, 'alice')).toMatchObject({
      acked: true,
      alert: { ackedAt: 100, ackedBy: 'alice' },
    });
    expect(repo.ack(a1.id, 200, 'bob')).toMatchObject({
      acked: false,
      alert: { ackedAt: 100, ackedBy: 'alice' },
    });
    expect(repo.ack(999, 200, 'bob')).toBeNull();
    expect(repo.alerts({ limit: 10, unacked: true }).map((a) => a.id)).toEqual([a2.id]);
    expect(repo.alerts({ limit: 10 }).map((a) => a.id)).toEqual([a2.id, a1.id]);
  });

  it('exports pages below a cursor with the latest override of each scan', () => {
    const { repo } = setup();
    const ov = (seq: number, at: number, decision: string): LaneRecord =>
      ({
        type: 'override',
        seq,
        id: `01890a5d-ac96-7000-8000-00000000ff${seq.toString(16).padStart(2, '0')}`,
        at,
        scanId: (scan(1) as { id: string }).id,
        originalDecision: 'amber',
        decision,
        officerId: `o${seq}`,
        supervisorId: null,
        reason: 'checked_by_hand',
        note: '',
      }) as LaneRecord;
    repo.ingest('k1', 'CP', [scan(1), ov(2, 50, 'green'), ov(3, 60, 'red'), scan(4), scan(5)], 9);
    const all = repo.exportPage({}, repo.lastNo() + 1, 10);
    expect(all.map((r) => r.scanId)).toEqual(repo.search({ limit: 10 }).map((s) => s.id));
    expect(all.at(-1)?.override).toMatchObject({ decision: 'red', officerId: 'o3' });
    expect(all[0]?.override).toBeNull();
    const page2 = repo.exportPage({}, all[0]?.no ?? 0, 1);
    expect(page2.map((r) => r.scanId)).toEqual([all[1]?.scanId]);
    expect(repo.countUpTo({}, repo.lastNo() + 1, 2)).toBe(2);
    expect(repo.countUpTo({ decision: 'red' }, repo.lastNo() + 1, 10)).toBe(0);
  });
});

describe('scan filters', () => {
  const plan = (db: ReturnType<typeof setup>['db'], where: ReturnType<typeof scanWhere>): string =>
    (
      db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT s.no FROM scans s JOIN kiosks k ON k.no = s.kiosk_no
           WHERE ${where.sql} ORDER BY s.no DESC LIMIT 10`,
        )
        .all(where.params) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('; ');

  it('use the indexes: a subject search, a checkpoint search, a vehicle, the export paging by arrival number', () => {
    const { db } = setup();
    expect(plan(db, scanWhere({ subjectKey: 5n }, undefined))).toMatch(/scans_subject_at/);
    expect(plan(db, scanWhere({ checkpointId: 'CP', from: 0, to: 10 }, undefined))).toMatch(
      /scans_checkpoint_at/,
    );
    expect(plan(db, scanWhere({}, 1000))).toMatch(/INTEGER PRIMARY KEY \(rowid<\?\)/);
    // A vehicle's scans: its passengers through scans_vehicle, its plate scan through the id.
    const vehicle = plan(db, scanWhere({ vehicleId: 'v' }, 1000));
    expect(vehicle).toMatch(/SEARCH s USING INDEX scans_vehicle \(vehicle_id=\?/);
    expect(vehicle).toMatch(/SEARCH s USING INDEX sqlite_autoindex_scans_\d+ \(id=\?/);
    expect(scanWhere({}, undefined)).toEqual({ sql: '1', params: {} });
  });
});

describe('sealed scan subjects', () => {
  const INDEX_KEY = Buffer.alloc(32, 7);
  const F0 = parseSubjectText('001203004005')!;
  const OTHER = parseSubjectText('51F-123.45')!;
  const canonical = (subject: typeof F0) => `${subject.kind}:${subject.value}`;

  function sealedSetup(withKeys = true) {
    const { db } = setup();
    const sealKeys = ScanSealKeys.open(db);
    const repo = new ScansRepository(db, withKeys ? { sealKeys, indexKey: INDEX_KEY } : null);
    db.prepare(
      `INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at)
       VALUES (?, ?, 'F0', NULL, NULL, 1, 0)`,
    ).run(subjectKey(INDEX_KEY, F0), canonical(F0));
    const sealedScan = (seq: number, sealed: string | null, key: string | null = null): LaneRecord => ({
      ...(scan(seq) as Extract<LaneRecord, { type: 'scan' }>),
      subjectKey: key,
      subjectSealed: sealed,
      decision: 'green',
      reasons: [],
    });
    const keyOf = (seq: number) =>
      db.prepare('SELECT subject_key FROM scans WHERE seq = ?').safeIntegers().pluck().get(seq) as
        bigint | null;
    const sealedOf = (seq: number) =>
      db.prepare('SELECT subject_sealed FROM scans WHERE seq = ?').pluck().get(seq) as string | null;
    return {
      db,
      repo,
      seal: (c: string) => sealAsLane(sealKeys.publicKeyBase64(), c),
      sealedScan,
      keyOf,
      sealedOf,
    };
  }

  it('keys an opened subject with the index key, keeps the seal as uploaded, and alerts on a listed F0', () => {
    const { repo, seal, sealedScan, keyOf, sealedOf } = sealedSetup();
    const f0Seal = seal(canonical(F0));
    const otherSeal = seal(canonical(OTHER));
    const r = repo.ingest('k1', 'CP', [sealedScan(1, f0Seal), sealedScan(2, otherSeal)], 10, ['F0']);
    expect(r).toMatchObject({ ackedThrough: 2, inserted: 2, unopenedSeals: 0 });
    expect(keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
    expect(keyOf(2)).toBe(subjectKey(INDEX_KEY, OTHER));
    expect(sealedOf(1)).toBe(f0Seal);
    // The lane said green with no alert: the server's own health list raises it.
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({
      scanId: (sealedScan(1, null) as { id: string }).id,
      raisedBy: 'server',
    });
    // Admin search by the subject finds the sealed scan.
    expect(repo.search({ subjectKey: subjectKey(INDEX_KEY, F0), limit: 10 }).map((v) => v.seq)).toEqual([1]);
  });

  it('stores and acknowledges a seal that does not open, with no subject key, and counts it', () => {
    const { repo, seal, sealedScan, keyOf, sealedOf } = sealedSetup();
    const bytes = Buffer.from(seal(canonical(F0)), 'base64');
    bytes[bytes.length - 1]! ^= 0x80;
    const tampered = bytes.toString('base64');
    const foreign = sealAsLane(ScanSealKeys.open(openDatabase(':memory:')).publicKeyBase64(), canonical(F0));
    const r = repo.ingest(
      'k1',
      'CP',
      [sealedScan(1, tampered), sealedScan(2, foreign), sealedScan(3, 'not a seal')],
      10,
      ['F0'],
    );
    expect(r).toMatchObject({ ackedThrough: 3, inserted: 3, unopenedSeals: 3, alerts: [] });
    expect([keyOf(1), keyOf(2), keyOf(3)]).toEqual([null, null, null]);
    expect(sealedOf(1)).toBe(tampered);
    expect(repo.unopenedSeals()).toBe(3);
    // Re-sending counts nothing twice.
    expect(repo.ingest('k1', 'CP', [sealedScan(1, tampered)], 11, ['F0'])).toMatchObject({
      inserted: 0,
      unopenedSeals: 0,
    });
    expect(repo.unopenedSeals()).toBe(3);
  });

  it('stores a seal with no subject key when the ingest has no seal key', () => {
    const { repo, seal, sealedScan, keyOf } = sealedSetup(false);
    const r = repo.ingest('k1', 'CP', [sealedScan(1, seal(canonical(F0)))], 10, ['F0']);
    expect(r).toMatchObject({ inserted: 1, unopenedSeals: 1, alerts: [] });
    expect(keyOf(1)).toBeNull();
  });

  it('takes the subject key of a lane that does not seal, as before', () => {
    const { repo, sealedScan, keyOf } = sealedSetup();
    const r = repo.ingest('k1', 'CP', [sealedScan(1, null, subjectKeyToHex(subjectKey(INDEX_KEY, F0)))], 10, [
      'F0',
    ]);
    expect(r).toMatchObject({ inserted: 1, unopenedSeals: 0 });
    expect(r.alerts).toHaveLength(1);
    expect(keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
  });

  it('reads an empty subjectSealed (what route validation makes of a JSON null) as no seal', () => {
    const { repo, sealedScan, keyOf, sealedOf } = sealedSetup();
    const key = subjectKeyToHex(subjectKey(INDEX_KEY, F0));
    const r = repo.ingest('k1', 'CP', [sealedScan(1, '', key)], 10, ['F0']);
    expect(r).toMatchObject({ inserted: 1, unopenedSeals: 0 });
    expect(r.alerts).toHaveLength(1);
    expect(keyOf(1)).toBe(subjectKey(INDEX_KEY, F0));
    expect(sealedOf(1)).toBeNull();
  });
});
