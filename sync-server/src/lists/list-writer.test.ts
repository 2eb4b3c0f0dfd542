import { URGENT_MAX_CHANGES, type ListName } from '@checkpoint-lane/shared';
import { describe, expect, it, vi } from 'vitest';
import { AuditRepository } from '../db/repositories/audit-repository.js';
import { ListsRepository } from '../db/repositories/lists-repository.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { listKind } from './list-kinds.js';
import type { HealthRow, WhitelistRow } from './list-rows.js';
import {
  CHANGE_LOG_MAX_ROWS_PER_WRITE,
  ListWriter,
  publishListWrite,
  type AuditSink,
  type ListWriteMeta,
} from './list-writer.js';
import { subjectKeyToHex } from './subject-key.js';

const health = (key: bigint, status: HealthRow['status'] = 'F0', since: number | null = null): HealthRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  status,
  since,
  until: null,
  name: `name ${key}`,
  note: null,
});

const whitelist = (key: bigint, checkpoints: string[] | null): WhitelistRow => ({
  key,
  subject: `personal_id:${String(key).padStart(12, '0')}`,
  category: 'shipper',
  validFrom: 10,
  validUntil: null,
  checkpoints,
  name: null,
  note: 'n',
});

const meta = (now: number, extra: Partial<ListWriteMeta> = {}): ListWriteMeta => ({
  now,
  actor: 'alice',
  action: 'list.import',
  ...extra,
});

function setup(audit?: (db: Db) => AuditSink) {
  const db = openDatabase(':memory:');
  const writer = new ListWriter(db, audit ? audit(db) : new AuditRepository(db));
  return { db, writer, repo: new ListsRepository(db) };
}

/** Everything a write touches, to compare two databases. */
function dump(db: Db, list: ListName) {
  const { table } = listKind(list);
  return {
    entries: db.prepare(`SELECT * FROM ${table} ORDER BY subject_key`).safeIntegers(true).all(),
    changes: db
      .prepare('SELECT version, subject_key FROM list_changes WHERE list = ? ORDER BY version, subject_key')
      .safeIntegers(true)
      .all(list),
    state: db.prepare('SELECT * FROM list_state WHERE list = ?').get(list),
    versions: db.prepare('SELECT * FROM list_versions WHERE list = ? ORDER BY version').all(list),
    audit: db.prepare('SELECT at, actor, action, target, details FROM audit_log ORDER BY id').all(),
  };
}

const versions = (db: Db, list: ListName): number[] =>
  db
    .prepare('SELECT version FROM list_versions WHERE list = ? ORDER BY version')
    .pluck()
    .all(list) as number[];

