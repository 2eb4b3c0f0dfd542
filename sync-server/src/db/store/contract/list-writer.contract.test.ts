// ListWriterStore on both engines: the cases of list-writer.test.ts, list-counts.test.ts and
// list-import.test.ts (the import through importListCsv with the store as its writer), and, on
// PostgreSQL, two servers' pools writing one list at once.
import { URGENT_MAX_CHANGES, type ListName } from '@checkpoint-lane/shared';
import { describe, expect, it, vi } from 'vitest';
import { HttpError } from '../../../http-error.js';
import { importListCsv } from '../../../lists/list-import.js';
import { CHANGE_LOG_MAX_ROWS_PER_WRITE, publishListWrite } from '../../../lists/list-writer.js';
import { subjectKeyToHex } from '../../../lists/subject-key.js';
import { createTestDatabase, pgUnavailable } from '../../pg/pg-database.testkit.js';
import { runPgMigrations } from '../../pg/pg-migrate.js';
import { PG_MIGRATIONS } from '../../pg/pg-migrations.js';
import { PgListStaging } from '../../pg/stores/pg-list-staging.js';
import { PgListWriterStore } from '../../pg/stores/pg-list-writer.js';
import { PgListsStore } from '../../pg/stores/pg-lists.js';
import { describeEngines } from '../engines.testkit.js';
import type { ListStores } from './lists.testkit.js';
import { health, listStores, meta, whitelist } from './lists.testkit.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

/** Everything a write touches, to compare two databases of one engine. */
async function dump(s: ListStores, list: ListName) {
  const keys = await s.peek.keys(list);
  return {
    entries: await Promise.all(keys.map((k) => s.lists.getEntry(list, k))),
    changes: await s.peek.changes(list),
    state: await s.lists.state(list),
    versions: await s.lists.history(list, { limit: 1000 }),
    audit: await s.peek.audit(),
  };
}

const KEY = Buffer.alloc(32, 9);

/**
 * Calls `f` so that a synchronous throw becomes a rejection: the SQLite adapter's writer methods
 * throw where a promise should reject.
 */
const attempt = <T>(f: () => Promise<T>): Promise<T> => (async () => f())();

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

