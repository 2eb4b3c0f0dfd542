// Issue 17 on both engines, through the routes: a lane's heartbeat gate report in GET /kiosks and
// on the admin stream (`gate`), gate alerts raised from it (`gate_fault`, `gate_red`: no scan, no
// subject) and pushed like other alerts, and staff cards issued to officers, signed with the
// server's list-signing key (verified here with node:crypto against the published public key).
import { createPublicKey, verify } from 'node:crypto';
import {
  parseListSignature,
  parseStaffCard,
  staffCardMessage,
  type AlertRecord,
  type GateReport,
  type LanesAnswer,
  type ListSigningKeysAnswer,
  type StaffCardAnswer,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  signIn,
  type AnyTestApp,
  type TestEngine,
  type TestKiosk,
} from '../../testing/build-test-app.js';

vi.setConfig({ testTimeout: 60_000 });

const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];

let t: AnyTestApp | undefined;
afterEach(async () => {
  const done = t;
  t = undefined;
  await done?.close();
}, 60_000);

function gate(p: Partial<GateReport> & { reds?: number } = {}): GateReport {
  const { reds = 0, ...rest } = p;
  return {
    unattended: true,
    relay: 'serial:/dev/ttyUSB0',
    state: 'idle',
    faults: [],
    counts: { opens: 0, shuts: 1, reds, ambers: 0, repeats: 0, faults: 0, writeFailures: 0, unlocks: 0 },
    ...rest,
  };
}

