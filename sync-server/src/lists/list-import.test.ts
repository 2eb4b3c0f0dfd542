import { openSqliteStore } from '../db/store/sqlite-store.js';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { ListsRepository } from '../db/repositories/lists-repository.js';
import { HttpError } from '../http-error.js';
import { importListCsv } from './list-import.js';

const KEY = Buffer.alloc(32, 9);

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

function setup() {
  const db = openDatabase(':memory:');
  return {
    db,
    repo: new ListsRepository(db),
    writer: openSqliteStore(db, { indexKey: Buffer.alloc(32, 7), clock: () => 1 }).listWriter,
  };
}

describe('importListCsv', () => {
  it('decodes UTF-8 split anywhere across chunks', async () => {
    const text = 'id,status,since,until,name,note\n001099012345,F0,,,Nguyễn Thị Ánh,"ghi chú, có dấu"\n';
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5, 64]) {
      const { db, writer } = setup();
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
      const name = db.prepare('SELECT name, note FROM health_entries').get();
      expect(name).toEqual({ name: 'Nguyễn Thị Ánh', note: 'ghi chú, có dấu' });
      db.close();
    }
  });

  it('rejects every row of a subject listed three times, and ids that differ only in writing', async () => {
    const { writer } = setup();
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
  });

  it('caps the report but counts every rejection', async () => {
    const { writer } = setup();
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
  });

  it('throws a 400 for bytes that are not UTF-8, even at the very end', async () => {
    const { repo, writer } = setup();
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
    expect(repo.state('health').version).toBe(0);
  });

  it('reads dd/mm/yyyy dates, answers stable codes with their params, and re-imports a file with a reason column', async () => {
    const { db, writer } = setup();
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
    expect(db.prepare('SELECT since, until FROM health_entries ORDER BY since').all()).toEqual([
      { since: Date.parse('2021-09-18T00:00:00+07:00'), until: Date.parse('2021-10-02T00:00:00+07:00') - 1 },
      { since: Date.parse('2021-09-18T08:30:00+07:00'), until: null },
    ]);

    // The console's file of rejected rows (each with its reason), fixed, goes back in as it is.
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
    expect(again).toMatchObject({ accepted: 3, rejectedTotal: 0, applied: true });
    expect(db.prepare('SELECT note FROM health_entries WHERE note IS NOT NULL').all()).toEqual([]);
  });
});
