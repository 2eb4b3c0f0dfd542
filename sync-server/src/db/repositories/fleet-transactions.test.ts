import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ListKeys } from '../../lists/list-keys.js';
import { openDatabase, type Db } from '../open-database.js';
import { AuditRepository } from './audit-repository.js';
import { FleetTransactions } from './fleet-transactions.js';
import { KiosksRepository } from './kiosks-repository.js';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cl-fleet-tx-'));
  db = openDatabase(join(dir, 'server.db'));
  db.exec(`
    INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
      created_at, updated_at, key_scope)
      VALUES ('A', 'A', 'open', 3600, '["F0"]', 0, 0, 0, 'HCM'), ('C', 'C', 'open', 3600, '["F0"]', 0, 0, 0, NULL);
    INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k1', 'L1', 'A', 'h1', 0), ('k2', 'L2', 'C', 'h2', 0);
  `);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function fleet(audit: Pick<AuditRepository, 'record'> = new AuditRepository(db)) {
  const listKeys = new ListKeys(db);
  return {
    listKeys,
    tx: new FleetTransactions({
      db,
      kiosks: new KiosksRepository(db),
      audit: audit as AuditRepository,
      listKeys,
    }),
  };
}

describe('FleetTransactions.revokeLane', () => {
  it('revokes the lane and rotates its scope’s list key, once', () => {
    const { tx, listKeys } = fleet();
    const hcm = listKeys.current('HCM');
    const defaultScope = listKeys.current('fleet');
    const first = tx.revokeLane('k1', 50, 'alice');
    expect(first?.rotated).toMatchObject({ scope: 'HCM', id: defaultScope.id + 1 });
    expect(listKeys.current('HCM')).toEqual(first?.rotated);
    expect(listKeys.byId(hcm.id)).toEqual(hcm);
    expect(listKeys.current('fleet')).toEqual(defaultScope);
    expect(tx.revokeLane('k1', 60, 'alice')).toEqual({ rotated: null });
    expect(tx.revokeLane('nope', 70, 'alice')).toBeNull();
    expect(db.prepare('SELECT action, target FROM audit_log ORDER BY id').all()).toEqual([
      { action: 'kiosk.revoke', target: 'k1' },
      { action: 'lists.rotate-key', target: 'HCM' },
      { action: 'kiosk.revoke', target: 'k1' },
    ]);
  });

  it('writes nothing when the audit record fails: the lane stays enrolled, the key current', () => {
    const { tx, listKeys } = fleet({
      record: (_at, _actor, action) => {
        if (action === 'lists.rotate-key') throw new Error('disk full');
      },
    });
    const hcm = listKeys.current('HCM');
    expect(() => tx.revokeLane('k1', 50, 'alice')).toThrow('disk full');
    expect(db.prepare("SELECT revoked_at FROM kiosks WHERE id = 'k1'").pluck().get()).toBeNull();
    expect(listKeys.current('HCM')).toEqual(hcm);
    expect(db.prepare('SELECT count(*) FROM list_keys').pluck().get()).toBe(1);
  });
});
