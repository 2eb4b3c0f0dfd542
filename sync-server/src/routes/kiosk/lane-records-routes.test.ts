// Overrides and acknowledgements over HTTP: checked against the central roster and the scan's
// lane, flagged (never refused), alerted, audited, and shown with the scan and the alert.
import { afterEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  scanRecord,
  signIn,
  type TestApp,
  type TestKiosk,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const KEY = '52d2d0ef9befd516'; // keyed hash of 001099012345 under the test key
const id = (n: number) => `01890a5d-ac96-7000-8000-${n.toString(16).padStart(12, '0')}`;

async function upload(k: TestKiosk, records: Record<string, unknown>[]): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/scans',
    headers: k.auth,
    payload: { records },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ ackedThrough: number }>().ackedThrough;
}

async function putOfficer(
  id: string,
  role: 'officer' | 'supervisor',
  checkpoints: string[] | null,
  pin: string,
) {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/admin/officers/${id}`,
    headers: t.admin,
    payload: { name: `Cán bộ ${id}`, role, checkpoints, pin },
  });
  expect(res.statusCode, res.body).toBe(201);
}

const get = async <T>(url: string, headers: Record<string, string> = t.admin): Promise<T> => {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
};

const redScan = (seq: number) =>
  scanRecord(seq, { subjectKey: KEY, decision: 'red', reasons: ['health_blocked'], alert: true });

const override = (seq: number, scanId: string, officerId: string, supervisorId: string | null) => ({
  type: 'override',
  seq,
  id: id(0xf000 + seq),
  at: 1_700_000_000_500 + seq,
  scanId,
  originalDecision: 'red',
  decision: 'green',
  officerId,
  supervisorId,
  reason: 'checked_by_hand',
  note: 'đã gọi y tế',
});

interface AlertItem {
  id: number;
  kind: string;
  kioskId: string;
  scanId: string;
  issues: string[];
  subjectMasked: string | null;
  record: { officerId: string; kioskId: string; verified: boolean | null } | null;
  outcome: { state: string; override: { officerName: string | null; supervisorName: string | null } | null };
}

async function twoCheckpoints() {
  let now = 1_700_000_000_000;
  t = await buildTestApp({ clock: () => now++ });
  await addCheckpoint(t, 'HCM-01');
  await addCheckpoint(t, 'HN-02');
  await putOfficer('an', 'officer', ['HCM-01'], '123456');
  await putOfficer('binh', 'supervisor', null, '567890');
  await importCsv(t, 'health', 'id,status,since,until,name,note\n001099012345,F0,,,Nguyễn Văn A,\n');
  return { hcm: await enrollKiosk(t, 'HCM-01', 'Làn HCM 1'), hn: await enrollKiosk(t, 'HN-02', 'Làn HN 1') };
}

describe('a lane at HN-02 overrides an HCM-01 scan with people who do not exist (issue 11 item 8)', () => {
  it('is stored flagged with the sending lane, raises an override alert, and never blocks the lane', async () => {
    const { hcm, hn } = await twoCheckpoints();
    expect(await upload(hcm, [redScan(1)])).toBe(1);
    const events: { event: string; data: unknown }[] = [];
    t.app.services.hub.addAdmin({
      send: (event, data) => events.push({ event, data }),
      comment: () => undefined,
      close: () => undefined,
    });
    // Its outbox drains: the flagged override and the scan after it are acknowledged.
    expect(await upload(hn, [override(1, id(1), 'o1', 'chief'), scanRecord(2)])).toBe(2);

    const { alerts } = await get<{ alerts: AlertItem[] }>('/alerts?kind=override');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'override',
      kioskId: hn.kioskId,
      scanId: id(1),
      issues: ['scan_other_lane', 'officer_unknown', 'supervisor_unknown'],
      record: { officerId: 'o1', kioskId: hn.kioskId, verified: false },
      subjectMasked: '••••••••2345',
    });
    expect(events.filter((e) => e.event === 'alert').map((e) => (e.data as AlertItem).kind)).toEqual([
      'override',
    ]);

    // Under the scan it is shown flagged, from the lane that sent it; the scan stays pending.
    const { scans } = await get<{
      scans: {
        id: string;
        outcome: { state: string };
        overrides: { kioskId: string; verified: boolean; issues: string[] }[];
      }[];
    }>('/scans?checkpoint=HCM-01');
    expect(scans[0]?.overrides).toEqual([
      expect.objectContaining({ kioskId: hn.kioskId, verified: false, issues: alerts[0]?.issues }),
    ]);
    expect(scans[0]?.outcome.state).toBe('pending');
    // An alert's link: that one scan. The CSV export never takes another lane's override as the scan's.
    const one = await get<{ scans: { id: string }[] }>(`/scans?scan=${id(1)}`);
    expect(one.scans.map((x) => x.id)).toEqual([id(1)]);
    const csv = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/scans/export.csv?checkpoint=HCM-01',
      headers: t.admin,
    });
    expect(csv.body).not.toContain('o1');
    const health = (await get<{ alerts: AlertItem[] }>('/alerts?kind=health')).alerts;
    expect(health.map((a) => a.kind)).toEqual(['health']);
  });

  it('trusts a real release at the lane’s own checkpoint, shows who did it, and audits every health release', async () => {
    const { hcm, hn } = await twoCheckpoints();
    const events: { event: string; data: unknown }[] = [];
    t.app.services.hub.addAdmin({
      send: (event, data) => events.push({ event, data }),
      comment: () => undefined,
      close: () => undefined,
    });
    await upload(hcm, [redScan(1)]);
    await upload(hcm, [override(2, id(1), 'an', 'binh')]);
    await upload(hn, [override(1, id(1), 'o1', 'chief')]);
    // The health alert's outcome, pushed live when the override arrived.
    const pushed = events.filter((e) => e.event === 'alert').map((e) => e.data as AlertItem);
    expect(pushed.map((a) => [a.kind, a.outcome.state])).toEqual([
      ['health', 'pending'],
      ['health', 'overridden'],
      // Another lane's override is no outcome of this scan: its own lane's override is.
      ['override', 'overridden'],
    ]);
    expect(pushed[1]?.outcome.override).toMatchObject({
      officerName: 'Cán bộ an',
      supervisorName: 'Cán bộ binh',
    });
    expect((await get<{ alerts: AlertItem[] }>('/alerts?kind=override')).alerts).toHaveLength(1);

    const { records } = await get<{
      records: { actor: string; target: string; details: Record<string, unknown> }[];
    }>('/audit?action=override.health_release');
    expect(records.map((r) => [r.actor, r.target, r.details['verified'], r.details['officerId']])).toEqual([
      [`kiosk:${hn.kioskId}`, id(1), false, 'o1'],
      [`kiosk:${hcm.kioskId}`, id(1), true, 'an'],
    ]);
    expect(JSON.stringify(records)).not.toContain('001099012345');
  });

  it('stores acknowledgements and shows the scan as acknowledged', async () => {
    const { hcm } = await twoCheckpoints();
    expect(
      await upload(hcm, [
        redScan(1),
        {
          type: 'ack',
          seq: 2,
          id: id(0xa2),
          at: 1_700_000_000_900,
          scanId: id(1),
          decision: 'red',
          note: '',
        },
        scanRecord(3),
      ]),
    ).toBe(3);
    const { alerts } = await get<{ alerts: AlertItem[] }>('/alerts');
    expect(alerts.map((a) => [a.kind, a.outcome.state])).toEqual([['health', 'acknowledged']]);
  });
});

describe('a lane’s clock is not taken on faith', () => {
  it('flags a release backdated to before its supervisor was disabled, and one dated far ahead, never refusing either', async () => {
    const { hcm } = await twoCheckpoints();
    const disabled = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/officers/binh/disable',
      headers: t.admin,
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    // The scan is made 100 s later (the server's clock ticks 1 ms a call); the lane dates the
    // release at the very start, before the disable, and an acknowledgement 20 min ahead.
    const scan = { ...redScan(1), at: 1_700_000_100_000 };
    const backdated = { ...override(2, id(1), 'an', 'binh'), at: 1_700_000_000_001 };
    const ahead = {
      type: 'ack',
      seq: 3,
      id: id(0xa3),
      at: 1_700_000_000_000 + 20 * 60_000,
      scanId: id(1),
      decision: 'red',
      note: '',
    };
    expect(await upload(hcm, [scan, backdated, ahead])).toBe(3);
    const { alerts } = await get<{ alerts: AlertItem[] }>('/alerts?kind=override');
    expect(alerts.map((a) => a.issues).sort()).toEqual([
      ['before_scan', 'supervisor_disabled'],
      ['future_dated'],
    ]);
    const { records } = await get<{ records: { details: Record<string, unknown> }[] }>(
      '/audit?action=override.health_release',
    );
    expect(records.map((r) => r.details['verified'])).toEqual([false]);
  });
});

describe('who an alert is about', () => {
  it('is revealed to admins only, each read audited by keyed hash; viewers are refused', async () => {
    const { hcm } = await twoCheckpoints();
    await upload(hcm, [redScan(1)]);
    const [alert] = (await get<{ alerts: AlertItem[] }>('/alerts')).alerts;
    await addAccount(t, 'lan', 'admin');
    await addAccount(t, 'minh', 'viewer');
    const admin = await signIn(t, 'lan');
    const viewer = await signIn(t, 'minh');
    const url = `/alerts/${alert?.id ?? 0}/subject`;
    expect(await get(url, admin.cookie)).toEqual({
      subject: '001099012345',
      name: 'Nguyễn Văn A',
      list: 'health',
    });
    const refused = await t.app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers: viewer.cookie });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain('001099012345');
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/alerts/999/subject',
      headers: admin.cookie,
    });
    expect(missing.statusCode).toBe(404);
    const { records } = await get<{ records: { actor: string; target: string; details: unknown }[] }>(
      '/audit?action=alert.subject',
    );
    expect(records).toEqual([
      expect.objectContaining({
        actor: 'lan',
        target: String(alert?.id),
        details: { subjectKey: KEY, list: 'health' },
      }),
    ]);
  });
});
