import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSnapshot } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditRepository } from '../db/repositories/audit-repository.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { ListKeys } from './list-keys.js';
import { readHealthRecord, readWhitelistRecord } from './list-rows.js';
import { ListWriter } from './list-writer.js';
import { laneSubjectKey } from './rekey.js';
import { SnapshotService } from './snapshot-service.js';

const INDEX_KEY = Buffer.alloc(32, 7);

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function setup(): { db: Db; cache: string } {
  dir = mkdtempSync(join(tmpdir(), 'snap-cache-'));
  return { db: openDatabase(join(dir, 'server.db')), cache: join(dir, 'snapshots') };
}

/** Writes `n` health entries (IDs 0010990xxxxx; every third F1, the rest F0) as one version. */
function writeHealth(db: Db, n: number, from = 0): string[] {
  const subjects: string[] = [];
  const rows = Array.from({ length: n }, (_, i) => {
    const r = readHealthRecord(INDEX_KEY, [
      `0010990${String(from + i).padStart(5, '0')}`,
      i % 3 ? 'F0' : 'F1',
      '',
      '',
      '',
      '',
    ]);
    if (!r.ok) throw new Error(r.error.reason);
    subjects.push(r.value.subject);
    return r.value;
  });
  new ListWriter(db, new AuditRepository(db)).write(
    'health',
    { rows },
    { now: 1, actor: 't', action: 'list.import' },
  );
  return subjects;
}

const ascending = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);

describe('SnapshotService', () => {
  it('removes the snapshots older servers cached (index-keyed or unscoped), keeps its own', () => {
    const { db, cache } = setup();
    try {
      new SnapshotService(db, cache);
      const own = ['health-_+fleet+k1-3.snap', 'health-_+fleet+k1-3.snap.sum', 'whitelist-@A+HCM+k2-3.snap'];
      for (const f of [
        'whitelist-A-3.snap',
        'whitelist-@A-3.snap',
        'health-_-3.snap',
        'health-_-3.snap.sum',
        ...own,
      ])
        writeFileSync(join(cache, f), 'x');
      new SnapshotService(db, cache);
      expect(readdirSync(cache).sort()).toEqual([...own].sort());
    } finally {
      db.close();
    }
  });

  it('keys every entry with the given list key, in ascending order, the same bytes from a file or in memory', async () => {
    const { db, cache } = setup();
    try {
      const subjects = writeHealth(db, 700);
      const keys = new ListKeys(db);
      const fleet = keys.current('fleet');
      const hcm = keys.current('HCM');
      const service = new SnapshotService(db, cache);
      const a = await service.current('health', 'A', fleet);
      const b = await service.current('health', 'B', hcm);
      expect(service.lastBuild).toMatchObject({ list: 'health', entries: 700 });
      expect(service.lastBuild?.longestSliceMs).toBeGreaterThan(0);
      for (const [snap, key] of [
        [a, fleet],
        [b, hcm],
      ] as const) {
        expect(snap).toMatchObject({ keyId: key.id, keyScope: key.scope, count: 700, version: 1 });
        expect(snap.file).toBe(join(cache, `health-_+${key.scope}+k${key.id}-1.snap`));
        const decoded = decodeSnapshot(readFileBytes(snap.file ?? ''));
        expect(decoded.entries.map((e) => e.key)).toEqual(
          subjects.map((s) => laneSubjectKey(key.key, s)).sort(ascending),
        );
        const status = new Map(subjects.map((s, i) => [laneSubjectKey(key.key, s), i % 3 ? 'F0' : 'F1']));
        expect(
          decoded.entries.every((e) => status.get(e.key) === (e.entry as { status: string }).status),
        ).toBe(true);
      }
      // Another checkpoint of the fleet scope gets the same file; the memory path gives the same bytes.
      expect(await service.current('health', 'C', fleet)).toEqual(a);
      const inMemory = await new SnapshotService(db, null).current('health', 'A', fleet);
      expect(inMemory.file).toBeNull();
      expect(Buffer.compare(Buffer.from(inMemory.bytes ?? []), readFileBytes(a.file ?? ''))).toBe(0);
      expect(inMemory.digest).toBe(a.digest);
    } finally {
      db.close();
    }
  });

  it('drops the cached snapshots of a scope’s older keys and versions, not other scopes’', async () => {
    const { db, cache } = setup();
    try {
      writeHealth(db, 50);
      const keys = new ListKeys(db);
      const fleet = keys.current('fleet');
      const old = keys.current('HCM');
      const service = new SnapshotService(db, cache);
      await service.current('health', 'A', fleet);
      await service.current('health', 'B', old);
      const fresh = keys.rotate('HCM', 2, 'rotate');
      await service.current('health', 'B', fresh);
      const snaps = () =>
        readdirSync(cache)
          .filter((f) => f.endsWith('.snap'))
          .sort();
      expect(snaps()).toEqual([`health-_+HCM+k${fresh.id}-1.snap`, `health-_+fleet+k${fleet.id}-1.snap`]);
      writeHealth(db, 1, 100); // v2
      await service.current('health', 'B', fresh);
      writeHealth(db, 1, 101); // v3
      await service.current('health', 'B', fresh);
      // The version before the current one stays a while (a lane may be resuming it); v1 goes.
      expect(snaps()).toEqual([
        `health-_+HCM+k${fresh.id}-2.snap`,
        `health-_+HCM+k${fresh.id}-3.snap`,
        `health-_+fleet+k${fleet.id}-1.snap`,
      ]);
    } finally {
      db.close();
    }
  });

  it('cuts whitelist snapshots per checkpoint and keys them with the checkpoint scope’s key', async () => {
    const { db, cache } = setup();
    try {
      const rows = [
        ['B1234567', 'shipper', '', '', 'A', '', ''],
        ['001099012345', 'official', '', '', '', '', ''],
        ['B7654321', 'permit', '', '', 'B', '', ''],
      ].map((f) => {
        const r = readWhitelistRecord(INDEX_KEY, f);
        if (!r.ok) throw new Error(r.error.reason);
        return r.value;
      });
      new ListWriter(db, new AuditRepository(db)).write(
        'whitelist',
        { rows },
        { now: 1, actor: 't', action: 'list.import' },
      );
      const hcm = new ListKeys(db).current('HCM');
      const service = new SnapshotService(db, cache);
      const snap = await service.current('whitelist', 'A', hcm);
      expect(snap.file).toBe(join(cache, `whitelist-@A+HCM+k${hcm.id}-1.snap`));
      const decoded = decodeSnapshot(readFileBytes(snap.file ?? ''));
      expect(decoded.header).toMatchObject({ checkpointId: 'A', count: 2 });
      expect(decoded.entries.map((e) => e.key)).toEqual(
        [rows[0], rows[1]].map((r) => laneSubjectKey(hcm.key, r?.subject ?? '')).sort(ascending),
      );
    } finally {
      db.close();
    }
  });
});

function readFileBytes(file: string): Buffer {
  return readFileSync(file);
}
