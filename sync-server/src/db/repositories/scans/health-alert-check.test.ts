import { healthBlocks, HEALTH_STATUSES, type HealthEntry } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../open-database.js';
import { healthAlertCheck } from './health-alert-check.js';

const SINCE = 1_700_000_000_000;
const UNTIL = SINCE + 3_600_000;

/** A database holding one health entry per key. */
function withEntries(
  entries: readonly { key: bigint; status: string; since: number | null; until: number | null }[],
) {
  const db = openDatabase(':memory:');
  const ins = db.prepare(
    `INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at)
     VALUES (?, ?, ?, ?, ?, 1, 0)`,
  );
  for (const e of entries) ins.run(e.key, `personal_id:${e.key}`, e.status, e.since, e.until);
  return db;
}

describe('healthAlertCheck (the server’s alert check for new scans)', () => {
  it('alerts only while the entry is in force, both bounds inclusive', () => {
    const blocks = healthAlertCheck(withEntries([{ key: 1n, status: 'F0', since: SINCE, until: UNTIL }]), [
      'F0',
      'F1',
    ]);
    expect(blocks(1n, SINCE - 1)).toBe(false);
    expect(blocks(1n, SINCE)).toBe(true);
    expect(blocks(1n, UNTIL)).toBe(true);
    expect(blocks(1n, UNTIL + 1)).toBe(false);
  });

  it('treats open bounds as open', () => {
    const blocks = healthAlertCheck(
      withEntries([
        { key: 1n, status: 'F1', since: null, until: null },
        { key: 2n, status: 'F1', since: SINCE, until: null },
        { key: 3n, status: 'F1', since: null, until: UNTIL },
      ]),
      ['F1'],
    );
    expect(blocks(1n, 0)).toBe(true);
    expect(blocks(2n, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(blocks(2n, SINCE - 1)).toBe(false);
    expect(blocks(3n, 0)).toBe(true);
    expect(blocks(3n, UNTIL + 1)).toBe(false);
  });

  it('alerts only for the checkpoint’s blocking statuses', () => {
    const db = withEntries([
      { key: 1n, status: 'F0', since: null, until: null },
      { key: 2n, status: 'recovered', since: null, until: null },
    ]);
    expect(healthAlertCheck(db, ['F0'])(1n, SINCE)).toBe(true);
    expect(healthAlertCheck(db, ['F1'])(1n, SINCE)).toBe(false);
    expect(healthAlertCheck(db, ['F0', 'F1'])(2n, SINCE)).toBe(false);
    // A checkpoint blocking nothing never alerts.
    expect(healthAlertCheck(db, [])(1n, SINCE)).toBe(false);
  });

  it('does not alert for a scan without a subject or a subject on no health entry', () => {
    const blocks = healthAlertCheck(withEntries([{ key: 1n, status: 'F0', since: null, until: null }]), [
      'F0',
    ]);
    expect(blocks(null, SINCE)).toBe(false);
    expect(blocks(2n, SINCE)).toBe(false);
  });

  it('agrees with the lane’s rule (`healthBlocks`, which `decide` uses) everywhere', () => {
    const bounds = [null, SINCE, UNTIL] as const;
    const entries: { key: bigint; status: string; since: number | null; until: number | null }[] = [];
    let key = 1n;
    for (const status of HEALTH_STATUSES)
      for (const since of bounds)
        for (const until of bounds) entries.push({ key: key++, status, since, until });
    const db = withEntries(entries);
    const times = [0, SINCE - 1, SINCE, SINCE + 1, UNTIL - 1, UNTIL, UNTIL + 1];
    for (const blocking of [['F0'], ['F0', 'F1'], ['F2', 'deceased'], []]) {
      const blocks = healthAlertCheck(db, blocking);
      for (const e of entries)
        for (const at of times) {
          const lane = healthBlocks(e as HealthEntry, blocking, at);
          expect(
            blocks(e.key, at),
            `${e.status} ${e.since}..${e.until} at ${at} [${blocking.join(',')}]`,
          ).toBe(lane);
        }
    }
  });
});
