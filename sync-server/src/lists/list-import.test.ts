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
  return { db, repo: new ListsRepository(db) };
}

describe('importListCsv', () => {
  it('decodes UTF-8 split anywhere across chunks', async () => {
    const text = 'id,status,since,until,name,note\n001099012345,F0,,,Nguyễn Thị Ánh,"ghi chú, có dấu"\n';
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5, 64]) {
      const { db, repo } = setup();
      const r = await importListCsv({
        list: 'health',
        body: chunks(bytes, size),
        listKey: KEY,
        repo,
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
    const { repo } = setup();
    const csv =
      'id,status,since,until,name,note\n51F-123.45,F0,,,,\n001099012345,F1,,,,\n51F12345,F1,,,,\n51f 123 45,F2,,,,\n';
    const r = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(csv), 7),
      listKey: KEY,
      repo,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
      partial: true,
    });
    expect(r.accepted).toBe(1);
    expect(r.rejected).toEqual([
      { line: 2, reason: 'duplicate id: also on line 4' },
      { line: 4, reason: 'duplicate id: also on line 2' },
      { line: 5, reason: 'duplicate id: also on line 2' },
    ]);
  });

  it('caps the report but counts every rejection', async () => {
    const { repo } = setup();
    const csv = 'id,status,since,until,name,note\n' + 'x,F0,,,,\n'.repeat(30);
    const r = await importListCsv({
      list: 'health',
      body: chunks(Buffer.from(csv), 100),
      listKey: KEY,
      repo,
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
    const { repo } = setup();
    const bytes = Buffer.concat([
      Buffer.from('id,status,since,until,name,note\n001099012345,F0,,,,'),
      Buffer.from([0xe1, 0xbb]),
    ]);
    const err = await importListCsv({
      list: 'health',
      body: chunks(bytes, 4),
      listKey: KEY,
      repo,
      now: 1,
      maxBytes: 1e6,
      actor: 'test',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ statusCode: 400, code: 'csv_not_utf8' });
    expect(repo.state('health').version).toBe(0);
  });
});
