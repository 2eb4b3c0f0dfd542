import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration005 } from './005-signed-lists.js';

describe('migration 005-signed-lists', () => {
  it('counts the stored entries per list and scope, and gives lanes a refusals column', () => {
    const db = new Database(':memory:');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration005.version),
    );
    const health = db.prepare(
      'INSERT INTO health_entries (subject_key, subject, status, version, updated_at) VALUES (?, ?, ?, 1, 0)',
    );
    for (const k of [1, 2, 3]) health.run(k, `s${k}`, 'F0');
    const wl = db.prepare(
      'INSERT INTO whitelist_entries (subject_key, subject, category, checkpoints, version, updated_at) VALUES (?, ?, ?, ?, 1, 0)',
    );
    wl.run(1, 's1', 'shipper', null);
    wl.run(2, 's2', 'shipper', ';A;B;');
    wl.run(3, 's3', 'permit', ';B;');
    wl.run(4, 's4', 'permit', ';B;');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version <= migration005.version),
    );
    expect(schemaVersion(db)).toBe(5);
    expect(db.prepare('SELECT list, scope, n FROM list_counts ORDER BY list, scope').all()).toEqual([
      { list: 'health', scope: '', n: 3 },
      { list: 'whitelist', scope: '*', n: 1 },
      { list: 'whitelist', scope: 'A', n: 1 },
      { list: 'whitelist', scope: 'B', n: 3 },
    ]);
    expect(
      db.prepare("SELECT name FROM pragma_table_info('kiosks') WHERE name = 'list_refusals'").pluck().get(),
    ).toBe('list_refusals');
  });
});
