import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, importCsv, type TestApp } from '../../testing/build-test-app.js';
import { parseSubjectText } from '@checkpoint-lane/shared';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const H = 'id,status,since,until,name,note\r\n';
const W = 'id,category,valid_from,valid_until,checkpoints,name,note\r\n';

interface Report {
  version: number;
  accepted: number;
  rejected: { line: number; reason: string }[];
  rejectedTotal: number;
  applied: boolean;
  dryRun: boolean;
  sha256: string;
  rows: number;
}

interface History {
  versions: { version: number; at: number; actor: string; action: string; changes: number }[];
}

async function history(list: string, query = ''): Promise<History['versions']> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/admin/lists/${list}/history${query}`,
    headers: t.admin,
  });
  expect(res.statusCode).toBe(200);
  return res.json<History>().versions;
}

async function listState(list: string): Promise<{ version: number; count: number }> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/lists', headers: t.admin });
  const found = res
    .json<{ lists: { list: string; version: number; count: number }[] }>()
    .lists.find((l) => l.list === list);
  if (!found) throw new Error('no list');
  return found;
}

describe('list import', () => {
  it('imports a good health CSV as one version, with names kept only on the server', async () => {
    t = await buildTestApp();
    const csv = `${H}001099012345,F0,2021-09-18,,"Nguyễn Văn A","quận 1, ""ổ dịch"""\r\n51F-123.45,F1,2021-09-18T08:00:00+07:00,2021-10-02,,\r\n`;
    const res = await importCsv(t, 'health', csv);
    expect(res.statusCode).toBe(200);
    expect(res.json<Report>()).toEqual({
      version: 1,
      accepted: 2,
      rejected: [],
      rejectedTotal: 0,
      applied: true,
      dryRun: false,
      sha256: sha256(csv),
      rows: 2,
    });
    expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
    const entry = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
    });
    expect(entry.json()).toMatchObject({
      subject: 'personal_id:001099012345',
      key: '52d2d0ef9befd516',
      status: 'F0',
      since: Date.parse('2021-09-18T00:00:00+07:00'),
      until: null,
      name: 'Nguyễn Văn A',
      note: 'quận 1, "ổ dịch"',
      version: 1,
    });
    const plate = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/health/entries/51F12345',
      headers: t.admin,
    });
    expect(plate.json()).toMatchObject({ until: Date.parse('2021-10-03T00:00:00+07:00') - 1 });
  });

  it('rejects a wrong header, an empty file and non-UTF-8 with a clear 400', async () => {
    t = await buildTestApp();
    const header = await importCsv(t, 'health', 'id,status,since,until,name\n001099012345,F0,,,\n');
    expect(header.statusCode).toBe(400);
    expect(header.json()).toMatchObject({
      error: 'csv_header',
      message: expect.stringContaining('id,status,since,until,name,note') as string,
    });
    const wrongList = await importCsv(t, 'whitelist', `${H}001099012345,F0,,,,\n`);
    expect(wrongList.statusCode).toBe(400);
    const empty = await importCsv(t, 'health', '');
    expect(empty.statusCode).toBe(400);
    const latin1 = Buffer.concat([
      Buffer.from(`${H}001099012345,F0,,,Nguy`),
      Buffer.from([0xea, 0x6e]),
      Buffer.from(',\n'),
    ]);
    const bad = await importCsv(t, 'health', latin1);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'csv_not_utf8' });
    expect(await listState('health')).toMatchObject({ version: 0, count: 0 });
  });

  it('reports every bad row by line and writes nothing unless partial', async () => {
    t = await buildTestApp();
    const csv =
      H +
      '001099012345,F0,2021-09-18,,,\n' + // 2 ok
      '001099012346,F9,,,,\n' + // 3 unknown status
      '001099012347,F1,2021-02-30,,,\n' + // 4 bad date
      '001099012348,F1,2021-09-18,2021-09-01,,\n' + // 5 until before since
      '12345,F1,,,,\n' + // 6 bad id
      '001099012349,F2,,,\n' + // 7 too few fields
      '"001099012350",F2,,,,\n' + // 8 ok (quoted)
      '001099012345,F1,,,,\n' + // 9 duplicate of 2
      '001099012351,recovered,,,,\n'; // 10 ok
    const res = await importCsv(t, 'health', csv);
    expect(res.statusCode).toBe(422);
    const report = res.json<Report & { error: string }>();
    expect(report.applied).toBe(false);
    expect(report.accepted).toBe(0);
    expect(report.error).toBe('rows_rejected');
    expect(report.rejected.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 9]);
    expect(report.rejected.find((r) => r.line === 2)?.reason).toBe('duplicate id: also on line 9');
    expect(report.rejected.find((r) => r.line === 9)?.reason).toBe('duplicate id: also on line 2');
    expect(report.rejected.find((r) => r.line === 3)?.reason).toMatch(/unknown status/);
    expect(report.rejected.find((r) => r.line === 4)?.reason).toMatch(/since: not a calendar date/);
    expect(report.rejected.find((r) => r.line === 5)?.reason).toBe('until is before since');
    expect(report.rejected.find((r) => r.line === 6)?.reason).toMatch(/not a 12-digit personal ID/);
    expect(report.rejected.find((r) => r.line === 7)?.reason).toBe('expected 6 fields, found 5');
    expect(await listState('health')).toMatchObject({ version: 0, count: 0 });

    const partial = await importCsv(t, 'health', csv, '?partial=true');
    expect(partial.statusCode).toBe(200);
    expect(partial.json<Report>()).toMatchObject({
      version: 1,
      accepted: 2,
      rejectedTotal: 7,
      applied: true,
    });
    expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
  });

  it('imports whitelists with checkpoint sets, and replaces the whole list on request', async () => {
    t = await buildTestApp();
    const csv = `${W}B1234567,shipper,2021-09-01,2021-09-30,HCM-01;HCM-02,,\n001099012345,medical,,,,Bác sĩ,\n`;
    expect((await importCsv(t, 'whitelist', csv)).json<Report>()).toMatchObject({ version: 1, accepted: 2 });
    const bad = await importCsv(
      t,
      'whitelist',
      `${W}B1234567,tourist,,,,,\n001099012346,permit,,,bad id!,,\n`,
    );
    expect(bad.json<Report>().rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/unknown category/),
      expect.stringMatching(/checkpoints: not a checkpoint id/),
    ]);
    const entry = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/whitelist/entries/b1234567',
      headers: t.admin,
    });
    expect(entry.json()).toMatchObject({ category: 'shipper', checkpoints: ['HCM-01', 'HCM-02'] });

    const unsafe = await importCsv(
      t,
      'whitelist',
      `${W}001099012345,medical,,,,,\n`,
      '?replace=true&partial=true',
    );
    expect(unsafe.statusCode).toBe(400);
    expect(unsafe.json()).toMatchObject({ error: 'partial_replace' });
    const replaced = await importCsv(t, 'whitelist', `${W}001099012345,medical,,,,,\n`, '?replace=true');
    expect(replaced.json<Report>()).toMatchObject({ version: 2, accepted: 1 });
    expect(await listState('whitelist')).toMatchObject({ version: 2, count: 1 });
  });

  it('refuses a body over the import limit with 413 and keeps the list intact', async () => {
    t = await buildTestApp({ importMaxBytes: 1000 });
    const rows = Array.from({ length: 100 }, (_, i) => `0010990${String(i).padStart(5, '0')},F2,,,,`).join(
      '\n',
    );
    const res = await importCsv(t, 'health', H + rows);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'body_too_large' });
    expect(await listState('health')).toMatchObject({ version: 0 });
  });

  it('puts and deletes single entries, each a version with an audit record', async () => {
    t = await buildTestApp();
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
      payload: { status: 'F0', since: '2021-09-18', name: 'A' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ list: 'health', version: 1, key: '52d2d0ef9befd516' });
    const wl = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/whitelist/entries/51F-123.45',
      headers: t.admin,
      payload: { category: 'green_lane', validUntil: '2021-12-31', checkpoints: ['A'] },
    });
    expect(wl.statusCode).toBe(200);
    const badDate = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
      payload: { status: 'F0', since: '2021-09-18', until: '2021-09-01' },
    });
    expect(badDate.statusCode).toBe(400);
    const badStatus = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
      payload: { status: 'F7' },
    });
    expect(badStatus.statusCode).toBe(400);
    const badSubject = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/hello',
      headers: t.admin,
    });
    expect(badSubject.statusCode).toBe(400);
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
    });
    expect(del.json()).toEqual({ list: 'health', version: 2, key: '52d2d0ef9befd516' });
    const again = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
    });
    expect(again.statusCode).toBe(404);
    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: t.admin })).json<{
      records: { action: string; target: string; actor: string }[];
    }>().records;
    expect(new Set(audit.map((r) => r.actor))).toEqual(new Set(['token@127.0.0.1']));
    // Entries are named by their keyed hash, never by the ID or plate.
    const hex = (subject: string) => {
      const parsed = parseSubjectText(subject);
      if (!parsed) throw new Error(subject);
      return subjectKeyToHex(subjectKey(t.listKey, parsed));
    };
    expect(audit.map((r) => [r.action, r.target])).toEqual([
      ['list.delete', `health:${hex('001099012345')}`],
      ['list.put', `whitelist:${hex('51F-123.45')}`],
      ['list.put', `health:${hex('001099012345')}`],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/001099012345|51F/);
  });
});

describe('import preview and commit, list history', () => {
  const good = `${H}001099012345,F0,2021-09-18,,A,\r\n001099012346,F1,,,B,\r\n`;
  const bad = `${H}001099012345,F0,,,,\r\n001099012346,F9,,,,\r\n001099012345,F1,,,,\r\n`;

  it('previews a file without writing: the report, sha256 and row count, 200 even with rejections', async () => {
    t = await buildTestApp();
    const dry = await importCsv(t, 'health', bad, '?dryRun=true');
    expect(dry.statusCode).toBe(200);
    expect(dry.json<Report>()).toEqual({
      version: 0,
      accepted: 0,
      rejected: [
        { line: 2, code: 'duplicate_id', params: { other: 4 }, reason: 'duplicate id: also on line 4' },
        {
          line: 3,
          code: 'bad_status',
          params: expect.objectContaining({ allowed: expect.stringContaining('F0') as string }) as object,
          reason: expect.stringMatching(/unknown status/) as string,
        },
        { line: 4, code: 'duplicate_id', params: { other: 2 }, reason: 'duplicate id: also on line 2' },
      ],
      rejectedTotal: 3,
      applied: false,
      dryRun: true,
      sha256: sha256(bad),
      rows: 3,
    });
    const clean = await importCsv(t, 'health', good, '?dryRun=true');
    expect(clean.json<Report>()).toMatchObject({ version: 0, accepted: 2, applied: false, rows: 2 });
    expect(await listState('health')).toMatchObject({ version: 0, count: 0 });
    expect(await history('health')).toEqual([]);
    // A dry run changes nothing, so it leaves no audit record either.
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: t.admin });
    expect(audit.json<{ records: unknown[] }>().records).toEqual([]);
    // The header is checked exactly as by an import.
    const header = await importCsv(t, 'health', 'id,status\n1,F0\n', '?dryRun=true');
    expect(header.statusCode).toBe(400);
    expect(header.json()).toMatchObject({ error: 'csv_header' });
  });

  it('commits only the previewed file: another body answers 409 file_changed and writes nothing', async () => {
    t = await buildTestApp();
    const preview = (await importCsv(t, 'health', good, '?dryRun=true')).json<Report>();
    const changed = await importCsv(t, 'health', good.replace('F1', 'F2'), `?expectSha256=${preview.sha256}`);
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toMatchObject({ error: 'file_changed' });
    expect(await listState('health')).toMatchObject({ version: 0, count: 0 });
    expect(await history('health')).toEqual([]);
    const notHex = await importCsv(t, 'health', good, '?expectSha256=abc');
    expect(notHex.statusCode).toBe(400);

    const commit = await importCsv(t, 'health', good, `?expectSha256=${preview.sha256.toUpperCase()}`);
    expect(commit.statusCode).toBe(200);
    expect(commit.json<Report>()).toMatchObject({
      version: 1,
      accepted: 2,
      applied: true,
      dryRun: false,
      sha256: preview.sha256,
    });
    expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
    expect(await history('health')).toEqual([
      {
        version: 1,
        at: expect.any(Number) as number,
        actor: 'token@127.0.0.1',
        action: 'list.import',
        changes: 2,
      },
    ]);
  });

  it('keeps one history row per version written: imports (with replace deletions), puts and deletes', async () => {
    let now = 1_700_000_000_000;
    t = await buildTestApp({ clock: () => now });
    expect((await importCsv(t, 'health', good)).statusCode).toBe(200);
    now += 1000;
    // Nothing to write: no version, no history row.
    expect((await importCsv(t, 'health', H)).json<Report>()).toMatchObject({ version: 1, applied: true });
    now += 1000;
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012347',
      headers: t.admin,
      payload: { status: 'F0' },
    });
    expect(put.json()).toMatchObject({ version: 2 });
    now += 1000;
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
    });
    expect(del.json()).toMatchObject({ version: 3 });
    now += 1000;
    // The file keeps one old entry and adds one: 2 written + 1 deleted.
    const replace = await importCsv(
      t,
      'health',
      `${H}001099012346,F2,,,,\n001099012399,F1,,,,\n`,
      '?replace=true',
    );
    expect(replace.json<Report>()).toMatchObject({ version: 4, accepted: 2 });
    expect(await listState('health')).toMatchObject({ version: 4, count: 2 });
    const t0 = 1_700_000_000_000;
    expect(await history('health')).toEqual([
      { version: 4, at: t0 + 4000, actor: 'token@127.0.0.1', action: 'list.import', changes: 3 },
      { version: 3, at: t0 + 3000, actor: 'token@127.0.0.1', action: 'list.delete', changes: 1 },
      { version: 2, at: t0 + 2000, actor: 'token@127.0.0.1', action: 'list.put', changes: 1 },
      { version: 1, at: t0, actor: 'token@127.0.0.1', action: 'list.import', changes: 2 },
    ]);
    expect((await history('health', '?limit=2&before=4')).map((v) => v.version)).toEqual([3, 2]);
    expect(await history('whitelist')).toEqual([]);
    const badList = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/x/history',
      headers: t.admin,
    });
    expect(badList.statusCode).toBe(400);
    const badLimit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/health/history?limit=0',
      headers: t.admin,
    });
    expect(badLimit.statusCode).toBe(400);
  });
});
