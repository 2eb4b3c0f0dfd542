// Issue 16 on both engines, through the routes: checkpoint locations, replay alerts raised at
// ingest (once per pair of passages), and the arrivals read with its province-scoped accounts.
import type { AlertRecord, ArrivalsAnswer, CheckpointView } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  scanRecord,
  signIn,
  type AnyTestApp,
  type TestEngine,
  type TestKiosk,
} from '../../testing/build-test-app.js';

// Each test enrolls several lanes and uploads to them: slow on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];

const PASS = '0123456789abcdef';
const OTHER_PASS = 'fedcba9876543210';
const T0 = 1_700_000_000_000;
const MIN = 60_000;
/** Hà Nội and TP Hồ Chí Minh: about 1,140 km apart. */
const HANOI = { lat: 21.0285, lon: 105.8542 };
const SAIGON = { lat: 10.7769, lon: 106.7009 };
/** About 50 km from Hà Nội (along the meridian). */
const NEAR_HANOI = { lat: 21.0285 + 0.45, lon: 105.8542 };

let t: AnyTestApp | undefined;
afterEach(async () => {
  const done = t;
  t = undefined;
  await done?.close();
}, 60_000);

async function sql(app: AnyTestApp, text: string, params: readonly unknown[] = []): Promise<void> {
  if (app.engine === 'sqlite') app.db.prepare(text).run(...params);
  else {
    let n = 0;
    await app.pool.query(
      text.replace(/\?/g, () => `$${++n}`),
      [...params],
    );
  }
}

