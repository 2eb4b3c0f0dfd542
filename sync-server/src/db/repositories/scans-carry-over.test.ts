// The server's side of a lane re-enrolled in its old data folder, and its alert boundary.
import { decide, parsePayload, type CheckpointConfig, type LaneRecord } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../open-database.js';
import { ScansRepository } from './scans-repository.js';

function setup() {
  const db = openDatabase(':memory:');
  db.prepare(
    "INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('CP', 'CP', 'open', 21600, '[\"F0\",\"F1\"]', 5, 0, 0)",
  ).run();
  const kiosk = db.prepare(
    "INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, 'CP', ?, 0)",
  );
  kiosk.run('old', 'old', 'h1');
  kiosk.run('new', 'new', 'h2');
  return { db, repo: new ScansRepository(db) };
}

const scan = (seq: number, n: number, extra: Partial<LaneRecord> = {}): LaneRecord =>
  ({
    type: 'scan',
    seq,
    id: `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`,
    at: 1_000 + n,
    source: 'stdin',
    format: null,
    subjectKey: null,
    subjectSealed: null,
    decision: 'amber',
    reasons: ['payload_unknown_format'],
    warnings: [],
    alert: false,
    ...extra,
  }) as LaneRecord;

describe('a re-enrolled lane’s carried-over records', () => {
  it('acknowledges records its old identity delivered, storing nothing twice', () => {
    const { db, repo } = setup();
    // The old identity delivered scans 1..3; the lane crashed before it saved that ack.
    expect(
      repo.ingest(
        'old',
        'CP',
        [1, 2, 3].map((n) => scan(n, n)),
        10,
      ).ackedThrough,
    ).toBe(3);
    // Re-enrolled: the unsent tail (records 2..5) renumbered 1..4 for the new identity.
    const tail = [2, 3, 4, 5].map((n, i) => scan(i + 1, n));
    const res = repo.ingest('new', 'CP', tail, 20);
    expect(res).toMatchObject({ ackedThrough: 4, inserted: 2 });
    expect(db.prepare('SELECT count(*) FROM scans').pluck().get()).toBe(5);
    expect(db.prepare('SELECT count(DISTINCT id) FROM scans').pluck().get()).toBe(5);
    // Resending is still safe.
    expect(repo.ingest('new', 'CP', tail, 30)).toMatchObject({ ackedThrough: 4, inserted: 0 });
  });
});

describe('the server’s alert and the lane’s red agree on the health window’s bounds', () => {
  const since = Date.UTC(2026, 10, 23, 3, 0, 0);
  const until = since + 3_600_000;
  it.each([
    ['before since', since - 1],
    ['at since', since],
    ['at until', until],
    ['after until', until + 1],
  ])('%s', (_label, at) => {
    const { db, repo } = setup();
    const key = 0x1234n;
    db.prepare(
      `INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at)
       VALUES (?, 'x', 'F0', ?, ?, 1, 0)`,
    ).run(key, since, until);
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
    // The lane did not flag it (an older list, say): the server decides from its own.
    const res = repo.ingest(
      'new',
      'CP',
      [scan(1, 1, { at, subjectKey: key.toString(16).padStart(16, '0') })],
      at,
      ['F0', 'F1'],
    );
    expect(res.alerts.length === 1).toBe(lane.decision === 'red');
  });
});
