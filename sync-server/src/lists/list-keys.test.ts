import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/open-database.js';
import { DEFAULT_KEY_SCOPE, ListKeys } from './list-keys.js';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cl-list-keys-'));
  db = openDatabase(join(dir, 'server.db'));
  const cp = db.prepare(
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
       created_at, updated_at, key_scope) VALUES (?, ?, 'open', 3600, '["F0"]', 0, 0, 0, ?)`,
  );
  cp.run('CP-A', 'A', null);
  cp.run('CP-B', 'B', 'HCM');
  cp.run('CP-C', 'C', 'HCM');
  cp.run('CP-D', 'D', 'fleet');
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ListKeys', () => {
  it('makes a scope its key on first use, keeps it, and gives each scope its own', () => {
    const keys = new ListKeys(db, () => 1000);
    const fleet = keys.current(DEFAULT_KEY_SCOPE);
    expect(fleet).toMatchObject({ id: 1, scope: 'fleet' });
    expect(fleet.key.length).toBe(32);
    expect(keys.current('fleet')).toEqual(fleet);
    const hcm = keys.forCheckpoint('CP-B');
    expect(hcm).toMatchObject({ id: 2, scope: 'HCM' });
    expect(hcm.key.equals(fleet.key)).toBe(false);
    expect(keys.forCheckpoint('CP-C')).toEqual(hcm);
    expect(keys.forCheckpoint('CP-A')).toEqual(fleet);
    expect(keys.forCheckpoint('CP-D')).toEqual(fleet);
    expect(
      db.prepare('SELECT id, scope, created_at, retired_at, reason FROM list_keys ORDER BY id').all(),
    ).toEqual([
      { id: 1, scope: 'fleet', created_at: 1000, retired_at: null, reason: 'created' },
      { id: 2, scope: 'HCM', created_at: 1000, retired_at: null, reason: 'created' },
    ]);
  });

  it('names a checkpoint scope and lists the checkpoints in one', () => {
    const keys = new ListKeys(db);
    expect(keys.scopeOf('CP-A')).toBe('fleet');
    expect(keys.scopeOf('CP-B')).toBe('HCM');
    expect(keys.scopeOf('nowhere')).toBe('fleet');
    expect(keys.checkpointsIn('HCM')).toEqual(['CP-B', 'CP-C']);
    expect(keys.checkpointsIn('fleet')).toEqual(['CP-A', 'CP-D']);
    expect(keys.checkpointsIn('HN')).toEqual([]);
  });

  it('rotates one scope: the old key retired (still found by id), a new current one, other scopes untouched', () => {
    const keys = new ListKeys(db, () => 1000);
    const fleet = keys.current('fleet');
    const old = keys.current('HCM');
    const next = keys.rotate('HCM', 2000, 'revoke');
    expect(next.id).toBe(3);
    expect(next.scope).toBe('HCM');
    expect(next.key.equals(old.key)).toBe(false);
    expect(keys.current('HCM')).toEqual(next);
    expect(keys.current('fleet')).toEqual(fleet);
    expect(keys.byId(old.id)).toEqual(old);
    expect(keys.byId(0)).toBeNull();
    expect(keys.byId(99)).toBeNull();
    expect(
      db.prepare("SELECT id, retired_at, reason FROM list_keys WHERE scope = 'HCM' ORDER BY id").all(),
    ).toEqual([
      { id: 2, retired_at: 2000, reason: 'created' },
      { id: 3, retired_at: null, reason: 'revoke' },
    ]);
  });

  it('rotates a scope that has no key yet into its first key', () => {
    const keys = new ListKeys(db);
    expect(keys.rotate('HN', 5, 'rotate')).toMatchObject({ id: 1, scope: 'HN' });
    expect(keys.current('HN').id).toBe(1);
  });

  it('rolls a rotation back with the transaction around it', () => {
    const keys = new ListKeys(db);
    const old = keys.current('HCM');
    expect(() =>
      db.transaction(() => {
        keys.rotate('HCM', 10, 'revoke');
        throw new Error('revocation failed');
      })(),
    ).toThrow('revocation failed');
    expect(keys.current('HCM')).toEqual(old);
    expect(db.prepare('SELECT count(*) FROM list_keys').pluck().get()).toBe(1);
  });

  it('lists every scope with a key or a checkpoint, without key bytes and without making keys', () => {
    const keys = new ListKeys(db, () => 7);
    keys.current('HCM');
    keys.current('old');
    expect(keys.scopes()).toEqual([
      { scope: 'HCM', keyId: 1, createdAt: 7, checkpoints: ['CP-B', 'CP-C'] },
      { scope: 'fleet', keyId: null, createdAt: null, checkpoints: ['CP-A', 'CP-D'] },
      { scope: 'old', keyId: 2, createdAt: 7, checkpoints: [] },
    ]);
    expect(db.prepare('SELECT count(*) FROM list_keys').pluck().get()).toBe(2);
  });

  it('refuses a second current key for a scope (the database holds at most one)', () => {
    new ListKeys(db).current('HCM');
    expect(() =>
      db
        .prepare(
          "INSERT INTO list_keys (scope, key, created_at, reason) VALUES ('HCM', zeroblob(32), 0, 'x')",
        )
        .run(),
    ).toThrow(/UNIQUE/);
  });

  it('keeps the keys across a reopen of the database file', () => {
    const made = new ListKeys(db).current('HCM');
    db.close();
    db = openDatabase(join(dir, 'server.db'));
    expect(new ListKeys(db).current('HCM')).toEqual(made);
  });
});
