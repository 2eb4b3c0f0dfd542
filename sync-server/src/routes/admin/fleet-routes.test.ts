import { afterEach, describe, expect, it } from 'vitest';
import { CsvReader } from '../../csv/csv-reader.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  signIn,
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
const HOUR = 3_600_000;

async function upload(k: TestKiosk, records: Record<string, unknown>[]) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/scans',
    headers: k.auth,
    payload: { records },
  });
  expect(res.statusCode).toBe(200);
}

const get = (url: string) => t.app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers: t.admin });

/** Admin SSE events, captured from the hub as an open admin stream would get them. */
function captureAdminEvents(): { event: string; data: unknown }[] {
  const seen: { event: string; data: unknown }[] = [];
  t.app.services.hub.addAdmin({
    send: (event, data) => seen.push({ event, data }),
    comment: () => undefined,
    close: () => undefined,
  });
  return seen;
}

interface Alert {
  id: number;
  at: number;
  kioskId: string;
  kioskName: string;
  checkpointId: string;
  status: string | null;
  raisedBy: string;
  ackedAt: number | null;
  ackedBy: string | null;
}

describe('alerts', () => {
  it('publishes new alerts with lane name, then acknowledges once with an audit record and an alert-ack event', async () => {
    let now = 1_700_000_500_000;
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A', 'Làn 3');
    await importCsv(t, 'health', `${H}001099012345,F0,,,,\n`);
    const events = captureAdminEvents();
    await upload(k, [
      scanRecord(1, {
        subjectKey: '52d2d0ef9befd516',
        decision: 'red',
        reasons: ['health_blocked'],
        alert: true,
      }),
      scanRecord(2, {
        subjectKey: '52d2d0ef9befd516',
        decision: 'red',
        reasons: ['health_blocked'],
        alert: true,
      }),
    ]);
    const pushed = events.filter((e) => e.event === 'alert').map((e) => e.data as Alert);
    expect(pushed).toHaveLength(2);
    expect(pushed[0]).toMatchObject({
      at: 1_700_000_000_001,
      checkpointId: 'A',
      kioskId: k.kioskId,
      kioskName: 'Làn 3',
      status: 'F0',
      raisedBy: 'lane',
      ackedAt: null,
      ackedBy: null,
    });
    const [first, second] = pushed;
    if (!first || !second) throw new Error('two alerts expected');

    now += 1000;
    const ack = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/alerts/${first.id}/ack`,
      headers: t.admin,
      payload: { note: 'đã gọi y tế' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toEqual({
      ...first,
      receivedAt: expect.any(Number) as number,
      scanId: expect.any(String) as string,
      subjectKey: '52d2d0ef9befd516',
      ackedAt: now,
      ackedBy: 'token@127.0.0.1',
    });
    expect(events.filter((e) => e.event === 'alert-ack')).toEqual([
      { event: 'alert-ack', data: { id: first.id, ackedAt: now, ackedBy: 'token@127.0.0.1' } },
    ]);

    // Again (no body): unchanged, the first acknowledgement kept, no second event or audit record.
    const later = now;
    now += 5000;
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/alerts/${first.id}/ack`,
      headers: t.admin,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.id, ackedAt: later, ackedBy: 'token@127.0.0.1' });
    expect(events.filter((e) => e.event === 'alert-ack')).toHaveLength(1);

    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/alerts/999/ack',
      headers: t.admin,
    });
    expect(unknown.statusCode).toBe(404);
    const notId = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/alerts/abc/ack',
      headers: t.admin,
    });
    expect(notId.statusCode).toBe(400);
    const longNote = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/alerts/${second.id}/ack`,
      headers: t.admin,
      payload: { note: 'x'.repeat(501) },
    });
    expect(longNote.statusCode).toBe(400);

    const unacked = (await get('/alerts?unacked=true')).json<{ alerts: Alert[] }>().alerts;
    expect(unacked.map((a) => a.id)).toEqual([second.id]);
    const all = (await get('/alerts')).json<{ alerts: Alert[] }>().alerts;
    expect(all.map((a) => [a.id, a.ackedBy])).toEqual([
      [second.id, null],
      [first.id, 'token@127.0.0.1'],
    ]);
    const audit = (await get('/audit?action=alert.ack')).json<{
      records: { target: string; details: unknown }[];
    }>();
    expect(audit.records).toEqual([
      expect.objectContaining({
        target: String(first.id),
        details: { checkpointId: 'A', kioskId: k.kioskId, note: 'đã gọi y tế' },
      }),
    ]);
  });
});

describe('scan stats', () => {
  it('answers the hourly series per checkpoint from the roll-up, aligned and ending at the current hour', async () => {
    const base = 1_700_000_000_000 - (1_700_000_000_000 % HOUR); // an hour start
    let now = base + 30 * 60_000; // half past: the current hour is `base`
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'A');
    await addCheckpoint(t, 'B');
    await addCheckpoint(t, 'C');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B');
    const at = (seq: number, time: number, decision: string, prefix = 'a') =>
      scanRecord(seq, {
        at: time,
        decision,
        id: `01890a5d-ac96-7000-8000-${prefix}${String(seq).padStart(11, '0')}`,
      });
    await upload(a, [
      at(1, base + 5, 'green'),
      at(2, base + 6, 'green'),
      at(3, base + 7, 'red'),
      at(4, base - HOUR, 'amber'),
      at(5, base - 23 * HOUR, 'green'), // the first hour of 24h
      at(6, base - 24 * HOUR, 'green'), // just outside 24h, inside 7d
      at(7, base + HOUR, 'green'), // a lane clock ahead: after the range
    ]);
    await upload(a, [at(1, base + 5, 'green'), at(8, base + 9, 'amber')]); // re-sent + one new
    await upload(b, [at(1, base + 1, 'red', 'b')]);

    const day = await get('/stats/scans?range=24h');
    expect(day.statusCode).toBe(200);
    expect(day.json()).toEqual({
      from: base - 23 * HOUR,
      to: base + HOUR,
      bucketMs: HOUR,
      checkpoints: ['A', 'B', 'C'],
      series: [
        { checkpointId: 'A', hour: base - 23 * HOUR, green: 1, amber: 0, red: 0 },
        { checkpointId: 'A', hour: base - HOUR, green: 0, amber: 1, red: 0 },
        { checkpointId: 'A', hour: base, green: 2, amber: 1, red: 1 },
        { checkpointId: 'B', hour: base, green: 0, amber: 0, red: 1 },
      ],
      totals: { green: 3, amber: 2, red: 2 },
    });
    const week = (await get('/stats/scans?range=7d&checkpoint=A')).json<{
      from: number;
      checkpoints: string[];
      totals: object;
    }>();
    expect(week).toMatchObject({
      from: base - 167 * HOUR,
      checkpoints: ['A'],
      totals: { green: 4, amber: 2, red: 1 },
    });
    // The totals agree with the scans themselves.
    const scans = (await get('/scans?checkpoint=A&limit=1000')).json<{ scans: { at: number }[] }>().scans;
    expect(scans.filter((s) => s.at >= base - 167 * HOUR && s.at < base + HOUR)).toHaveLength(7);
    now += HOUR; // the next hour: the window moves by one
    expect((await get('/stats/scans')).json()).toMatchObject({ from: base - 22 * HOUR, to: base + 2 * HOUR });
    expect((await get('/stats/scans?range=30d')).statusCode).toBe(400);
    expect((await get('/stats/scans?checkpoint=bad%20id!')).statusCode).toBe(400);
  });
});

/** Parses an export body (after checking and removing the BOM) into records. */
function parseCsv(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  const r = new CsvReader();
  return [...r.push(body.slice(1)), ...r.end()].map((x) => [...x.fields]);
}

describe('scan export', () => {
  it('streams CSV with a BOM, RFC 4180 quoting, the formula guard, the latest override and the vehicle', async () => {
    /** The plate scan of the vehicle scan 4 was in (vehicle mode; any record id). */
    const PLATE_SCAN = '01890a5d-ac96-7000-8000-00000000a001';
    t = await buildTestApp({ clock: () => Date.parse('2023-11-14T20:00:00Z') });
    await addCheckpoint(t, 'A');
    const k = await enrollKiosk(t, 'A', 'Làn "1", cổng =bắc');
    const scan = scanRecord(1, {
      decision: 'amber',
      reasons: ['payload_unknown_format'],
      warnings: [],
      subjectKey: null,
      format: null,
    });
    const override = (seq: number, decision: string, note: string) => ({
      type: 'override',
      seq,
      id: `01890a5d-ac96-7000-8000-0000000ff00${seq}`,
      at: 1_700_000_000_100 + seq,
      scanId: scan.id,
      originalDecision: 'amber',
      decision,
      officerId: 'officer-7',
      supervisorId: seq === 3 ? '@sup' : null,
      reason: 'checked_by_hand',
      note,
    });
    await upload(k, [
      scan,
      override(2, 'green', 'first'),
      override(3, 'red', '=HYPERLINK("http://x","y")\nline 2'),
      scanRecord(4, {
        alert: true,
        decision: 'red',
        reasons: ['health_blocked'],
        warnings: ['card_reformatted'],
        vehicleId: PLATE_SCAN,
      }),
    ]);
    const res = await get('/scans/export.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="scans-2023-11-15.csv"');
    expect(res.headers['x-truncated']).toBe('false');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(res.body);
    expect(rows[0]?.join(',')).toBe(
      'received_at,at,checkpoint,lane,source,format,subject_key,decision,reasons,warnings,alert,override_decision,override_officer,override_supervisor,override_reason,override_note,scan_id,override_verified,vehicle_id',
    );
    expect(rows).toHaveLength(3);
    const [, newest, oldest] = rows;
    expect(newest).toEqual([
      '2023-11-14T20:00:00.000Z',
      new Date(1_700_000_000_004).toISOString(),
      'A',
      'Làn "1", cổng =bắc',
      'simulated',
      'personal_id',
      '0000000000000004',
      'red',
      'health_blocked',
      'card_reformatted',
      'true',
      '',
      '',
      '',
      '',
      '',
      scanRecord(4).id,
      '',
      PLATE_SCAN,
    ]);
    expect(oldest?.slice(7)).toEqual([
      'amber',
      'payload_unknown_format',
      '',
      'false',
      'red',
      'officer-7',
      "'@sup",
      'checked_by_hand',
      `'=HYPERLINK("http://x","y")\nline 2`,
      scan.id,
      // officer-7 is on no roster (none was ever written): people could not be checked.
      'false',
      // In no vehicle.
      '',
    ]);
    expect(oldest?.[5]).toBe('');
    // Quoting on the wire: the quoted note keeps its line break inside one record.
    expect(res.body).toContain(`"'=HYPERLINK(""http://x"",""y"")\nline 2"`);
    expect(res.body.split('\r\n')[0]).toBe(`\uFEFF${rows[0]?.join(',') ?? ''}`);
  });

  it('applies the same filters as the search, in the same order, and refuses bad filters alike', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    await addCheckpoint(t, 'B');
    const a = await enrollKiosk(t, 'A');
    const b = await enrollKiosk(t, 'B', 'Lane B');
    // Vehicle mode at A: scan 3 is a plate (naming itself), 4 and 5 its passengers.
    const plate = scanRecord(3).id as string;
    await upload(
      a,
      [1, 2, 3, 4, 5].map((s) =>
        scanRecord(s, {
          decision: s % 2 ? 'green' : 'red',
          subjectKey: s === 2 ? '52d2d0ef9befd516' : null,
          ...(s >= 3 && { vehicleId: plate }),
        }),
      ),
    );
    await upload(
      b,
      [1, 2].map((s) => scanRecord(s, { id: `01890a5d-ac96-7000-8000-0000000b000${s}` })),
    );
    const queries = [
      '',
      '?checkpoint=A',
      `?kiosk=${b.kioskId}`,
      '?decision=red',
      '?from=1700000000002&to=1700000000005',
      `?from=${encodeURIComponent(new Date(1_700_000_000_003).toISOString())}`,
      '?subject=001099012345',
      '?checkpoint=A&decision=green&to=1700000000005',
      `?vehicle=${plate}`,
      `?vehicle=${plate}&decision=green`,
      `?vehicle=${scanRecord(1).id as string}`,
    ];
    for (const q of queries) {
      const search = (await get(`/scans${q}`)).json<{
        scans: { id: string; kioskName: string; vehicleId: string | null }[];
      }>().scans;
      const csv = parseCsv((await get(`/scans/export.csv${q}`)).body).slice(1);
      expect(
        csv.map((r) => r[16]),
        q,
      ).toEqual(search.map((s) => s.id));
      expect(
        csv.map((r) => r[3]),
        q,
      ).toEqual(search.map((s) => s.kioskName));
      expect(
        csv.map((r) => r[18]),
        q,
      ).toEqual(search.map((s) => s.vehicleId ?? ''));
    }
    // The vehicle: its plate scan and passengers, newest first; each scan names its vehicle or null.
    const vehicle = (await get(`/scans?vehicle=${plate}`)).json<{
      scans: { id: string; vehicleId: string | null }[];
    }>().scans;
    expect(vehicle.map((s) => s.id)).toEqual([5, 4, 3].map((n) => scanRecord(n).id));
    expect(vehicle.every((s) => s.vehicleId === plate)).toBe(true);
    const nextPage = (await get(`/scans?vehicle=${plate}&limit=2`)).json<{ nextCursor: string }>().nextCursor;
    expect(
      (await get(`/scans?vehicle=${plate}&limit=2&cursor=${nextPage}`))
        .json<{ scans: { id: string }[] }>()
        .scans.map((s) => s.id),
    ).toEqual([plate]);
    expect(
      (await get('/scans?checkpoint=B')).json<{ scans: { vehicleId: string | null }[] }>().scans,
    ).toMatchObject([{ vehicleId: null }, { vehicleId: null }]);
    expect(
      (await get('/scans?kiosk=' + b.kioskId)).json<{ scans: { kioskName: string }[] }>().scans[0]?.kioskName,
    ).toBe('Lane B');
    for (const bad of [
      '?from=yesterday',
      '?to=2021-13-45',
      '?subject=hello',
      '?decision=blue',
      '?vehicle=xe-1',
    ]) {
      const search = await get(`/scans${bad}`);
      const csv = await get(`/scans/export.csv${bad}`);
      expect([search.statusCode, csv.statusCode], bad).toEqual([400, 400]);
      expect(csv.json<{ error: string }>().error, bad).toBe(search.json<{ error: string }>().error);
    }
    expect((await get('/scans?from=yesterday')).json()).toMatchObject({ error: 'bad_time' });
  });
});

