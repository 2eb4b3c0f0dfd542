import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, schemaVersion } from '../migrate.js';
import { migration009 } from './009-trace-hop2-limit.js';

describe('migration 009-trace-hop2-limit', () => {
  it('adds hop2_skipped to traces (NULL for the existing ones, never negative) and indexes alerts holding a subject', () => {
    const db = new Database(':memory:');
    runMigrations(
      db,
      MIGRATIONS.filter((m) => m.version < migration009.version),
    );
    db.exec(
      `INSERT INTO traces (id, created_at, created_by, params, status, updated_at) VALUES ('t1', 1, 'admin-token', '{}', 'done', 1)`,
    );
    runMigrations(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(9);
    expect(db.prepare("SELECT hop2_skipped FROM traces WHERE id = 't1'").pluck().get()).toBeNull();
    db.exec("UPDATE traces SET hop2_skipped = 20000 WHERE id = 't1'");
    expect(() => db.exec("UPDATE traces SET hop2_skipped = -1 WHERE id = 't1'")).toThrow(/CHECK/);
    // Retention finds the alerts that still hold a subject key through their own index.
    const plan = (
      db
        .prepare('EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE at < 5 AND subject_key IS NOT NULL LIMIT 10')
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('; ');
    expect(plan).toMatch(/alerts_subject_held_at/);
    db.close();
  });
});