describeEngines('ListWriterStore', ({ open }) => {
  const setup = async () => listStores(await open());

  it('bears gap-free versions, one per write, each with its history row', async () => {
    const { writer, lists, peek } = await setup();
    expect((await writer.write('health', { rows: [health(1n), health(2n)] }, meta(100))).version).toBe(1);
    const staging = await writer.stage('health');
    await staging.add([{ line: 2, row: health(3n) }]);
    expect((await writer.write('health', { staging }, meta(200))).version).toBe(2);
    await staging.drop();
    expect((await writer.putEntry('health', health(1n, 'F1'), { now: 300, actor: 'bob' })).version).toBe(3);
    const del = await writer.deleteEntry('health', 2n, { now: 400, actor: 'bob' });
    expect(del).toMatchObject({ ok: true, value: { version: 4, fromVersion: 3, changes: 1 } });
    // Nothing to write: no version.
    expect(await writer.write('health', { rows: [] }, meta(500))).toMatchObject({
      version: 4,
      fromVersion: 4,
      changes: 0,
    });
    expect(await writer.deleteEntry('health', 2n, { now: 600, actor: 'bob' })).toEqual({
      ok: false,
      error: 'not_found',
    });
    // A failed write takes no version either: the next one is still the previous plus one.
    const bad = { ...health(9n), status: 'F9' } as unknown as ReturnType<typeof health>;
    await expect(attempt(() => writer.write('health', { rows: [bad] }, meta(700)))).rejects.toThrow(/check/i);
    expect((await writer.write('health', { rows: [health(5n)] }, meta(800))).version).toBe(5);
    expect(await peek.versions('health')).toEqual([1, 2, 3, 4, 5]);
    expect(await writer.version('health')).toBe(5);
    expect(await lists.state('health')).toEqual({ version: 5, changesFrom: 0 });
    expect(await lists.history('health', { limit: 10 })).toEqual([
      { version: 5, at: 800, actor: 'alice', action: 'list.import', changes: 1 },
      { version: 4, at: 400, actor: 'bob', action: 'list.delete', changes: 1 },
      { version: 3, at: 300, actor: 'bob', action: 'list.put', changes: 1 },
      { version: 2, at: 200, actor: 'alice', action: 'list.import', changes: 1 },
      { version: 1, at: 100, actor: 'alice', action: 'list.import', changes: 2 },
    ]);
    // The other list keeps its own counter.
    expect((await writer.write('whitelist', { rows: [whitelist(1n, null)] }, meta(900))).version).toBe(1);
  });

  it('logs every written and deleted key under the version that changed it', async () => {
    const s = await setup();
    const { writer, peek, lists } = s;
    await writer.write('health', { rows: [health(1n), health(2n), health(3n)] }, meta(1));
    await writer.write('health', { rows: [health(2n, 'F2'), health(4n)] }, meta(2, { replace: true }));
    await writer.deleteEntry('health', 4n, { now: 3, actor: 'alice' });
    expect((await peek.changes('health')).map((c) => [c.version, c.key])).toEqual([
      [1, 1n],
      [1, 2n],
      [1, 3n],
      [2, 1n],
      [2, 2n],
      [2, 3n],
      [2, 4n],
      [3, 4n],
    ]);
    expect(await peek.versions('health')).toEqual([1, 2, 3]);
    expect((await lists.history('health', { limit: 1, before: 3 }))[0]?.changes).toBe(4);
    expect(await peek.keys('health')).toEqual([2n]);
  });

  it('logs the raw subject of every written and deleted entry beside its key', async () => {
    const { writer, peek } = await setup();
    const subject = (key: bigint) => health(key).subject;
    await writer.write('health', { rows: [health(1n), health(2n), health(3n)] }, meta(1));
    const staging = await writer.stage('health');
    await staging.add([{ line: 2, row: health(5n) }]);
    await writer.write('health', { staging }, meta(2));
    await staging.drop();
    // A replacement: 2 and 6 written, 1, 3 and 5 deleted by it.
    await writer.write('health', { rows: [health(2n, 'F2'), health(6n)] }, meta(3, { replace: true }));
    await writer.deleteEntry('health', 6n, { now: 4, actor: 'alice' });
    await writer.putEntry('whitelist', whitelist(7n, ['A']), { now: 5, actor: 'alice' });
    await writer.deleteEntry('whitelist', 7n, { now: 6, actor: 'alice' });
    const rows = await peek.changes();
    expect(rows.map((r) => [r.list, r.version, Number(r.key)])).toEqual([
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

  it('truncates the change log after a write too big for a delta', async () => {
    const { writer, lists, peek } = await setup();
    await writer.write('health', { rows: [health(1n)] }, meta(1));
    const big = Array.from({ length: CHANGE_LOG_MAX_ROWS_PER_WRITE + 1 }, (_, i) => health(BigInt(i + 10)));
    const w = await writer.write('health', { rows: big }, meta(2));
    expect(w).toMatchObject({ version: 2, changes: CHANGE_LOG_MAX_ROWS_PER_WRITE + 1, urgentChanges: [] });
    expect(await lists.state('health')).toEqual({ version: 2, changesFrom: 2 });
    expect(await peek.changes()).toEqual([]);
    // A replacement whose deletions push it over the cap truncates too.
    const r = await writer.write('health', { rows: [health(1n)] }, meta(3, { replace: true }));
    expect(r).toMatchObject({ version: 3, changes: CHANGE_LOG_MAX_ROWS_PER_WRITE + 2 });
    expect(await lists.state('health')).toEqual({ version: 3, changesFrom: 3 });
    expect(await lists.count('health')).toBe(1);
  });

  it('writes the audit record in the same transaction: a failing audit leaves nothing written', async () => {
    const s = await setup();
    const { writer, lists, peek } = s;
    await writer.write('health', { rows: [health(1n)] }, meta(1));
    const before = await dump(s, 'health');
    await peek.failAudit();
    await expect(attempt(() => writer.write('health', { rows: [health(2n)] }, meta(2)))).rejects.toThrow(
      'audit log full',
    );
    await expect(
      attempt(() => writer.putEntry('health', health(2n), { now: 2, actor: 'a' })),
    ).rejects.toThrow('audit log full');
    const staging = await writer.stage('health');
    await staging.add([{ line: 2, row: health(2n) }]);
    await expect(attempt(() => writer.write('health', { staging }, meta(2)))).rejects.toThrow(
      'audit log full',
    );
    // The staged rows are still there after the failed write.
    expect(await staging.accepted()).toBe(1);
    await staging.drop();
    // A delete too: the entry stays.
    await expect(attempt(() => writer.deleteEntry('health', 1n, { now: 2, actor: 'a' }))).rejects.toThrow(
      'audit log full',
    );
    await expect(attempt(() => writer.recordRefused('health', meta(2)))).rejects.toThrow('audit log full');
    expect(await dump(s, 'health')).toEqual(before);
    expect(await lists.count('health')).toBe(1);
    expect(await s.laneChanges('health', 1, 'X')).toMatchObject({ kind: 'ok', count: 1 });
  });

  it('audits each write with its version and details, and a refused one without a version', async () => {
    const { writer, peek } = await setup();
    await writer.write('health', { rows: [health(1n)] }, meta(5, { details: { accepted: 1, sha256: 'ab' } }));
    await writer.putEntry('health', health(2n, 'F1', 7), { now: 6, actor: 'bob' });
    await writer.putEntry('whitelist', whitelist(3n, ['A']), { now: 7, actor: 'bob' });
    await writer.deleteEntry('health', 2n, { now: 8, actor: 'bob' });
    await writer.recordRefused('health', meta(9, { details: { applied: false } }));
    await writer.write('health', { rows: [] }, meta(10));
    expect(await peek.audit()).toEqual([
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
    expect(await peek.versions('health')).toEqual([1, 2, 3]);
  });

  it('writes the same version from an array and from staging', async () => {
    for (const list of ['health', 'whitelist'] as const) {
      // (A whitelist row valid at no checkpoint, `[]`, is left out: no input makes one, and the
      // PostgreSQL schema refuses an empty checkpoint set.)
      const rows =
        list === 'health'
          ? [health(7n, 'F1', 3, 'Nguyễn Thị Ánh'), health(-5n, 'F0'), health(2n, 'recovered')]
          : [
              whitelist(7n, ['A', 'B']),
              whitelist(-5n, null),
              whitelist(2n, ['C'], { note: null, name: 'x' }),
            ];
      const a = await setup();
      const b = await setup();
      for (const x of [a, b]) await x.writer.write(list, { rows: rows.slice(0, 1) }, meta(1));
      const fromArray = await a.writer.write(list, { rows }, meta(2, { replace: true, details: { n: 3 } }));
      const staging = await b.writer.stage(list);
      await staging.add(rows.map((row, i) => ({ line: i + 2, row })));
      const fromStaging = await b.writer.write(
        list,
        { staging },
        meta(2, { replace: true, details: { n: 3 } }),
      );
      await staging.drop();
      expect(fromStaging).toEqual(fromArray);
      expect(await dump(b, list)).toEqual(await dump(a, list));
      // What was written reads back as it went in.
      for (const row of rows)
        expect(await b.lists.getEntry(list, row.key)).toEqual({ list, ...row, version: 2, updatedAt: 2 });
    }
  });

  it('writes a key given twice once, the last row winning, from an array and from staging', async () => {
    const { writer, lists, laneChanges } = await setup();
    const w = await writer.write('health', { rows: [health(1n, 'F0'), health(1n, 'F2')] }, meta(1));
    expect(w).toMatchObject({ version: 1, changes: 2 });
    expect(await lists.getEntry('health', 1n)).toMatchObject({ status: 'F2' });
    expect(await laneChanges('health', 0, 'X')).toMatchObject({ kind: 'ok', count: 1 });
    const staging = await writer.stage('health');
    await staging.add([
      { line: 3, row: health(2n, 'F3') },
      { line: 2, row: health(2n, 'F1') },
    ]);
    expect(await writer.write('health', { staging }, meta(2))).toMatchObject({ version: 2, changes: 2 });
    await staging.drop();
    expect(await lists.getEntry('health', 2n)).toMatchObject({ status: 'F3' });
    expect(await lists.count('health')).toBe(2);
    // (The counts of staged rows assume an import's duplicate check, which rejects both lines.)
  });

  it('answers the urgent changes of a small health write, in row order; none otherwise', async () => {
    const { writer } = await setup();
    const rows = [health(3n, 'F1', 100), health(1n, 'recovered')];
    expect((await writer.write('health', { rows }, meta(1))).urgentChanges).toEqual([
      { key: subjectKeyToHex(3n), op: 'put', entry: { status: 'F1', since: 100, until: null } },
      { key: subjectKeyToHex(1n), op: 'put', entry: { status: 'recovered', since: null, until: null } },
    ]);
    const staging = await writer.stage('health');
    await staging.add([
      { line: 5, row: health(4n) },
      { line: 3, row: health(6n, 'F2') },
    ]);
    const staged = await writer.write('health', { staging }, meta(2));
    expect(staged.urgentChanges.map((c) => c.key)).toEqual([subjectKeyToHex(6n), subjectKeyToHex(4n)]);
    // The raw subject rides along for keying per scope (not enumerable).
    expect(staged.urgentChanges.map((c) => c.subject)).toEqual([health(6n).subject, health(4n).subject]);
    await staging.drop();
    const most = Array.from({ length: URGENT_MAX_CHANGES }, (_, i) => health(BigInt(i + 100)));
    expect((await writer.write('health', { rows: most }, meta(3))).urgentChanges).toHaveLength(
      URGENT_MAX_CHANGES,
    );
    const over = Array.from({ length: URGENT_MAX_CHANGES + 1 }, (_, i) => health(BigInt(i + 1000)));
    expect((await writer.write('health', { rows: over }, meta(4))).urgentChanges).toEqual([]);
    expect((await writer.write('whitelist', { rows: [whitelist(1n, null)] }, meta(5))).urgentChanges).toEqual(
      [],
    );
    const del = await writer.deleteEntry('health', 1n, { now: 6, actor: 'a' });
    expect(del.ok && del.value.urgentChanges).toEqual([]);
    expect((await writer.write('health', { rows: [] }, meta(7))).urgentChanges).toEqual([]);
  });

  it('publishes a new version once, with its urgent changes, and nothing for no version', async () => {
    const { writer } = await setup();
    const hub = { publishListVersion: vi.fn() };
    const w = await writer.putEntry('health', health(1n, 'F0'), { now: 1, actor: 'a' });
    await publishListWrite(hub, w);
    await publishListWrite(hub, await writer.write('health', { rows: [] }, meta(2)));
    const del = await writer.deleteEntry('health', 1n, { now: 3, actor: 'a' });
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

  it('refuses staged rows of another list', async () => {
    const { writer } = await setup();
    const staging = await writer.stage('whitelist');
    await expect(attempt(() => writer.write('health', { staging }, meta(1)))).rejects.toThrow(
      /staged whitelist rows/,
    );
    await staging.drop();
  });

  it('stages rows, rejects every line of a repeated subject, samples by line', async () => {
    const { writer } = await setup();
    const staging = await writer.stage('whitelist');
    try {
      await staging.add([
        { line: 4, row: whitelist(3n, ['A']) },
        { line: 2, row: whitelist(1n, null) },
        { line: 3, row: whitelist(2n, ['B']) },
        { line: 6, row: whitelist(1n, ['C']) },
        { line: 5, row: whitelist(1n, null) },
        { line: 7, row: whitelist(3n, null) },
      ]);
      await staging.add([]);
      expect(await staging.accepted()).toBe(6);
      // Groups in subject order, lines ascending.
      expect(await staging.rejectDuplicates()).toEqual([{ lines: [2, 5, 6] }, { lines: [4, 7] }]);
      expect(await staging.rejectDuplicates()).toEqual([{ lines: [2, 5, 6] }, { lines: [4, 7] }]);
      expect(await staging.accepted()).toBe(1);
      expect(await staging.sample(10)).toEqual([whitelist(2n, ['B'])]);
    } finally {
      await staging.drop();
    }
    const clean = await writer.stage('health');
    try {
      await clean.add([3, 2, 4].map((line) => ({ line, row: health(BigInt(line)) })));
      expect(await clean.rejectDuplicates()).toEqual([]);
      expect(await clean.sample(2)).toEqual([health(2n), health(3n)]);
    } finally {
      await clean.drop();
    }
  });

  // list-counts.test.ts

  it('keeps the health count through every kind of write', async () => {
    const { writer, peek, laneChanges } = await setup();
    const laneCount = async () => {
      const d = await laneChanges('health', await writer.version('health'), 'X');
      return d.kind === 'ok' ? d.count : -1;
    };
    const agree = async () => {
      expect(await laneCount()).toBe(await peek.realCount('health', 'X'));
    };
    const by = { now: 1, actor: 'alice' };
    await writer.write(
      'health',
      { rows: [health(1n), health(2n), health(3n)] },
      { ...by, action: 'list.import' },
    );
    await agree();
    await writer.putEntry('health', health(2n), by); // an update: no new entry
    await writer.putEntry('health', health(4n), by);
    await agree();
    expect(await laneCount()).toBe(4);
    expect((await writer.deleteEntry('health', 1n, by)).ok).toBe(true);
    expect((await writer.deleteEntry('health', 1n, by)).ok).toBe(false);
    await agree();
    // Repeated keys in one write count once.
    await writer.write('health', { rows: [health(9n), health(9n)] }, { ...by, action: 'list.import' });
    await agree();
    const staging = await writer.stage('health');
    try {
      await staging.add([
        { line: 2, row: health(3n) },
        { line: 3, row: health(5n) },
      ]);
      await writer.write('health', { staging }, { ...by, action: 'list.import', replace: true });
    } finally {
      await staging.drop();
    }
    await agree();
    expect(await laneCount()).toBe(2);
  });

  it('counts whitelist entries per checkpoint: everywhere, here, moved, deleted, replaced', async () => {
    const { writer, peek, laneChanges } = await setup();
    const laneCount = async (cp: string) => {
      const d = await laneChanges('whitelist', await writer.version('whitelist'), cp);
      return d.kind === 'ok' ? d.count : -1;
    };
    const agree = async () => {
      for (const cp of ['A', 'B', 'C'])
        expect(await laneCount(cp)).toBe(await peek.realCount('whitelist', cp));
    };
    const by = { now: 1, actor: 'alice' };
    await writer.write(
      'whitelist',
      { rows: [whitelist(1n, null), whitelist(2n, ['A', 'B']), whitelist(3n, ['B']), whitelist(4n, ['D'])] },
      { ...by, action: 'list.import' },
    );
    await agree();
    expect([await laneCount('A'), await laneCount('B')]).toEqual([2, 3]);
    await writer.putEntry('whitelist', whitelist(2n, ['C']), by);
    await writer.putEntry('whitelist', whitelist(1n, ['A']), by);
    await agree();
    await writer.deleteEntry('whitelist', 3n, by);
    await agree();
    // Staged rows that are not replacing: the rows they overwrite leave their scopes.
    const add = await writer.stage('whitelist');
    try {
      await add.add([
        { line: 2, row: whitelist(1n, null) },
        { line: 3, row: whitelist(8n, ['A', 'C']) },
      ]);
      await writer.write('whitelist', { staging: add }, { ...by, action: 'list.import' });
    } finally {
      await add.drop();
    }
    await agree();
    const staging = await writer.stage('whitelist');
    try {
      await staging.add([{ line: 2, row: whitelist(7n, ['B', 'C']) }]);
      await writer.write('whitelist', { staging }, { ...by, action: 'list.import', replace: true });
    } finally {
      await staging.drop();
    }
    await agree();
    expect(await laneCount('A')).toBe(0);
    expect(await laneCount('C')).toBe(1);
  });

  // list-import.test.ts, through importListCsv with the store as the writer

  it('imports: UTF-8 split anywhere across chunks', async () => {
    const text = 'id,status,since,until,name,note\n001099012345,F0,,,Nguyễn Thị Ánh,"ghi chú, có dấu"\n';
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5, 64]) {
      const { writer, peek } = await setup();
      const r = await importListCsv({
        list: 'health',
        body: chunks(bytes, size),
        listKey: KEY,
        writer,
        now: 1,
        maxBytes: 1e6,
        actor: 'test',
      });
      expect(r.accepted).toBe(1);
      expect(await peek.all('SELECT name, note FROM health_entries')).toEqual([
        { name: 'Nguyễn Thị Ánh', note: 'ghi chú, có dấu' },
      ]);
    }
  });

  it('imports: rejects every row of a subject listed three times, and ids that differ only in writing', async () => {
    const { writer, lists } = await setup();
    const csv =
      'id,status,since,until,name,note\n51F-123.45,F0,,,,\n001099012345,F1,,,,\n51F12345,F1,,,,\n51f 123 45,F2,,,,\n';
    const r = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(csv), 7),
      listKey: KEY,
      writer,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
      partial: true,
    });
    expect(r.accepted).toBe(1);
    expect(r.rejected).toEqual([
      { line: 2, code: 'duplicate_id', params: { other: 4 }, reason: 'duplicate id: also on line 4' },
      { line: 4, code: 'duplicate_id', params: { other: 2 }, reason: 'duplicate id: also on line 2' },
      { line: 5, code: 'duplicate_id', params: { other: 2 }, reason: 'duplicate id: also on line 2' },
    ]);
    expect(r).toMatchObject({ applied: true, version: 1 });
    expect(await lists.count('health')).toBe(1);
  });

  it('imports: caps the report but counts every rejection, and audits the refusal', async () => {
    const { writer, peek } = await setup();
    const csv = 'id,status,since,until,name,note\n' + 'x,F0,,,,\n'.repeat(30);
    const r = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(csv), 100),
      listKey: KEY,
      writer,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
      maxReported: 10,
    });
    expect(r.rejected).toHaveLength(10);
    expect(r.rejectedTotal).toBe(30);
    expect(r.applied).toBe(false);
    expect(await peek.audit()).toMatchObject([
      { action: 'list.import', target: 'health', details: { version: 0, applied: false, rejected: 30 } },
    ]);
  });

  it('imports: throws a 400 for bytes that are not UTF-8, even at the very end', async () => {
    const { lists, writer } = await setup();
    const bytes = Buffer.concat([
      Buffer.from('id,status,since,until,name,note\n001099012345,F0,,,,'),
      Buffer.from([0xe1, 0xbb]),
    ]);
    const err = await importListCsv({
      list: 'health',
      body: chunks(bytes, 4),
      listKey: KEY,
      writer,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ statusCode: 400, code: 'csv_not_utf8' });
    expect((await lists.state('health')).version).toBe(0);
  });

  it('imports: dd/mm/yyyy dates, stable codes with their params, and a file with a reason column', async () => {
    const { writer, peek } = await setup();
    const csv = [
      'id,status,since,until,name,note',
      '001099012345,F0,18/09/2021,1/10/2021,,', // day first, as Vietnamese spreadsheets write
      '001099012346,F1,31/02/2021,,,', // no such day: an error, never 3 March
      '001099012347,F1,09/18/2021,,,', // month first: month 18 does not exist
      '001099012348,F1,2021-09-18,17/09/2021,,',
      '001099012349,F9,,,,',
      'not-an-id,F0,,,,',
      '001099012350,F0,"18/09/2021 08:30",,,',
    ].join('\n');
    const r = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(csv), 13),
      listKey: KEY,
      writer,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
      partial: true,
    });
    expect(r.accepted).toBe(2);
    expect(r.rejected.map((x) => [x.line, x.code, x.params])).toEqual([
      [3, 'not_calendar_date', { field: 'since', value: '31/02/2021' }],
      [4, 'not_calendar_date', { field: 'since', value: '09/18/2021' }],
      [5, 'end_before_start', { field: 'until', start: 'since' }],
      [6, 'bad_status', { value: 'F9', allowed: 'F0, F1, F2, F3, recovered, deceased' }],
      [7, 'bad_id', undefined],
    ]);
    expect(await peek.all('SELECT since, until FROM health_entries ORDER BY since')).toEqual([
      { since: Date.parse('2021-09-18T00:00:00+07:00'), until: Date.parse('2021-10-02T00:00:00+07:00') - 1 },
      { since: Date.parse('2021-09-18T08:30:00+07:00'), until: null },
    ]);
    const fixed = [
      'id,status,since,until,name,note,reason',
      '001099012346,F1,28/02/2021,,,,"Ngày không có thật: 31/02/2021"',
      '001099012347,F1,18/09/2021,,,,"Ngày không có thật: 09/18/2021"',
      '001099012351,F2,,,,',
    ].join('\n');
    const again = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(fixed), 64),
      listKey: KEY,
      writer,
      now: 2,
      maxBytes: 1e6,
      actor: 'test',
    });
    expect(again).toMatchObject({ accepted: 3, rejectedTotal: 0, applied: true, version: 2 });
    expect(await peek.all('SELECT note FROM health_entries WHERE note IS NOT NULL')).toEqual([]);
  });

  it('imports: a dry run writes nothing; a replacing whitelist import keeps only the file', async () => {
    const { writer, lists, laneChanges } = await setup();
    await writer.write('whitelist', { rows: [whitelist(1n, null), whitelist(2n, ['A'])] }, meta(1));
    const csv = [
      'id,category,valid_from,valid_until,checkpoints,name,note',
      '001099012345,shipper,,,A;B,,',
      '001099012346,medical,,,,,',
    ].join('\n');
    const opts = { list: 'whitelist' as const, listKey: KEY, writer, now: 2, maxBytes: 1e6, actor: 'test' };
    const dry = await importListCsv({
      ...opts,
      body: chunks(Buffer.from(csv), 16),
      dryRun: true,
      replace: true,
    });
    expect(dry).toMatchObject({ dryRun: true, applied: false, accepted: 2, version: 1, written: null });
    expect(await lists.count('whitelist')).toBe(2);
    const r = await importListCsv({ ...opts, body: chunks(Buffer.from(csv), 16), replace: true });
    expect(r).toMatchObject({ applied: true, accepted: 2, version: 2 });
    expect(r.written).toMatchObject({ version: 2, fromVersion: 1, changes: 4 });
    expect(await lists.count('whitelist')).toBe(2);
    expect(await laneChanges('whitelist', 1, 'A')).toMatchObject({
      kind: 'ok',
      count: 2,
      changes: { length: 4 },
    });
    expect(await laneChanges('whitelist', 1, 'C')).toMatchObject({ kind: 'ok', count: 1 });
  });
});

