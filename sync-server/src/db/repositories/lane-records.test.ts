import type { LaneRecord, OverrideRecord } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { MAX_LANE_CLOCK_AHEAD_MS } from '../../overrides/check-lane-record.js';
import { openDatabase } from '../open-database.js';
import { ScansRepository } from './scans-repository.js';

/** Two checkpoints, a lane at each, and a central roster. */
function setup(roster = true) {
  const db = openDatabase(':memory:');
  db.exec(`
    INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('HCM-01', 'A', 'open', 21600, '["F0","F1"]', 5, 0, 0);
    INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('HN-02', 'B', 'open', 21600, '["F0","F1"]', 5, 0, 0);
    INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('hcm', 'Làn HCM', 'HCM-01', 'h1', 0);
    INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('hn', 'Làn HN', 'HN-02', 'h2', 0);
  `);
  if (roster) {
    db.exec(`
      INSERT INTO officers (id, name, role, pin_hash, checkpoints, disabled_at, created_at, updated_at) VALUES
        ('an', 'Trần An', 'officer', 'x', ';HCM-01;', NULL, 0, 0),
        ('binh', 'Lê Bình', 'supervisor', 'x', NULL, NULL, 0, 0),
        ('cuong', 'Phạm Cường', 'officer', 'x', ';HN-02;', NULL, 0, 0),
        ('dung', 'Vũ Dũng', 'supervisor', 'x', ';HCM-01;', 1500, 0, 0);
      UPDATE officer_roster SET version = 4;
    `);
  }
  return { db, repo: new ScansRepository(db) };
}

const id = (n: number) => `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`;

const red = (seq: number, n = seq): LaneRecord => ({
  type: 'scan',
  seq,
  id: id(n),
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
  id: id(0x1000 + seq),
  at: 1000 + seq,
  scanId: id(scanN),
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
  id: id(0x2000 + seq),
  at: 1000 + seq,
  scanId: id(scanN),
  decision: 'red',
  note: 'gọi y tế',
});

const verdicts = (db: ReturnType<typeof setup>['db'], table: 'overrides' | 'acks') =>
  db.prepare(`SELECT seq, verified, issues FROM ${table} ORDER BY seq`).all();

describe('acknowledgements', () => {
  it('are stored and count in the lane sequence: ackedThrough passes them', () => {
    const { db, repo } = setup();
    const r = repo.ingest('hcm', 'HCM-01', [red(1), ack(2, 1), red(3)], 10);
    expect(r).toMatchObject({ ackedThrough: 3, inserted: 3 });
    expect(verdicts(db, 'acks')).toEqual([{ seq: 2, verified: 1, issues: null }]);
    // Re-sent: ignored, nothing doubles; a scan may not take an acknowledgement's seq.
    expect(repo.ingest('hcm', 'HCM-01', [ack(2, 1), red(2, 9)], 11)).toMatchObject({
      ackedThrough: 3,
      inserted: 0,
    });
  });

  it('give the scan and its alert the outcome "acknowledged", and pass on the alert as updated', () => {
    const { repo } = setup();
    const first = repo.ingest('hcm', 'HCM-01', [red(1)], 10);
    expect(first.alerts[0]?.outcome).toMatchObject({ state: 'pending', decision: 'red', at: null });
    const second = repo.ingest('hcm', 'HCM-01', [ack(2, 1)], 11);
    expect(second.alerts).toEqual([]);
    expect(second.updatedAlerts.map((a) => a.id)).toEqual([first.alerts[0]?.id]);
    expect(second.updatedAlerts[0]?.outcome).toMatchObject({
      state: 'acknowledged',
      decision: 'red',
      at: 1002,
      ack: { note: 'gọi y tế', kioskId: 'hcm', verified: true },
    });
    const [scan] = repo.search({ limit: 1 });
    expect(scan?.acks).toHaveLength(1);
    expect(scan?.outcome.state).toBe('acknowledged');
  });
});

