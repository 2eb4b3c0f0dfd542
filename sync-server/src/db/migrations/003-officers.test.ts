import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, schemaVersion } from '../migrate.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-admin-console.js';
import { migration003 } from './003-officers.js';

const insert = (db: Database.Database, id: string, role: string, checkpoints: string | null = null) =>
  db
    .prepare(
      `INSERT INTO officers (id, name, role, pin_hash, checkpoints, created_at, updated_at)
       VALUES (?, 'Name', ?, 'scrypt$a$b', ?, 0, 0)`,
    )
    .run(id, role, checkpoints);

describe('migration 003-officers', () => {
  it('adds the officers table and a roster version at 0 to a version-2 database', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001, migration002]);
    db.exec(`INSERT INTO checkpoints VALUES ('CP-1', 'A', 'open', 3600, '["F0"]', 0, 0, 0)`);
    runMigrations(db, [migration001, migration002, migration003]);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare('SELECT version FROM officer_roster').all()).toEqual([{ version: 0 }]);
    expect(db.prepare('SELECT id FROM checkpoints').pluck().all()).toEqual(['CP-1']);
    insert(db, 'o1', 'officer', ';CP-1;');
    insert(db, 's1', 'supervisor');
    expect(db.prepare('SELECT id, checkpoints, disabled_at FROM officers ORDER BY id').all()).toEqual([
      { id: 'o1', checkpoints: ';CP-1;', disabled_at: null },
      { id: 's1', checkpoints: null, disabled_at: null },
    ]);
  });

  it('refuses unknown roles, duplicate ids, a second roster row and loose types', () => {
    const db = new Database(':memory:');
    runMigrations(db, [migration001, migration002, migration003]);
    insert(db, 'o1', 'officer');
    expect(() => insert(db, 'o2', 'chief')).toThrow(/CHECK/);
    expect(() => insert(db, 'o1', 'officer')).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare('INSERT INTO officer_roster (id, version) VALUES (2, 0)').run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE officer_roster SET version = 'x'").run()).toThrow(
      /datatype|STRICT|cannot store/i,
    );
  });
});