const pgSkip = await pgUnavailable();

describe.skipIf(pgSkip !== null)('ListWriterStore across servers [postgres]', () => {
  it('holds one client for an import with a longer statement timeout, and gives it back as it was', async () => {
    const test = await createTestDatabase();
    try {
      const pool = await test.open({ max: 1, statementTimeoutMs: 30_000 });
      await runPgMigrations(pool, PG_MIGRATIONS);
      const writer = new PgListWriterStore(pool);
      const staging = await writer.stage('health');
      if (!(staging instanceof PgListStaging)) throw new Error('not a PostgreSQL staging');
      // No client is held before the first rows.
      await staging.add([]);
      expect(staging.holdsClient).toBe(false);
      expect(pool.idleCount).toBe(1);
      await staging.add([{ line: 2, row: health(1n) }]);
      const held = staging.client;
      expect(
        (await held.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0]?.t,
      ).toBe('10min');
      expect(await writer.write('health', { staging }, meta(1))).toMatchObject({ version: 1 });
      // The pool's one client is the staging's until it is dropped.
      expect(pool.idleCount).toBe(0);
      await staging.drop();
      await staging.drop();
      expect(pool.idleCount).toBe(1);
      expect(
        (await pool.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0]?.t,
      ).toBe('30s');
      expect((await pool.query("SELECT 1 FROM pg_class WHERE relpersistence = 't'")).rows).toEqual([]);
      await expect(staging.add([{ line: 3, row: health(2n) }])).rejects.toThrow(/dropped/);
    } finally {
      await test.drop();
    }
  });

  it('two pools writing one list at once: versions 1..20 each exactly once, no gap, change log complete', async () => {
    const test = await createTestDatabase();
    try {
      const a = await test.open({ max: 5 });
      const b = await test.open({ max: 5 });
      await runPgMigrations(a, PG_MIGRATIONS);
      const writers = [new PgListWriterStore(a), new PgListWriterStore(b)];
      const writes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (writers[i % 2] as PgListWriterStore).putEntry('health', health(BigInt(i + 1)), {
            now: i,
            actor: `server-${i % 2}`,
          }),
        ),
      );
      const range = Array.from({ length: 20 }, (_, i) => i + 1);
      expect(writes.map((w) => w.version).sort((x, y) => x - y)).toEqual(range);
      for (const w of writes) expect(w.fromVersion).toBe(w.version - 1);
      const lists = new PgListsStore(b);
      expect(await lists.state('health')).toEqual({ version: 20, changesFrom: 0 });
      const history = await lists.history('health', { limit: 100 });
      expect(history.map((h) => h.version).sort((x, y) => x - y)).toEqual(range);
      // Each version's change-log row names the key that version wrote.
      const log = await a.query<{ version: number; k: string }>(
        "SELECT version, subject_key::text AS k FROM list_changes WHERE list = 'health' ORDER BY version",
      );
      const wroteAt = new Map(writes.map((w) => [w.version, w.urgentChanges[0]?.key]));
      expect(log.rows.map((r) => r.version)).toEqual(range);
      for (const r of log.rows) expect(subjectKeyToHex(BigInt(r.k))).toBe(wroteAt.get(r.version));
      const d = await lists.laneChanges('health', 0, 'X');
      expect(d).toMatchObject({ kind: 'ok', toVersion: 20, count: 20, changes: { length: 20 } });
      expect(await lists.count('health')).toBe(20);
      // Deletes from both at once too: 20 more versions, gap-free, and the count follows.
      const dels = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (writers[i % 2] as PgListWriterStore).deleteEntry('health', BigInt(i + 1), { now: 30, actor: 'x' }),
        ),
      );
      expect(dels.map((r) => (r.ok ? r.value.version : 0)).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 21),
      );
      expect(await lists.laneChanges('health', 20, 'X')).toMatchObject({
        kind: 'ok',
        toVersion: 30,
        count: 10,
      });
    } finally {
      await test.drop();
    }
  });
});
