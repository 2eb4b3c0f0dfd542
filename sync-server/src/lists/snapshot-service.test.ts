import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { SnapshotService } from './snapshot-service.js';

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('SnapshotService cache', () => {
  it('removes whitelist snapshots an older server cached unscoped, keeps the rest', () => {
    dir = mkdtempSync(join(tmpdir(), 'snap-cache-'));
    const cache = join(dir, 'snapshots');
    const db = openDatabase(join(dir, 'server.db'));
    try {
      new SnapshotService(db, cache);
      for (const f of ['whitelist-A-3.snap', 'whitelist-@A-3.snap', 'health-_-3.snap'])
        writeFileSync(join(cache, f), 'x');
      new SnapshotService(db, cache);
      expect(readdirSync(cache).sort()).toEqual(['health-_-3.snap', 'whitelist-@A-3.snap']);
    } finally {
      db.close();
    }
  });
});
