import { ListKeys } from '../../lists/list-keys.js';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalSubjectKey, decodeSnapshot, parseSubjectText } from '@checkpoint-lane/shared';
import { laneSubjectKey, laneSubjectKeyHex } from '../../lists/rekey.js';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  scanRecord,
  type TestApp,
  type TestKiosk,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const H = 'id,status,since,until,name,note\n';
const W = 'id,category,valid_from,valid_until,checkpoints,name,note\n';

interface Changes {
  list: string;
  fromVersion: number;
  toVersion: number;
  changes: { key: string; op: string; entry?: Record<string, unknown> }[];
}

/** The current list key of a checkpoint's key scope. */
const keyOf = (checkpointId: string) => new ListKeys(t.db).forCheckpoint(checkpointId);

/** The canonical subject of an ID as a list CSV names it. */
const subjectOf = (id: string): string => {
  const subject = parseSubjectText(id);
  if (!subject) throw new Error(`not an ID: ${id}`);
  return canonicalSubjectKey(subject);
};

/** The key a lane at `checkpointId` holds an ID's entry under (hex). */
const laneKeyHex = (checkpointId: string, id: string): string =>
  laneSubjectKeyHex(keyOf(checkpointId).key, subjectOf(id));

/** A changes answer for a lane at `checkpointId`, asked with its scope's current list key. */
async function changes(k: TestKiosk, list: string, since: number, checkpointId: string) {
  return t.app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/changes?since=${since}&keyId=${keyOf(checkpointId).id}`,
    headers: k.auth,
  });
}

async function upload(k: TestKiosk, records: Record<string, unknown>[]) {
  return t.app.inject({ method: 'POST', url: '/api/v1/kiosk/scans', headers: k.auth, payload: { records } });
}

describe('list versions and deltas', () => {
  it('answers changes since V coalesced to the latest state, 409 ahead, 410 behind the log', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'CP');
    const k = await enrollKiosk(t, 'CP');
    expect((await changes(k, 'health', 0, 'CP')).json()).toEqual({
      list: 'health',
      fromVersion: 0,
      toVersion: 0,
      changes: [],
      count: 0,
      signature: expect.stringMatching(/^[0-9a-f]{16}:/) as string,
      issuedAt: expect.any(Number) as number,
      keyId: keyOf('CP').id,
    });

    await importCsv(t, 'health', `${H}001099012345,F0,,,,\n001099012346,F1,,,,\n`); // v1
    await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099012346',
      headers: t.admin,
    }); // v2
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
      payload: { status: 'recovered', since: '2021-10-01' },
    }); // v3

    const all = (await changes(k, 'health', 0, 'CP')).json<Changes>();
    expect(all.fromVersion).toBe(0);
    expect(all.toVersion).toBe(3);
    // Keyed with the lane's list key, deletes too; never with the server's index key.
    expect([...all.changes].sort((x, y) => x.op.localeCompare(y.op))).toEqual([
      { key: laneKeyHex('CP', '001099012346'), op: 'delete' },
      {
        key: laneKeyHex('CP', '001099012345'),
        op: 'put',
        entry: { status: 'recovered', since: Date.parse('2021-10-01T00:00:00+07:00'), until: null },
      },
    ]);
    expect(JSON.stringify(all)).not.toContain('52d2d0ef9befd516');
    const fromTwo = (await changes(k, 'health', 2, 'CP')).json<Changes>();
    expect(fromTwo.changes.map((c) => c.op)).toEqual(['put']);
    expect((await changes(k, 'health', 3, 'CP')).json<Changes>().changes).toEqual([]);

    const ahead = await changes(k, 'health', 4, 'CP');
    expect(ahead.statusCode).toBe(409);
    expect(ahead.json()).toMatchObject({ error: 'version_ahead' });

    // A big import truncates the change log: lanes behind it must take a snapshot.
    const rows = Array.from({ length: 20_001 }, (_, i) => `0790${String(i).padStart(8, '0')},F2,,,,`).join(
      '\n',
    );
    expect((await importCsv(t, 'health', H + rows)).statusCode).toBe(200); // v4
    const gone = await changes(k, 'health', 3, 'CP');
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: 'changes_gone' });
    expect((await changes(k, 'health', 4, 'CP')).json<Changes>()).toMatchObject({
      fromVersion: 4,
      toVersion: 4,
      changes: [],
    });
    const bad = await changes(k, 'health', -1, 'CP');
    expect(bad.statusCode).toBe(400);
    const badList = await changes(k, 'people', 0, 'CP');
    expect(badList.statusCode).toBe(400);
    for (const keyId of ['-1', 'x', '2147483648']) {
      const badKey = await t.app.inject({
        method: 'GET',
        url: `/api/v1/kiosk/lists/health/changes?since=4&keyId=${keyId}`,
        headers: k.auth,
      });
      expect(badKey.statusCode).toBe(400);
    }
  });

  it('sends each lane only the whitelist entries valid at its checkpoint; others come as deletes', async () => {
    t = await buildTestApp();
    for (const id of ['A', 'B', 'C']) await addCheckpoint(t, id, 'closed');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    // X valid at A and C, Y everywhere, Z at B only.
    await importCsv(
      t,
      'whitelist',
      `${W}B1234567,shipper,,,A;C,,\n001099012345,official,,,,,\nB7654321,permit,,,B,,\n`,
    );
    const view = async (k: TestKiosk, since: number) => {
      const rows = (await changes(k, 'whitelist', since, k === a ? 'A' : 'B'))
        .json<Changes>()
        .changes.map((c) => ({
          op: c.op,
          category: (c.entry?.['category'] as string | undefined) ?? null,
          checkpoints: c.entry?.['checkpoints'] ?? null,
        }));
      rows.sort((x, y) => `${x.op}${x.category ?? ''}`.localeCompare(`${y.op}${y.category ?? ''}`));
      return rows.map((r) => [r.op, r.category, r.checkpoints]);
    };
    expect(await view(a, 0)).toEqual([
      ['delete', null, null],
      ['put', 'official', null],
      ['put', 'shipper', ['A']],
    ]);
    expect(await view(b, 0)).toEqual([
      ['delete', null, null],
      ['put', 'official', null],
      ['put', 'permit', ['B']],
    ]);
    const deleted = (await changes(b, 'whitelist', 0, 'B'))
      .json<Changes>()
      .changes.find((c) => c.op === 'delete');
    expect(deleted).toEqual({ key: laneKeyHex('B', 'B1234567'), op: 'delete' });

    // X moves to B only: A must drop it, B must take it.
    const moved = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/whitelist/entries/B1234567',
      headers: t.admin,
      payload: { category: 'shipper', checkpoints: ['B'] },
    });
    expect(moved.statusCode).toBeLessThan(300);
    expect(await view(a, 1)).toEqual([['delete', null, null]]);
    expect(await view(b, 1)).toEqual([['put', 'shipper', ['B']]]);
  });
});

describe('snapshots', () => {
  it('streams the current version sorted by key, decodable, resumable with Range', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    const k = await enrollKiosk(t, 'A');
    const rows = Array.from(
      { length: 500 },
      (_, i) => `0010990${String(i).padStart(5, '0')},${i % 2 ? 'F0' : 'F1'},2021-09-18,,,`,
    );
    await importCsv(t, 'health', H + rows.join('\n'));
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/kiosk/lists/health/snapshot',
      headers: k.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-list-version']).toBe('1');
    expect(res.headers['x-list-key-id']).toBe(String(keyOf('A').id));
    const bytes = res.rawPayload;
    const { header, entries } = decodeSnapshot(bytes);
    expect(header).toMatchObject({ list: 'health', version: 1, count: 500 });
    expect(header.classes).toHaveLength(2);
    const keys = entries.map((e) => e.key);
    // Each entry keyed with the lane's list key, in ascending signed order.
    expect(keys).toEqual(
      rows
        .map((r) => laneSubjectKey(keyOf('A').key, subjectOf(r.slice(0, 12))))
        .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
    );
    expect(new Set(entries.map((e) => (e.entry as { status: string }).status))).toEqual(
      new Set(['F0', 'F1']),
    );
    expect(bytes.length / 500).toBeLessThan(10);

    const etag = res.headers.etag;
    expect(typeof etag).toBe('string');
    const rest = await t.app.inject({
      method: 'GET',
      url: '/api/v1/kiosk/lists/health/snapshot',
      headers: { ...k.auth, range: 'bytes=100-', 'if-range': String(etag) },
    });
    expect(rest.statusCode).toBe(206);
    expect(Buffer.compare(rest.rawPayload, bytes.subarray(100))).toBe(0);

    // A new version makes a new snapshot; a Range against the old one gets the whole new file.
    await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099000000',
      headers: t.admin,
    });
    const stale = await t.app.inject({
      method: 'GET',
      url: '/api/v1/kiosk/lists/health/snapshot',
      headers: { ...k.auth, range: 'bytes=100-', 'if-range': String(etag) },
    });
    expect(stale.statusCode).toBe(200);
    expect(decodeSnapshot(stale.rawPayload).header).toMatchObject({ version: 2, count: 499 });
  });

  it('makes whitelist snapshots per checkpoint, holding only what applies there', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    await addCheckpoint(t, 'B', 'closed');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,A,,\n001099012345,official,,,,,\n`);
    const get = async (k: TestKiosk, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'GET',
        url: '/api/v1/kiosk/lists/whitelist/snapshot',
        headers: { ...k.auth, ...headers },
      });
    const fromA = await get(a);
    const fromB = await get(b);
    const entries = (res: typeof fromA) =>
      decodeSnapshot(res.rawPayload).entries.map(
        (e) => e.entry as { category: string; checkpoints: unknown },
      );
    expect(
      entries(fromA)
        .map((e) => [e.category, e.checkpoints])
        .sort(),
    ).toEqual(
      [
        ['official', null],
        ['shipper', ['A']],
      ].sort(),
    );
    expect(entries(fromB)).toEqual([expect.objectContaining({ category: 'official', checkpoints: null })]);
    expect(decodeSnapshot(fromB.rawPayload).header).toMatchObject({ checkpointId: 'B', count: 1 });
    // One strong ETag per (list, version, checkpoint); a Range with A's ETag never resumes B's bytes.
    expect(fromA.headers.etag).not.toBe(fromB.headers.etag);
    expect((await get(a)).headers.etag).toBe(fromA.headers.etag);
    const cross = await get(b, { range: 'bytes=10-', 'if-range': String(fromA.headers.etag) });
    expect(cross.statusCode).toBe(200);
    expect(Buffer.compare(cross.rawPayload, fromB.rawPayload)).toBe(0);
  });

  it('never serves a whitelist snapshot an older server cached unscoped', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'closed');
    const a = await enrollKiosk(t, 'A');
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,B,,\n`);
    const get = () =>
      t.app.inject({ method: 'GET', url: '/api/v1/kiosk/lists/whitelist/snapshot', headers: a.auth });
    const first = await get();
    expect(decodeSnapshot(first.rawPayload).header.count).toBe(0);
    // What the servers before scoping and before key scopes left in their cache for (whitelist, A, 1).
    writeFileSync(join(t.dir, 'snapshots', 'whitelist-A-1.snap'), Buffer.from('stale'));
    writeFileSync(join(t.dir, 'snapshots', 'whitelist-@A-1.snap'), Buffer.from('stale'));
    const again = await get();
    // The strong ETag is the SHA-256 of the bytes served.
    expect(again.headers.etag).toBe(`"${createHash('sha256').update(again.rawPayload).digest('hex')}"`);
    expect(decodeSnapshot(again.rawPayload).header.count).toBe(0);
  });
});

describe('scan upload', () => {
  it('is idempotent: same batch twice, overlapping batches, gaps stop ackedThrough', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A');
    const batch = [1, 2, 3, 4, 5].map((s) => scanRecord(s));
    expect((await upload(k, batch)).json()).toEqual({ ackedThrough: 5 });
    expect((await upload(k, batch)).json()).toEqual({ ackedThrough: 5 });
    expect(
      (
        await upload(
          k,
          [4, 5, 6, 7].map((s) => scanRecord(s)),
        )
      ).json(),
    ).toEqual({ ackedThrough: 7 });
    expect(
      (
        await upload(
          k,
          [9, 10].map((s) => scanRecord(s)),
        )
      ).json(),
    ).toEqual({ ackedThrough: 7 });
    expect(
      (
        await upload(
          k,
          [8].map((s) => scanRecord(s)),
        )
      ).json(),
    ).toEqual({ ackedThrough: 10 });
    const scans = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/scans?limit=1000', headers: t.admin })
    ).json<{
      scans: { seq: number }[];
    }>().scans;
    expect(scans.map((s) => s.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Each lane has its own sequence.
    const other = await enrollKiosk(t, 'A', 'Lane 2');
    expect(
      (
        await upload(
          other,
          [1].map((s) => scanRecord(s, { id: '01890a5d-ac96-7000-8000-ffffffffffff' })),
        )
      ).json(),
    ).toEqual({
      ackedThrough: 1,
    });
  });

  it('rejects invalid batches with 400 and stores overrides linked to their scan', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A');
    expect((await upload(k, [])).statusCode).toBe(400);
    expect((await upload(k, [scanRecord(1, { decision: 'blue' })])).statusCode).toBe(400);
    expect((await upload(k, [scanRecord(0)])).statusCode).toBe(400);
    const scan = scanRecord(1, { decision: 'red', reasons: ['health_blocked'] });
    const override = {
      type: 'override',
      seq: 2,
      id: '01890a5d-ac96-7000-8000-0000000000aa',
      at: 1_700_000_000_500,
      scanId: scan.id,
      originalDecision: 'red',
      decision: 'green',
      officerId: 'officer-7',
      supervisorId: 'sup-1',
      reason: 'identity_confirmed',
      note: '',
    };
    expect((await upload(k, [scan, override])).json()).toEqual({ ackedThrough: 2 });
    const found = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/scans', headers: t.admin })).json<{
      scans: { id: string; overrides: { officerId: string; decision: string }[] }[];
    }>().scans;
    expect(found).toHaveLength(1);
    expect(found[0]?.overrides).toEqual([
      expect.objectContaining({ officerId: 'officer-7', decision: 'green' }),
    ]);
  });

  it('turns an alert scan into one alert, even when re-sent, with the subject status', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A');
    await importCsv(t, 'health', `${H}001099012345,F0,,,,\n`);
    const alertScan = scanRecord(1, {
      subjectKey: '52d2d0ef9befd516',
      decision: 'red',
      reasons: ['health_blocked'],
      alert: true,
    });
    await upload(k, [alertScan]);
    await upload(k, [alertScan]);
    const alerts = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/alerts', headers: t.admin })
    ).json<{
      alerts: object[];
    }>().alerts;
    expect(alerts).toEqual([
      expect.objectContaining({
        raisedBy: 'lane',
        kioskId: k.kioskId,
        checkpointId: 'A',
        scanId: alertScan.id,
        subjectKey: '52d2d0ef9befd516',
        status: 'F0',
      }),
    ]);
  });

  it('raises an alert itself when its health list blocks a subject the lane did not flag', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A');
    // 001099012345 is F1 from 2023-11-14 22:13:20.005Z on; 001099012346 is F2 (not blocking).
    await importCsv(t, 'health', `${H}001099012345,F1,2023-11-14T22:13:20.005Z,,,\n001099012346,F2,,,,\n`);
    const f2 = (
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/lists/health/entries/001099012346',
        headers: t.admin,
      })
    ).json<{ key: string }>().key;
    await upload(k, [
      scanRecord(1, { subjectKey: '52d2d0ef9befd516' }), // before since: not blocked then
      scanRecord(9, { subjectKey: '52d2d0ef9befd516' }), // after since: blocked
      scanRecord(2, { subjectKey: f2 }),
    ]);
    const alerts = (
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/alerts', headers: t.admin })
    ).json<{
      alerts: { scanId: string; raisedBy: string; status: string }[];
    }>().alerts;
    expect(alerts).toEqual([
      expect.objectContaining({ scanId: scanRecord(9).id as string, raisedBy: 'server', status: 'F1' }),
    ]);
  });

  it('searches scans by subject (through its keyed hash), checkpoint, time and decision, paged', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    await addCheckpoint(t, 'B');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    await upload(
      a,
      [1, 2, 3].map((s) => scanRecord(s, { subjectKey: s === 2 ? '52d2d0ef9befd516' : null })),
    );
    await upload(
      b,
      [1, 2].map((s) => scanRecord(s, { id: `01890a5d-ac96-7000-8000-0000000b000${s}`, decision: 'amber' })),
    );
    const q = async (query: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/admin/scans?${query}`, headers: t.admin })).json<{
        scans: { kioskId: string; seq: number }[];
        nextCursor: string | null;
      }>();
    expect((await q('subject=001099012345')).scans.map((s) => [s.kioskId, s.seq])).toEqual([[a.kioskId, 2]]);
    expect((await q('checkpoint=B')).scans).toHaveLength(2);
    expect((await q('decision=amber')).scans).toHaveLength(2);
    expect((await q(`from=1700000000002&to=1700000000003`)).scans).toHaveLength(2);
    expect((await q('from=2023-11-14T22:13:20.002Z')).scans).toHaveLength(3);
    const first = await q('limit=3');
    expect(first.scans).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await q(`limit=3&cursor=${first.nextCursor ?? ''}`);
    expect(second.scans).toHaveLength(2);
    const seen = [...first.scans, ...second.scans].map((s) => `${s.kioskId}:${s.seq}`);
    expect(new Set(seen).size).toBe(5);
    const badSubject = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/scans?subject=x',
      headers: t.admin,
    });
    expect(badSubject.statusCode).toBe(400);
    const badCursor = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/scans?cursor=zzz',
      headers: t.admin,
    });
    expect(badCursor.statusCode).toBe(400);
  });
});
