import { subjectKeyToHex } from '@checkpoint-lane/shared';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-whitelist-here-only.js';
import { migration003 } from './003-list-keys.js';
import { migration004 } from './004-outbox-health-status.js';

const scan = (subjectKey: bigint | null, reasons: string[]) =>
  JSON.stringify({
    type: 'scan',
    source: 'manual',
    format: null,
    subjectKey: subjectKey === null ? null : subjectKeyToHex(subjectKey),
    subjectSealed: null,
    decision: reasons.length > 0 ? 'red' : 'green',
    reasons,
    warnings: [],
    alert: false,
  });

describe('lane store migration 004-outbox-health-status', () => {
  it('fills in the status of scans already held by their subject key, keeping every record as it was', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001, migration002, migration003]);
    // Statuses are indexes into HEALTH_STATUSES: 0 F0, 1 F1, 5 deceased. A negative key checks
    // the signed 64-bit reading of the hex form.
    db.exec('INSERT INTO health_entries (key, status) VALUES (7, 0), (-2, 1), (9, 5), (11, 0)');
    const records = [
      scan(7n, ['health_blocked']),
      scan(-2n, ['health_blocked']),
      scan(9n, ['health_deceased']),
      scan(11n, []),
      scan(12n, ['health_blocked']),
      scan(null, ['payload_unknown_format']),
      JSON.stringify({ type: 'ack', scanId: 'x', decision: 'red', note: '' }),
    ];
    const ins = db.prepare('INSERT INTO outbox (id, at, record) VALUES (?, 1, ?)');
    records.forEach((r, i) => ins.run(`id-${i}`, r));
    expect(runMigrations(db, [migration001, migration002, migration003, migration004])).toBe(4);
    expect(db.prepare('SELECT health_status FROM outbox ORDER BY seq').pluck().all()).toEqual([
      'F0',
      'F1',
      'deceased',
      null,
      null,
      null,
      null,
    ]);
    expect(db.prepare('SELECT record FROM outbox ORDER BY seq').pluck().all()).toEqual(records);
    expect(() => db.prepare("UPDATE outbox SET health_status = 'F9'").run()).toThrow(/CHECK/);
  });
});