describe('ListWriter', () => {
  it('bears gap-free versions, one per write, each with its history row', () => {
    const { db, writer, repo } = setup();
    expect(writer.write('health', { rows: [health(1n), health(2n)] }, meta(100)).version).toBe(1);
    const staging = writer.stage('health');
    staging.add([{ line: 2, row: health(3n) }]);
    expect(writer.write('health', { staging }, meta(200)).version).toBe(2);
    staging.drop();
    expect(writer.putEntry('health', health(1n, 'F1'), { now: 300, actor: 'bob' }).version).toBe(3);
    const del = writer.deleteEntry('health', 2n, { now: 400, actor: 'bob' });
    expect(del).toMatchObject({ ok: true, value: { version: 4, fromVersion: 3, changes: 1 } });
    // Nothing to write: no version.
    expect(writer.write('health', { rows: [] }, meta(500))).toMatchObject({
      version: 4,
      fromVersion: 4,
      changes: 0,
    });
    expect(writer.deleteEntry('health', 2n, { now: 600, actor: 'bob' })).toEqual({
      ok: false,
      error: 'not_found',
    });
    // A failed write takes no version either: the next one is still the previous plus one.
    const bad = { ...health(9n), status: 'F9' } as unknown as HealthRow;
    expect(() => writer.write('health', { rows: [bad] }, meta(700))).toThrow(/CHECK/);
    expect(writer.write('health', { rows: [health(5n)] }, meta(800)).version).toBe(5);
    expect(versions(db, 'health')).toEqual([1, 2, 3, 4, 5]);
    expect(repo.state('health')).toEqual({ version: 5, changesFrom: 0 });
    expect(repo.history('health', { limit: 10 })).toEqual([
      { version: 5, at: 800, actor: 'alice', action: 'list.import', changes: 1 },
      { version: 4, at: 400, actor: 'bob', action: 'list.delete', changes: 1 },
      { version: 3, at: 300, actor: 'bob', action: 'list.put', changes: 1 },
      { version: 2, at: 200, actor: 'alice', action: 'list.import', changes: 1 },
      { version: 1, at: 100, actor: 'alice', action: 'list.import', changes: 2 },
    ]);
    // The other list keeps its own counter.
    expect(writer.write('whitelist', { rows: [whitelist(1n, null)] }, meta(900)).version).toBe(1);
  });

  it('logs every written and deleted key under the version that changed it', () => {
    const { db, writer } = setup();
    writer.write('health', { rows: [health(1n), health(2n), health(3n)] }, meta(1));
    writer.write('health', { rows: [health(2n, 'F2'), health(4n)] }, meta(2, { replace: true }));
    writer.deleteEntry('health', 4n, { now: 3, actor: 'alice' });
    expect(dump(db, 'health').changes).toEqual([
      { version: 1n, subject_key: 1n },
      { version: 1n, subject_key: 2n },
      { version: 1n, subject_key: 3n },
      { version: 2n, subject_key: 1n },
      { version: 2n, subject_key: 2n },
      { version: 2n, subject_key: 3n },
      { version: 2n, subject_key: 4n },
      { version: 3n, subject_key: 4n },
    ]);
    expect(versions(db, 'health')).toEqual([1, 2, 3]);
    expect(
      db.prepare("SELECT changes FROM list_versions WHERE version = 2 AND list = 'health'").pluck().get(),
    ).toBe(4);
    expect(dump(db, 'health').entries.map((e) => (e as { subject_key: bigint }).subject_key)).toEqual([2n]);
  });

  it('logs the raw subject of every written and deleted entry beside its key', () => {
    const { db, writer } = setup();
    const subject = (key: bigint) => health(key).subject;
    writer.write('health', { rows: [health(1n), health(2n), health(3n)] }, meta(1));
    const staging = writer.stage('health');
    staging.add([{ line: 2, row: health(5n) }]);
    writer.write('health', { staging }, meta(2));
    staging.drop();
    // A replacement: 2 and 6 written, 1, 3 and 5 deleted by it.
    writer.write('health', { rows: [health(2n, 'F2'), health(6n)] }, meta(3, { replace: true }));
    writer.deleteEntry('health', 6n, { now: 4, actor: 'alice' });
    writer.putEntry('whitelist', whitelist(7n, ['A']), { now: 5, actor: 'alice' });
    writer.deleteEntry('whitelist', 7n, { now: 6, actor: 'alice' });
    const rows = db
      .prepare(
        'SELECT list, version, subject_key AS key, subject FROM list_changes ORDER BY list, version, subject_key',
      )
      .safeIntegers(true)
      .all() as { list: string; version: bigint; key: bigint; subject: string | null }[];
    expect(rows.map((r) => [r.list, Number(r.version), Number(r.key)])).toEqual([
      ['health', 1, 1],
      ['health', 1, 2],
      ['health', 1, 3],
      ['health', 2, 5],
      ['health', 3, 1],
      ['health', 3, 2],
      ['health', 3, 3],
      ['health', 3, 5],
      ['health', 3, 6],
      ['health', 4, 6],
      ['whitelist', 1, 7],
      ['whitelist', 2, 7],
    ]);
    for (const r of rows) expect(r.subject).toBe(subject(r.key));
  });

  it('truncates the change log after a write too big for a delta', () => {
    const { db, writer, repo } = setup();
    writer.write('health', { rows: [health(1n)] }, meta(1));
    const big = Array.from({ length: CHANGE_LOG_MAX_ROWS_PER_WRITE + 1 }, (_, i) => health(BigInt(i + 10)));
    const w = writer.write('health', { rows: big }, meta(2));
    expect(w).toMatchObject({ version: 2, changes: CHANGE_LOG_MAX_ROWS_PER_WRITE + 1, urgentChanges: [] });
    expect(repo.state('health')).toEqual({ version: 2, changesFrom: 2 });
    expect(db.prepare('SELECT count(*) FROM list_changes').pluck().get()).toBe(0);
  });

  it('writes the audit record in the same transaction: a failing audit leaves nothing written', () => {
    const { db, writer } = setup(
      (d) =>
        ({
          record: (...args: Parameters<AuditRepository['record']>) => {
            new AuditRepository(d).record(...args);
            throw new Error('audit log full');
          },
        }) satisfies AuditSink,
    );
    const before = dump(db, 'health');
    expect(() => writer.write('health', { rows: [health(1n)] }, meta(1))).toThrow('audit log full');
    expect(() => writer.putEntry('health', health(1n), { now: 1, actor: 'a' })).toThrow('audit log full');
    const staging = writer.stage('health');
    staging.add([{ line: 2, row: health(1n) }]);
    expect(() => writer.write('health', { staging }, meta(1))).toThrow('audit log full');
    expect(staging.accepted()).toBe(1);
    staging.drop();
    expect(dump(db, 'health')).toEqual(before);
    // A delete too: the entry stays.
    const ok = setup();
    ok.writer.write('health', { rows: [health(1n)] }, meta(1));
    const failing = new ListWriter(ok.db, {
      record: () => {
        throw new Error('audit log full');
      },
    });
    expect(() => failing.deleteEntry('health', 1n, { now: 2, actor: 'a' })).toThrow('audit log full');
    expect(ok.repo.state('health').version).toBe(1);
    expect(ok.repo.count('health')).toBe(1);
    // No TEMP table is left behind by the array path.
    expect(db.prepare("SELECT count(*) FROM temp.sqlite_master WHERE type = 'table'").pluck().get()).toBe(0);
  });

  it('audits each write with its version and details, and a refused one without a version', () => {
    const { db, writer } = setup();
    writer.write('health', { rows: [health(1n)] }, meta(5, { details: { accepted: 1, sha256: 'ab' } }));
    writer.putEntry('health', health(2n, 'F1', 7), { now: 6, actor: 'bob' });
    writer.putEntry('whitelist', whitelist(3n, ['A']), { now: 7, actor: 'bob' });
    writer.deleteEntry('health', 2n, { now: 8, actor: 'bob' });
    writer.recordRefused('health', meta(9, { details: { applied: false } }));
    writer.write('health', { rows: [] }, meta(10));
    const audit = dump(db, 'health').audit as { details: string }[];
    expect(audit.map((a) => ({ ...a, details: JSON.parse(a.details) as unknown }))).toEqual([
      {
        at: 5,
        actor: 'alice',
        action: 'list.import',
        target: 'health',
        details: { version: 1, accepted: 1, sha256: 'ab' },
      },
      {
        at: 6,
        actor: 'bob',
        action: 'list.put',
        target: `health:${subjectKeyToHex(2n)}`,
        details: { version: 2, status: 'F1', since: 7, until: null },
      },
      {
        at: 7,
        actor: 'bob',
        action: 'list.put',
        target: `whitelist:${subjectKeyToHex(3n)}`,
        details: { version: 1, category: 'shipper', validFrom: 10, validUntil: null },
      },
      {
        at: 8,
        actor: 'bob',
        action: 'list.delete',
        target: `health:${subjectKeyToHex(2n)}`,
        details: { version: 3 },
      },
      {
        at: 9,
        actor: 'alice',
        action: 'list.import',
        target: 'health',
        details: { version: 3, applied: false },
      },
      // Asked for and nothing to write: audited, no version.
      { at: 10, actor: 'alice', action: 'list.import', target: 'health', details: { version: 3 } },
    ]);
    expect(versions(db, 'health')).toEqual([1, 2, 3]);
  });

  it('writes the same version from an array and from staging', () => {
    for (const list of ['health', 'whitelist'] as const) {
      const rows =
        list === 'health'
          ? [health(7n, 'F1', 3), health(-5n, 'F0'), health(2n, 'recovered')]
          : [whitelist(7n, ['A', 'B']), whitelist(-5n, null), whitelist(2n, [])];
      const a = setup();
      const b = setup();
      for (const x of [a, b]) x.writer.write(list, { rows: rows.slice(0, 1) }, meta(1));
      const fromArray = a.writer.write(list, { rows }, meta(2, { replace: true, details: { n: 3 } }));
      const staging = b.writer.stage(list);
      staging.add(rows.map((row, i) => ({ line: i + 2, row })));
      const fromStaging = b.writer.write(list, { staging }, meta(2, { replace: true, details: { n: 3 } }));
      staging.drop();
      expect(fromStaging).toEqual(fromArray);
      expect(dump(b.db, list)).toEqual(dump(a.db, list));
      // What was written reads back as it went in.
      for (const row of rows)
        expect(b.repo.getEntry(list, row.key)).toEqual({ list, ...row, version: 2, updatedAt: 2 });
    }
  });

  it('answers the urgent changes of a small health write, in row order; none otherwise', () => {
    const { writer } = setup();
    const rows = [health(3n, 'F1', 100), health(1n, 'recovered')];
    expect(writer.write('health', { rows }, meta(1)).urgentChanges).toEqual([
      { key: subjectKeyToHex(3n), op: 'put', entry: { status: 'F1', since: 100, until: null } },
      { key: subjectKeyToHex(1n), op: 'put', entry: { status: 'recovered', since: null, until: null } },
    ]);
    const staging = writer.stage('health');
    staging.add([
      { line: 5, row: health(4n) },
      { line: 3, row: health(6n, 'F2') },
    ]);
    expect(writer.write('health', { staging }, meta(2)).urgentChanges.map((c) => c.key)).toEqual([
      subjectKeyToHex(6n),
      subjectKeyToHex(4n),
    ]);
    staging.drop();
    const most = Array.from({ length: URGENT_MAX_CHANGES }, (_, i) => health(BigInt(i + 100)));
    expect(writer.write('health', { rows: most }, meta(3)).urgentChanges).toHaveLength(URGENT_MAX_CHANGES);
    const over = Array.from({ length: URGENT_MAX_CHANGES + 1 }, (_, i) => health(BigInt(i + 1000)));
    expect(writer.write('health', { rows: over }, meta(4)).urgentChanges).toEqual([]);
    expect(writer.write('whitelist', { rows: [whitelist(1n, null)] }, meta(5)).urgentChanges).toEqual([]);
    const del = writer.deleteEntry('health', 1n, { now: 6, actor: 'a' });
    expect(del.ok && del.value.urgentChanges).toEqual([]);
    expect(writer.write('health', { rows: [] }, meta(7)).urgentChanges).toEqual([]);
  });

  it('publishes a new version once, with its urgent changes, and nothing for no version', async () => {
    const { writer } = setup();
    const hub = { publishListVersion: vi.fn(() => Promise.resolve()) };
    const w = writer.putEntry('health', health(1n, 'F0'), { now: 1, actor: 'a' });
    await publishListWrite(hub, w);
    await publishListWrite(hub, writer.write('health', { rows: [] }, meta(2)));
    const del = writer.deleteEntry('health', 1n, { now: 3, actor: 'a' });
    if (del.ok) await publishListWrite(hub, del.value);
    expect(hub.publishListVersion.mock.calls).toEqual([
      [
        'health',
        1,
        0,
        [{ key: subjectKeyToHex(1n), op: 'put', entry: { status: 'F0', since: null, until: null } }],
      ],
      ['health', 2, 1, []],
    ]);
  });

  it('refuses staged rows of another list', () => {
    const { writer } = setup();
    const staging = writer.stage('whitelist');
    // The compiler widens `L` to both lists here; the writer checks at run time.
    expect(() => writer.write('health', { staging }, meta(1))).toThrow(/staged whitelist rows/);
    staging.drop();
  });
});
