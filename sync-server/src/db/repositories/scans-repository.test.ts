import type { LaneRecord } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../open-database.js';
import { ScansRepository } from './scans-repository.js';

function setup() {
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO checkpoints VALUES ('CP', 'CP', 'open', 21600, '[\"F0\",\"F1\"]', 5, 0, 0)").run();
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
    // A scan reusing the override's seq, and a scan reusing an id under a new seq, are both ignored.
    expect(repo.ingest('k1', 'CP', [scan(2), scan(4, (scan(1) as { id: string }).id)], 11)).toMatchObject({
      ackedThrough: 3,
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