const DAY_MS = 86_400_000;

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip)(`gates and staff cards [${engine}]`, () => {
    const build = async (): Promise<AnyTestApp> => {
      t = await buildTestApp({ engine });
      await addCheckpoint(t, 'MALL');
      await addCheckpoint(t, 'STATION');
      return t;
    };
    const heartbeat = (app: AnyTestApp, k: TestKiosk, report?: unknown) =>
      app.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/heartbeat',
        headers: k.auth,
        payload: {
          listVersions: { health: 0, whitelist: 0 },
          backlog: 0,
          devices: [{ name: 'relay', kind: 'relay', status: 'ok' }],
          clock: Date.now(),
          ...(report !== undefined && { gate: report }),
        },
      });
    const published = (app: AnyTestApp) => {
      const events: { event: string; data: unknown }[] = [];
      const hub = app.app.services.hub;
      const original = hub.publishAdmin.bind(hub);
      vi.spyOn(hub, 'publishAdmin').mockImplementation((event, data) => {
        // A lane's online state is the fleet monitor's, not this test's.
        if (event !== 'kiosk-status') events.push({ event, data });
        original(event, data);
      });
      return events;
    };
    const alerts = async (app: AnyTestApp, query: string): Promise<AlertRecord[]> => {
      const res = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/alerts?${query}`,
        headers: app.admin,
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ alerts: AlertRecord[] }>().alerts;
    };

    it('shows the gate report, pushes it and raises gate alerts from heartbeats', async () => {
      const app = await build();
      const lane = await enrollKiosk(app, 'MALL', 'Cổng 1');
      const plain = await enrollKiosk(app, 'STATION', 'Làn 2');
      const events = published(app);

      expect((await heartbeat(app, plain)).statusCode).toBe(200);
      // A lane without a gate: no gate event, no gate in the fleet view.
      expect(events).toEqual([]);

      const faulty = gate({ state: 'fault', faults: ['relay_lost'], reds: 1 });
      expect((await heartbeat(app, lane, faulty)).statusCode).toBe(200);
      const fleet = (
        await app.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: app.admin })
      ).json<LanesAnswer>();
      expect(fleet.kiosks.find((k) => k.id === lane.kioskId)?.gate).toEqual(faulty);
      expect(fleet.kiosks.find((k) => k.id === plain.kioskId)).not.toHaveProperty('gate');

      expect(events.map((e) => e.event)).toEqual(['gate', 'alert', 'alert']);
      expect(events[0]?.data).toMatchObject({ kioskId: lane.kioskId, checkpointId: 'MALL', gate: faulty });
      const raised = events.slice(1).map((e) => e.data as AlertRecord);
      expect(raised.map((a) => [a.kind, a.gate?.fault ?? null, a.gate?.reds ?? null])).toEqual([
        ['gate_fault', 'relay_lost', null],
        ['gate_red', null, 1],
      ]);
      for (const a of raised) {
        expect(a).toMatchObject({
          kioskId: lane.kioskId,
          kioskName: 'Cổng 1',
          checkpointId: 'MALL',
          scanId: null,
          subjectMasked: null,
          subjectKey: null,
        });
        expect(a.gate).toMatchObject({ kioskId: lane.kioskId, kioskName: 'Cổng 1', checkpointId: 'MALL' });
      }

      // A lane without a relay board reports `relay: null`, and it stays null.
      const screenOnly = await enrollKiosk(app, 'MALL', 'Cổng 2');
      await heartbeat(app, screenOnly, gate({ relay: null }));
      const kiosks = (
        await app.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: app.admin })
      ).json<LanesAnswer>();
      expect(kiosks.kiosks.find((k) => k.id === screenOnly.kioskId)?.gate?.relay).toBeNull();
      expect(events.at(-1)).toMatchObject({ event: 'gate', data: { gate: { relay: null } } });

      // The same report again: nothing new; the gate event still goes out (the page's live view).
      events.length = 0;
      await heartbeat(app, lane, faulty);
      expect(events.map((e) => e.event)).toEqual(['gate']);

      // The relay is back and two more reds: the fault alert clears (sent again), one red alert.
      events.length = 0;
      await heartbeat(app, lane, gate({ reds: 3 }));
      const [gateEvent, ...rest] = events;
      expect(gateEvent?.event).toBe('gate');
      const after = rest.map((e) => e.data as AlertRecord);
      expect(after.map((a) => [a.kind, a.gate?.reds ?? null, a.gate?.clearedAt ?? null])).toEqual([
        ['gate_red', 2, null],
        ['gate_fault', null, expect.any(Number) as unknown],
      ]);
      expect(after[1]?.id).toBe(raised[0]?.id);

      expect((await alerts(app, 'kind=gate_red&checkpoint=MALL')).map((a) => a.gate?.reds)).toEqual([2, 1]);
      expect(await alerts(app, 'kind=gate_red&checkpoint=STATION')).toEqual([]);
      const ack = await app.app.inject({
        method: 'POST',
        url: `/api/v1/admin/alerts/${String(raised[0]?.id)}/ack`,
        headers: app.admin,
        payload: {},
      });
      expect(ack.statusCode).toBe(200);
      // No subject to reveal: the subject read answers none.
      const subject = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/alerts/${String(raised[0]?.id)}/subject`,
        headers: app.admin,
      });
      expect(subject.json()).toMatchObject({ subject: null, name: null });

      // The lane leaves gate mode: one last gate event (null), then silence.
      events.length = 0;
      await heartbeat(app, lane);
      expect(events).toEqual([
        { event: 'gate', data: expect.objectContaining({ kioskId: lane.kioskId, gate: null }) as unknown },
      ]);
      events.length = 0;
      await heartbeat(app, lane);
      expect(events).toEqual([]);
    });

    it('a flapping fault is one alert, pushed again under its id; back 11 minutes after clearing, a new one', async () => {
      let now = Date.now();
      t = await buildTestApp({ engine, clock: () => now });
      const app = t;
      await addCheckpoint(app, 'MALL');
      const lane = await enrollKiosk(app, 'MALL', 'Cổng 1');
      const events = published(app);
      const lost = gate({ state: 'fault', faults: ['relay_lost'] });
      for (let i = 0; i < 20; i++) {
        now += 5_000;
        expect((await heartbeat(app, lane, lost)).statusCode).toBe(200);
        now += 5_000;
        expect((await heartbeat(app, lane, gate())).statusCode).toBe(200);
      }
      const pushed = events.filter((e) => e.event === 'alert').map((e) => e.data as AlertRecord);
      // Raised once, then each clearing and each return is the same alert again.
      expect(pushed).toHaveLength(40);
      const id = pushed[0]!.id;
      expect(new Set(pushed.map((a) => a.id))).toEqual(new Set([id]));
      expect(pushed.map((a) => a.gate?.flaps ?? 0)).toEqual(
        Array.from({ length: 20 }, (_, i) => [i, i]).flat(),
      );
      const listed = await alerts(app, 'kind=gate_fault&limit=100');
      expect(listed.map((a) => [a.id, a.gate?.flaps, a.gate?.clearedAt])).toEqual([[id, 19, now]]);

      // Acknowledged now, it flaps again at once: still acknowledged; the console gets the update.
      const ack = await app.app.inject({
        method: 'POST',
        url: `/api/v1/admin/alerts/${String(id)}/ack`,
        headers: app.admin,
        payload: {},
      });
      expect(ack.statusCode).toBe(200);
      events.length = 0;
      now += 60_000;
      await heartbeat(app, lane, lost);
      const update = events.filter((e) => e.event === 'alert').map((e) => e.data as AlertRecord);
      expect(update.map((a) => [a.id, a.ackedAt, a.gate?.flaps, a.gate?.clearedAt])).toEqual([
        [id, now - 60_000, 20, null],
      ]);
      now += 60_000;
      await heartbeat(app, lane, gate());
      const cleared = now;

      // Back 11 minutes after clearing: a new alert.
      events.length = 0;
      now += 11 * 60_000;
      await heartbeat(app, lane, lost);
      const fresh = events.filter((e) => e.event === 'alert').map((e) => e.data as AlertRecord);
      expect(fresh).toHaveLength(1);
      expect(fresh[0]?.id).not.toBe(id);
      expect(fresh[0]?.ackedAt).toBeNull();
      expect(fresh[0]?.gate).not.toHaveProperty('flaps');
      expect((await alerts(app, 'kind=gate_fault&limit=100')).map((a) => [a.id, a.gate?.clearedAt])).toEqual([
        [fresh[0]?.id, null],
        [id, cleared],
      ]);
    });

    it('refuses a malformed gate report with 400 and stores nothing', async () => {
      const app = await build();
      const lane = await enrollKiosk(app, 'MALL');
      for (const bad of [
        { ...gate(), state: 'ajar' },
        { ...gate(), faults: ['gremlins'] },
        { ...gate(), counts: { ...gate().counts, reds: -1 } },
        { ...gate(), faults: Array.from({ length: 9 }, () => 'relay_lost') },
        'open',
      ]) {
        const res = await heartbeat(app, lane, bad);
        expect(res.statusCode).toBe(400);
      }
      expect(await alerts(app, 'limit=10')).toEqual([]);
    });

    it('issues staff cards the server’s list-signing key verifies; only for officers of that checkpoint', async () => {
      const app = await build();
      const put = (id: string, checkpoints: string[] | null) =>
        app.app.inject({
          method: 'PUT',
          url: `/api/v1/admin/officers/${id}`,
          headers: app.admin,
          payload: {
            name: `Cán bộ ${id}`,
            role: 'officer',
            pin: id === 'o-1' ? '482913' : '739164',
            checkpoints,
          },
        });
      expect((await put('o-1', ['MALL'])).statusCode).toBe(201);
      expect((await put('o-2', null)).statusCode).toBe(201);
      const card = (id: string, body: Record<string, unknown>, headers: Record<string, string> = app.admin) =>
        app.app.inject({
          method: 'POST',
          url: `/api/v1/admin/officers/${id}/staff-card`,
          headers,
          payload: body,
        });

      const before = Date.now();
      const res = await card('o-1', { checkpointId: 'MALL' });
      expect(res.statusCode).toBe(200);
      const answer = res.json<StaffCardAnswer>();
      expect(answer).toMatchObject({ officerId: 'o-1', checkpointId: 'MALL' });
      expect(answer.expiresAt - answer.issuedAt).toBe(30 * DAY_MS);
      expect(answer.issuedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);

      // The lane's check, done here with node:crypto: the signature verifies under the key the
      // server publishes, over staffCardMessage of the card the text carries.
      const parsed = parseStaffCard(answer.text);
      expect(parsed?.card).toEqual({
        checkpointId: 'MALL',
        officerId: 'o-1',
        cardId: answer.cardId,
        issuedAt: answer.issuedAt / 1000,
        expiresAt: answer.expiresAt / 1000,
      });
      const sig = parseListSignature(parsed?.signature ?? '');
      expect(sig?.keyId).toBe(answer.keyId);
      const keys = (
        await app.app.inject({ method: 'GET', url: '/api/v1/admin/lists/signing-keys', headers: app.admin })
      ).json<ListSigningKeysAnswer>();
      const key = keys.keys.find((k) => k.id === sig?.keyId);
      expect(key).toBeDefined();
      const publicKey = createPublicKey({
        key: Buffer.concat([
          Buffer.from('302a300506032b6570032100', 'hex'),
          Buffer.from(key?.publicKey ?? '', 'base64'),
        ]),
        format: 'der',
        type: 'spki',
      });
      const message = Buffer.from(staffCardMessage(parsed!.card), 'utf8');
      const signature = Buffer.from(sig?.signature ?? '', 'base64');
      expect(verify(null, message, publicKey, signature)).toBe(true);
      // A card altered to another checkpoint does not verify.
      const forged = Buffer.from(staffCardMessage({ ...parsed!.card, checkpointId: 'STATION' }), 'utf8');
      expect(verify(null, forged, publicKey, signature)).toBe(false);

      // Days, and an officer of every checkpoint.
      const long = (await card('o-2', { checkpointId: 'STATION', days: 90 })).json<StaffCardAnswer>();
      expect(long.expiresAt - long.issuedAt).toBe(90 * DAY_MS);
      expect(long.cardId).not.toBe(answer.cardId);

      // Refusals, each with its code.
      const refused = async (id: string, body: Record<string, unknown>, status: number, error?: string) => {
        const r = await card(id, body);
        expect(r.statusCode, r.body).toBe(status);
        if (error) expect(r.json<{ error: string }>().error).toBe(error);
      };
      await refused('o-1', { checkpointId: 'STATION' }, 409, 'officer_not_here');
      await refused('nobody', { checkpointId: 'MALL' }, 404, 'unknown_officer');
      await refused('o-2', { checkpointId: 'NOWHERE' }, 400, 'unknown_checkpoint');
      await refused('o-1', { checkpointId: 'MALL', days: 91 }, 400);
      await refused('o-1', { checkpointId: 'MALL', days: 0 }, 400);
      await refused('o-1', {}, 400);
      await app.app.inject({ method: 'POST', url: '/api/v1/admin/officers/o-2/disable', headers: app.admin });
      await refused('o-2', { checkpointId: 'MALL' }, 409, 'officer_disabled');

      // Viewers may not issue cards.
      await addAccount(app, 'xem', 'viewer');
      const viewer = await signIn(app, 'xem');
      expect((await card('o-1', { checkpointId: 'MALL' }, viewer.write)).statusCode).toBe(403);

      // Audited: officer, checkpoint, card id, expiry; never a PIN.
      const audit = (
        await app.app.inject({
          method: 'GET',
          url: '/api/v1/admin/audit?action=officer.staff_card',
          headers: app.admin,
        })
      ).json<{ records: { target: string; details: Record<string, unknown> }[] }>().records;
      expect(audit.map((r) => r.target)).toEqual(['o-2', 'o-1']);
      expect(audit[1]?.details).toEqual({
        checkpointId: 'MALL',
        cardId: answer.cardId,
        expiresAt: answer.expiresAt,
        keyId: answer.keyId,
      });
      expect(JSON.stringify(audit)).not.toMatch(/482913|739164/);
    });
  });
}

describe('/openapi.json', () => {
  it('documents the staff card route', async () => {
    t = await buildTestApp();
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.paths['/api/v1/admin/officers/{id}/staff-card']).toHaveProperty('post');
  });
});