describe('audit filters', () => {
  it('filters by actor, time (ISO or epoch ms) and target prefix (LIKE wildcards taken literally)', async () => {
    let now = 1_700_000_000_000;
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'A'); // checkpoint audit at `now`
    const put = async (subject: string) => {
      now += 1000;
      const res = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/lists/health/entries/${subject}`,
        headers: t.admin,
        payload: { status: 'F0' },
      });
      expect(res.statusCode).toBe(200);
    };
    await put('001099012345'); // +1000
    await put('51F-123.45'); // +2000
    await put('001099012346'); // +3000
    await t.app.services.audit.record(now + 1000, 'alice', 'list.put', 'health_x:100%_sure', null);
    type Rec = { at: number; actor: string; target: string | null };
    const records = async (q: string) => {
      const res = await get(`/audit${q}`);
      expect(res.statusCode, q).toBe(200);
      return res.json<{ records: Rec[] }>().records;
    };
    expect((await records('?actor=alice')).map((r) => r.target)).toEqual(['health_x:100%_sure']);
    expect(await records('?actor=nobody')).toEqual([]);
    const health = (await records('?target=health:')).map((r) => r.target);
    expect(health).toHaveLength(3);
    for (const target of health) expect(target).toMatch(/^health:[0-9a-f]{16}$/);
    // `_` and `%` are not wildcards: "health_" matches only the literal underscore.
    expect((await records('?target=health_')).map((r) => r.actor)).toEqual(['alice']);
    expect((await records(`?target=${encodeURIComponent('health_x:100%')}`)).map((r) => r.actor)).toEqual([
      'alice',
    ]);
    expect(await records(`?target=${encodeURIComponent('health%')}`)).toEqual([]);
    const t0 = 1_700_000_000_000;
    expect((await records(`?from=${t0 + 1000}&to=${t0 + 3000}`)).map((r) => r.at)).toEqual([
      t0 + 2000,
      t0 + 1000,
    ]);
    const iso = encodeURIComponent(new Date(t0 + 2000).toISOString());
    expect((await records(`?from=${iso}&action=list.put`)).map((r) => r.at)).toEqual([
      t0 + 4000,
      t0 + 3000,
      t0 + 2000,
    ]);
    expect((await records('?limit=2')).length).toBe(2);
    const all = await records('');
    expect(all).toHaveLength(5);
    expect(
      (await records(`?before=${String((all[2] as unknown as { id: number }).id)}&target=health:`)).length,
    ).toBe(1);
    expect((await get('/audit?from=not-a-time')).json()).toMatchObject({ error: 'bad_time' });
    expect((await get('/audit?to=2021-02-30T25:00:00Z')).statusCode).toBe(400);
  });
});

describe('reading personal data is audited', () => {
  it('records entry look-ups, subject searches and exports by keyed hash; viewers see no account records', async () => {
    t = await buildTestApp();
    await importCsv(t, 'health', `${H}001099012345,F0,,,A,\n`);
    const get = (url: string, headers: Record<string, string> = t.admin) =>
      t.app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers });
    expect((await get('/lists/health/entries/001099012345')).statusCode).toBe(200);
    expect((await get('/lists/health/entries/001099099999')).statusCode).toBe(404);
    expect((await get('/scans?subject=001099012345')).statusCode).toBe(200);
    expect((await get('/scans?subject=001099012345&cursor=5')).statusCode).toBe(200);
    expect((await get('/scans?decision=red')).statusCode).toBe(200);
    expect((await get('/scans/export.csv?decision=red')).statusCode).toBe(200);
    type Rec = { action: string; target: string | null; details: Record<string, unknown> };
    const records = (await get('/audit')).json<{ records: Rec[] }>().records.reverse();
    const reads = records.filter((r) => /^(list\.lookup|scans\.)/.test(r.action));
    expect(reads).toMatchObject([
      {
        action: 'list.lookup',
        target: expect.stringMatching(/^health:[0-9a-f]{16}$/) as unknown,
        details: { found: true },
      },
      { action: 'list.lookup', details: { found: false } },
      // The first page of a subject search only; plain searches are not personal.
      {
        action: 'scans.search',
        target: null,
        details: { subjectKey: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown },
      },
      { action: 'scans.export', details: { decision: 'red', truncated: false } },
    ]);
    expect(JSON.stringify(records)).not.toContain('001099012345');

    await addAccount(t, 'xem', 'viewer');
    const viewer = await signIn(t, 'xem');
    const seen = (await get('/audit', viewer.cookie)).json<{ records: Rec[] }>().records;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((r) => /^(session|account)\./.test(r.action))).toEqual([]);
    const all = (await get('/audit')).json<{ records: Rec[] }>().records;
    expect(all.some((r) => r.action === 'account.create')).toBe(true);
    expect(all.some((r) => r.action === 'session.login')).toBe(true);
  });
});