describe('overrides are checked, never taken on faith', () => {
  it('trusts a supervisor-backed release at the lane’s own checkpoint and names the people', () => {
    const { db, repo } = setup();
    const r = repo.ingest('hcm', 'HCM-01', [red(1), override(2, 1)], 10);
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: 1, issues: null }]);
    expect(r.alerts.map((a) => a.kind)).toEqual(['health']);
    expect(r.healthReleases).toEqual([
      expect.objectContaining({ scanId: id(1), officerId: 'an', supervisorId: 'binh', verified: true }),
    ]);
    const [scan] = repo.search({ limit: 1 });
    expect(scan?.outcome).toMatchObject({
      state: 'overridden',
      decision: 'green',
      override: { officerName: 'Trần An', supervisorName: 'Lê Bình', kioskName: 'Làn HCM', verified: true },
    });
  });

  it('flags another lane’s override of this scan with unknown people, alerts, and keeps the lane’s outbox moving', () => {
    const { db, repo } = setup();
    repo.ingest('hcm', 'HCM-01', [red(1)], 10);
    // The issue's case: a lane at HN-02 overrides an HCM-01 scan with officers who do not exist.
    const r = repo.ingest('hn', 'HN-02', [override(1, 1, { officerId: 'o1', supervisorId: 'chief' })], 11);
    expect(r.ackedThrough).toBe(1);
    expect(verdicts(db, 'overrides')).toEqual([
      { seq: 1, verified: 0, issues: '["scan_other_lane","officer_unknown","supervisor_unknown"]' },
    ]);
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({
      kind: 'override',
      kioskId: 'hn',
      checkpointId: 'HN-02',
      scanId: id(1),
      raisedBy: 'server',
      issues: ['scan_other_lane', 'officer_unknown', 'supervisor_unknown'],
      record: { type: 'override', officerId: 'o1', officerName: null, kioskId: 'hn', verified: false },
    });
    // Shown with the scan, flagged, but it is not what happened at the scan's own lane.
    const [scan] = repo.search({ limit: 1 });
    expect(scan?.overrides.map((o) => [o.kioskId, o.verified])).toEqual([['hn', false]]);
    expect(scan?.outcome.state).toBe('pending');
    // Re-sent: no second alert.
    expect(repo.ingest('hn', 'HN-02', [override(1, 1)], 12).alerts).toEqual([]);
  });

  it('flags officers who are disabled, assigned elsewhere, not supervisors, or the same person', () => {
    const { db, repo } = setup();
    repo.ingest(
      'hcm',
      'HCM-01',
      [
        red(1),
        override(2, 1, { officerId: 'cuong', supervisorId: 'binh' }), // officer of HN-02
        override(3, 1, { officerId: 'an', supervisorId: 'cuong' }), // not a supervisor, not here
        override(4, 1, { officerId: 'an', supervisorId: 'dung', at: 1600 }), // disabled at 1500
        override(5, 1, { officerId: 'an', supervisorId: 'dung', at: 1400 }), // before the disable: fine
        override(6, 1, { officerId: 'binh', supervisorId: 'binh' }),
        override(7, 1, { supervisorId: null }), // a health red released without a supervisor
        override(8, 1, { originalDecision: 'amber' }),
      ],
      10,
    );
    expect(verdicts(db, 'overrides')).toEqual([
      { seq: 2, verified: 0, issues: '["officer_not_here"]' },
      { seq: 3, verified: 0, issues: '["supervisor_not_here","supervisor_not_supervisor"]' },
      { seq: 4, verified: 0, issues: '["supervisor_disabled"]' },
      { seq: 5, verified: 1, issues: null },
      { seq: 6, verified: 0, issues: '["supervisor_same_officer"]' },
      { seq: 7, verified: 0, issues: '["supervisor_missing"]' },
      { seq: 8, verified: 0, issues: '["original_mismatch"]' },
    ]);
    expect(repo.alerts({ limit: 20, kind: 'override' })).toHaveLength(6);
  });

  it('waits for a gap below an override: its scan may come in a later batch', () => {
    const { db, repo } = setup();
    // A retried batch arrives out of order: the override before its scan.
    const early = repo.ingest('hcm', 'HCM-01', [override(2, 1)], 10);
    expect(early).toMatchObject({ ackedThrough: 0, alerts: [] });
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: null, issues: null }]);
    const late = repo.ingest('hcm', 'HCM-01', [red(1)], 11);
    expect(late.ackedThrough).toBe(2);
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: 1, issues: null }]);
    expect(late.alerts.map((a) => a.kind)).toEqual(['health']);
    expect(late.alerts[0]?.outcome.state).toBe('overridden');
  });

  it('flags an override of a scan that never came', () => {
    const { db, repo } = setup();
    const r = repo.ingest('hcm', 'HCM-01', [red(1), override(2, 77)], 10);
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: 0, issues: '["scan_unknown"]' }]);
    expect(r.alerts.map((a) => [a.kind, a.scanId, a.issues])).toEqual([
      ['health', id(1), []],
      ['override', id(77), ['scan_unknown']],
    ]);
  });

  it('without a central roster (lanes on a hand-written officers.json) marks people unverifiable, without an alert', () => {
    const { db, repo } = setup(false);
    const r = repo.ingest(
      'hcm',
      'HCM-01',
      [red(1), override(2, 1, { officerId: 'o1', supervisorId: 'chief' })],
      10,
    );
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: 0, issues: '["no_roster"]' }]);
    expect(r.alerts.map((a) => a.kind)).toEqual(['health']);
    // The scan link is still checked: another lane's scan alerts even then.
    const other = repo.ingest('hn', 'HN-02', [override(1, 1)], 11);
    expect(other.alerts.map((a) => a.issues)).toEqual([['scan_other_lane', 'no_roster']]);
  });

  it('judges a backdated override at its scan’s time: flagged before_scan, and the disable still counts', () => {
    const { db, repo } = setup();
    // The scan was made at 2000, after dung was disabled (1500); the lane dates the override 1400.
    const scan: LaneRecord = { ...red(1), at: 2000 };
    const r = repo.ingest(
      'hcm',
      'HCM-01',
      [scan, override(2, 1, { supervisorId: 'dung', at: 1400 }), override(3, 1, { at: 1999 })],
      10,
    );
    expect(r.ackedThrough).toBe(3); // never refused: stored, flagged, the outbox moves on
    expect(verdicts(db, 'overrides')).toEqual([
      { seq: 2, verified: 0, issues: '["before_scan","supervisor_disabled"]' },
      { seq: 3, verified: 0, issues: '["before_scan"]' },
    ]);
    expect(r.alerts.filter((a) => a.kind === 'override').map((a) => a.issues)).toEqual([
      ['before_scan', 'supervisor_disabled'],
      ['before_scan'],
    ]);
    expect(r.healthReleases.map((h) => h.verified)).toEqual([false, false]);
  });

  it('flags an acknowledgement dated before its scan', () => {
    const { db, repo } = setup();
    const r = repo.ingest('hcm', 'HCM-01', [{ ...red(1), at: 2000 }, ack(2, 1)], 10);
    expect(verdicts(db, 'acks')).toEqual([{ seq: 2, verified: 0, issues: '["before_scan"]' }]);
    expect(r.alerts.map((a) => [a.kind, a.issues])).toEqual([
      ['health', []],
      ['override', ['before_scan']],
    ]);
  });

  it('flags a record dated more than ten minutes after the server received it', () => {
    const { db, repo } = setup();
    const received = 1_000_000;
    const limit = received + MAX_LANE_CLOCK_AHEAD_MS;
    repo.ingest(
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
    expect(verdicts(db, 'overrides')).toEqual([
      { seq: 2, verified: 1, issues: null },
      { seq: 3, verified: 0, issues: '["future_dated"]' },
    ]);
    expect(verdicts(db, 'acks')).toEqual([{ seq: 4, verified: 0, issues: '["future_dated"]' }]);
    expect(repo.alerts({ limit: 20, kind: 'override' })).toHaveLength(2);
  });

  it('bounds a held-back record by when it arrived, not by when its gap was filled', () => {
    const { db, repo } = setup();
    // Received at 10 dated 700 000 (over ten minutes ahead); its scan only arrives at 200 000.
    repo.ingest('hcm', 'HCM-01', [override(2, 1, { at: 700_000 })], 10);
    repo.ingest('hcm', 'HCM-01', [red(1)], 200_000);
    expect(verdicts(db, 'overrides')).toEqual([{ seq: 2, verified: 0, issues: '["future_dated"]' }]);
  });

  it('flags an acknowledgement of another lane’s scan', () => {
    const { db, repo } = setup();
    repo.ingest('hcm', 'HCM-01', [red(1)], 10);
    const r = repo.ingest('hn', 'HN-02', [ack(1, 1)], 11);
    expect(verdicts(db, 'acks')).toEqual([{ seq: 1, verified: 0, issues: '["scan_other_lane"]' }]);
    expect(r.alerts.map((a) => [a.kind, a.record?.type])).toEqual([['override', 'ack']]);
    expect(r.updatedAlerts).toEqual([]);
  });
});

describe('alert subjects', () => {
  it('are masked in alerts and revealed (with the list entry’s name) only through alertSubject', () => {
    const { db, repo } = setup();
    db.exec(`INSERT INTO health_entries (subject_key, subject, status, name, version, updated_at)
      VALUES (${BigInt.asIntN(64, 0x52d2d0ef9befd516n)}, 'personal_id:001099012345', 'F0', 'Nguyễn Văn A', 1, 0)`);
    const [a] = repo.ingest('hcm', 'HCM-01', [red(1)], 10).alerts;
    expect(a).toMatchObject({ subjectMasked: '••••••••2345', status: 'F0' });
    expect(JSON.stringify(a)).not.toContain('001099012345');
    expect(repo.alertSubject(a?.id ?? 0)).toEqual({
      subject: '001099012345',
      name: 'Nguyễn Văn A',
      list: 'health',
      subjectKey: '52d2d0ef9befd516',
    });
    expect(repo.alertSubject(999)).toBeNull();
  });
});