let ids = 0;
/** A scan of a pass with an id of its own (lanes' sequences overlap, record ids never do). */
const passScan = (seq: number, at: number, passId = PASS) =>
  scanRecord(seq, {
    at,
    passId,
    format: 'lane_pass',
    id: `01890a5d-ac96-7000-8001-${(++ids).toString(16).padStart(12, '0')}`,
  });

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip)(`replay alerts and arrivals [${engine}]`, () => {
    const build = async (): Promise<AnyTestApp> => {
      t = await buildTestApp({ engine });
      return t;
    };
    const upload = async (app: AnyTestApp, k: TestKiosk, records: readonly Record<string, unknown>[]) => {
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/scans',
        headers: k.auth,
        payload: { records },
      });
      expect(res.statusCode).toBe(200);
    };
    const replays = async (app: AnyTestApp): Promise<AlertRecord[]> =>
      (
        await app.app.inject({ method: 'GET', url: '/api/v1/admin/alerts?kind=replay', headers: app.admin })
      ).json<{ alerts: AlertRecord[] }>().alerts;

    it('stores a checkpoint location (validated), keeps it when unset and removes it with null', async () => {
      const app = await build();
      await addCheckpoint(app, 'HN', 'open', { location: HANOI });
      const list = async () =>
        (await app.app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: app.admin })).json<{
          checkpoints: CheckpointView[];
        }>().checkpoints;
      expect((await list())[0]?.location).toEqual(HANOI);
      await addCheckpoint(app, 'HN', 'closed');
      expect((await list())[0]).toMatchObject({ mode: 'closed', location: HANOI });
      for (const bad of [{ lat: 91, lon: 0 }, { lat: 0, lon: -181 }, { lat: 1 }, { lat: 'north', lon: 2 }]) {
        const res = await app.app.inject({
          method: 'POST',
          url: '/api/v1/admin/checkpoints',
          headers: app.admin,
          payload: { id: 'HN', name: 'x', mode: 'open', location: bad },
        });
        expect(res.statusCode).toBe(400);
      }
      await addCheckpoint(app, 'HN', 'open', { location: null });
      expect((await list())[0]?.location).toBeNull();
    });

    it('raises one replay alert for one pass at two far checkpoints minutes apart, naming both passages', async () => {
      const app = await build();
      await addCheckpoint(app, 'HN', 'open', { location: HANOI });
      await addCheckpoint(app, 'SG', 'open', { location: SAIGON });
      const hn = await enrollKiosk(app, 'HN', 'Làn HN 1');
      const sg = await enrollKiosk(app, 'SG', 'Làn SG 1');
      await upload(app, hn, [passScan(1, T0)]);
      expect(await replays(app)).toEqual([]);
      const batch = [
        passScan(1, T0 + 10 * MIN),
        scanRecord(2, { at: T0 + 11 * MIN, id: '01890a5d-ac96-7000-8002-000000000002' }),
      ];
      await upload(app, sg, batch);
      const alerts = await replays(app);
      expect(alerts).toHaveLength(1);
      const a = alerts[0]!;
      expect(a).toMatchObject({
        kind: 'replay',
        checkpointId: 'SG',
        kioskId: sg.kioskId,
        subjectKey: null,
        subjectMasked: null,
        raisedBy: 'server',
        replay: {
          earlier: {
            checkpointId: 'HN',
            checkpointName: 'Checkpoint HN',
            kioskId: hn.kioskId,
            kioskName: 'Làn HN 1',
            at: T0,
          },
          later: { checkpointId: 'SG', kioskId: sg.kioskId, kioskName: 'Làn SG 1', at: T0 + 10 * MIN },
        },
      });
      expect(a.replay?.distanceKm).toBeGreaterThan(1100);
      expect(a.replay?.distanceKm).toBeLessThan(1200);
      expect(a.replay?.speedKmh).toBeGreaterThan(6000);
      // Never the person's ID, nor the pass id.
      expect(JSON.stringify(a)).not.toContain(PASS);
      // The batch sent again (the lane never heard the answer): no second alert.
      await upload(app, sg, batch);
      // A later passage at Hà Nội again pairs with the Sài Gòn one: a new pair, a new alert.
      await upload(app, hn, [passScan(2, T0 + 30 * MIN)]);
      const after = await replays(app);
      expect(after).toHaveLength(2);
      expect(after[0]?.replay).toMatchObject({
        earlier: { checkpointId: 'SG' },
        later: { checkpointId: 'HN' },
      });
    });

    it('raises the alert when the earlier passage arrives last, and none for a slow pair, one checkpoint or no location', async () => {
      const app = await build();
      await addCheckpoint(app, 'HN', 'open', { location: HANOI });
      await addCheckpoint(app, 'NEAR', 'open', { location: NEAR_HANOI });
      await addCheckpoint(app, 'SG', 'open', { location: SAIGON });
      await addCheckpoint(app, 'NOWHERE');
      const hn = await enrollKiosk(app, 'HN', 'hn1');
      const hn2 = await enrollKiosk(app, 'HN', 'hn2');
      const near = await enrollKiosk(app, 'NEAR', 'near');
      const sg = await enrollKiosk(app, 'SG', 'sg');
      const nowhere = await enrollKiosk(app, 'NOWHERE', 'nowhere');
      // 50 km in 60 minutes: 50 km/h, no replay. The same checkpoint 1 minute apart: a repeat.
      await upload(app, hn, [passScan(1, T0)]);
      await upload(app, hn2, [passScan(1, T0 + MIN)]);
      await upload(app, near, [passScan(1, T0 + 61 * MIN)]);
      // A checkpoint with no location is never compared.
      await upload(app, nowhere, [passScan(1, T0 + 62 * MIN)]);
      expect(await replays(app)).toEqual([]);
      // Another pass: its later passage (Sài Gòn) stored before its earlier one (Hà Nội).
      await upload(app, sg, [passScan(2, T0 + 200 * MIN, OTHER_PASS)]);
      await upload(app, hn, [passScan(2, T0 + 190 * MIN, OTHER_PASS)]);
      const alerts = await replays(app);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.replay).toMatchObject({
        earlier: { checkpointId: 'HN', at: T0 + 190 * MIN },
        later: { checkpointId: 'SG', at: T0 + 200 * MIN },
      });
    });

    it('lists a ward’s declared arrivals with their passage; a province-scoped account reads only its province, audited', async () => {
      const app = await build();
      await addCheckpoint(app, 'SG', 'open', { location: SAIGON });
      const sg = await enrollKiosk(app, 'SG', 'sg');
      const declare = (id: string, passId: string | null, ward: number) =>
        sql(
          app,
          `INSERT INTO declarations (id, pass_id, pass_key_id, created_at, subject_key, personal_id, full_name, phone,
             from_province, from_district, from_ward, to_province, to_district, to_ward, plate, purpose, travel_date,
             valid_from, valid_until)
           VALUES (?, ?, ?, 1, 42, '001099012345', 'Nguyễn Văn An', '0901234567', 1, 1, 4, 79, 760, ?, '51F12345',
             'work', '2023-11-14', ?, ?)`,
          [id, passId, passId === null ? null : 1, ward, T0 - 60 * MIN, T0 + 24 * 60 * MIN],
        );
      await declare('aaaaaaaaaaaaaaaa', PASS, 26734);
      await declare('bbbbbbbbbbbbbbbb', OTHER_PASS, 26737);
      // Held by the health list: no pass was issued.
      await declare('cccccccccccccccc', null, 26737);
      const red = (seq: number, at: number, passId: string) => ({
        ...passScan(seq, at, passId),
        decision: 'red',
        reasons: ['pass_revoked'],
      });
      // A lane's red (the pass revoked) is no passage: neither counted nor shown, before or after
      // the green one.
      await upload(app, sg, [
        red(1, T0 + 2 * MIN, PASS),
        passScan(2, T0 + 5 * MIN),
        red(3, T0 + 9 * MIN, PASS),
        red(4, T0 + 9 * MIN, OTHER_PASS),
      ]);
      const q = `province=79&district=760&ward=26734&from=${String(T0 - 24 * 60 * MIN)}&to=${String(T0 + 24 * 60 * MIN)}`;
      const res = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/arrivals?${q}`,
        headers: app.admin,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<ArrivalsAnswer>();
      expect(body.arrivals).toHaveLength(1);
      expect(body.arrivals[0]).toMatchObject({
        declarationId: 'aaaaaaaaaaaaaaaa',
        personalId: '001099012345',
        fullName: 'Nguyễn Văn An',
        phone: '0901234567',
        from: { province: 1, district: 1, ward: 4 },
        to: { province: 79, district: 760, ward: 26734 },
        plate: '51F12345',
        travelDate: '2023-11-14',
        passages: 1,
        passage: { checkpointId: 'SG', checkpointName: 'Checkpoint SG', at: T0 + 5 * MIN },
      });
      // The province lists both; the other ward's pass was never scanned.
      const all = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/arrivals?province=79&from=${String(T0)}&to=${String(T0 + MIN)}`,
        headers: app.admin,
      });
      const listed = all.json<ArrivalsAnswer>().arrivals;
      expect(listed.map((a) => [a.declarationId, a.passages, a.passage])).toEqual([
        ['aaaaaaaaaaaaaaaa', 1, expect.anything()],
        ['bbbbbbbbbbbbbbbb', 0, null],
        ['cccccccccccccccc', 0, null],
      ]);
      // A held declaration reads exactly as one whose pass was not used yet: no pass id, no flag.
      expect(JSON.stringify(listed)).not.toContain(PASS);
      expect(JSON.stringify(listed)).not.toContain(OTHER_PASS);
      const { declarationId: _b, ...unscanned } = listed[1]!;
      const { declarationId: _c, ...held } = listed[2]!;
      expect(held).toEqual(unscanned);
      expect(Object.keys(held).sort()).toEqual(Object.keys(unscanned).sort());
      // Outside the window: none.
      const late = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/arrivals?province=79&from=${String(T0 + 30 * 24 * 60 * MIN)}`,
        headers: app.admin,
      });
      expect(late.json<ArrivalsAnswer>().arrivals).toEqual([]);

      // A viewer limited to TP Hồ Chí Minh (79): its own province yes, Hà Nội (1) no.
      await addAccount(app, 'cong.an.hcm', 'viewer');
      const scoped = await app.app.inject({
        method: 'PATCH',
        url: '/api/v1/admin/accounts/cong.an.hcm',
        headers: app.admin,
        payload: { province: 79 },
      });
      expect(scoped.json()).toMatchObject({ province: 79 });
      const s = await signIn(app, 'cong.an.hcm');
      const own = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/arrivals?${q}`,
        headers: s.cookie,
      });
      expect(own.statusCode).toBe(200);
      const other = await app.app.inject({
        method: 'GET',
        url: '/api/v1/admin/arrivals?province=1',
        headers: s.cookie,
      });
      expect(other.statusCode).toBe(403);
      expect(other.json()).toMatchObject({ error: 'forbidden_area' });
      expect(
        (
          await app.app.inject({
            method: 'GET',
            url: '/api/v1/admin/arrivals?province=0',
            headers: app.admin,
          })
        ).statusCode,
      ).toBe(400);
      const audit = await app.app.services.audit.list({ limit: 10, action: 'arrivals.read' });
      expect(audit.map((e) => e.actor)).toContain('cong.an.hcm');
      expect(audit.length).toBe(4);
      expect(JSON.stringify(audit)).not.toContain('001099012345');
    });
  });
}
