// The trace routes on both engines: scans uploaded by enrolled lanes through POST /kiosk/scans,
// a trace started (202), polled to done, paged and filtered, exported, promoted into the health
// list (one version), deleted; bad input answers 400, viewers 403, and the audit log records it.
import type { TraceView } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  signIn,
  type AnyTestApp,
  type TestEngine,
} from '../../testing/build-test-app.js';
import {
  STORY_FROM,
  STORY_LANES,
  STORY_TO,
  storyRecords,
  T0,
  traceStory,
  WHO,
} from '../../tracing/trace-story.testkit.js';

// Traces run in worker threads started from TypeScript source: seconds each on a busy machine.
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

const iso = (ms: number): string => new Date(ms).toISOString();

/** Builds the app, its checkpoints and lanes, and uploads the story through the kiosk API. */
async function storyApp(engine: TestEngine, traceHop2Max?: number): Promise<AnyTestApp> {
  const a = await buildTestApp({ engine, ...(traceHop2Max !== undefined && { traceHop2Max }) });
  t = a;
  for (const cp of new Set(Object.values(STORY_LANES))) await addCheckpoint(a, cp);
  const sealKey = a.app.services.scanSeal.publicKeyBase64();
  for (const [lane, records] of storyRecords(traceStory(), sealKey)) {
    const k = await enrollKiosk(a, STORY_LANES[lane] as string, lane);
    for (let i = 0; i < records.length; i += 1000) {
      const res = await a.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/scans',
        headers: k.auth,
        payload: { records: records.slice(i, i + 1000) },
      });
      expect(res.statusCode).toBe(200);
    }
  }
  return a;
}

const post = (a: AnyTestApp, url: string, payload: unknown, headers: Record<string, string> = a.admin) =>
  a.app.inject({ method: 'POST', url: `/api/v1/admin${url}`, headers, payload: payload as object });
const get = (a: AnyTestApp, url: string, headers: Record<string, string> = a.admin) =>
  a.app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers });

/** Polls a trace until it is no longer running (20 s at most). */
async function settled(a: AnyTestApp, id: string, query = ''): Promise<TraceView> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await get(a, `/traces/${id}${query}`);
    expect(res.statusCode).toBe(200);
    const view = res.json<TraceView>();
    if (view.status !== 'running' || Date.now() > until) return view;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function audit(a: AnyTestApp, action: string) {
  return a.app.services.audit.list({ limit: 50, action });
}

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip)(`trace routes on ${engine}`, () => {
    // On SQLite (a file) each trace starts a worker thread, a second at least from source: the two
    // are still running when the third is asked. The PostgreSQL test app runs this small story's
    // traces in its own thread, done before the third request.
    it.skipIf(engine !== 'sqlite')(
      'refuses a third trace while two run, with 503 trace_busy and Retry-After',
      async () => {
        const a = await storyApp(engine);
        const body = { subjects: ['079000000001'], from: iso(STORY_FROM), to: iso(STORY_TO) };
        const answers = await Promise.all([
          post(a, '/traces', body),
          post(a, '/traces', body),
          post(a, '/traces', body),
        ]);
        expect(answers.map((r) => r.statusCode)).toEqual([202, 202, 503]);
        expect(answers[2].json()).toMatchObject({ error: 'trace_busy' });
        expect(answers[2].headers['retry-after']).toBe('30');
        for (const r of answers.slice(0, 2)) await settled(a, r.json<{ id: string }>().id);
        expect((await post(a, '/traces', body)).statusCode).toBe(202);
      },
    );

    it('keeps hop 1 and names the limit when hop 1 finds more contacts than hop 2 follows', async () => {
      const a = await storyApp(engine, 2);
      const started = await post(a, '/traces', {
        subjects: ['079000000001', '079000000002'],
        from: iso(STORY_FROM),
        to: iso(STORY_TO),
        hops: 2,
      });
      expect(started.statusCode).toBe(202);
      const { id } = started.json<{ id: string }>();
      const done = await settled(a, id);
      expect(done).toMatchObject({ status: 'done', hop2Skipped: 2, error: null });
      expect(done.contactCount).toBeGreaterThan(2);
      expect(done.contacts.every((c) => c.hop === 1)).toBe(true);
      const listed = (await get(a, '/traces')).json<{
        traces: { id: string; hop2Skipped?: number | null }[];
      }>();
      expect(listed.traces.find((x) => x.id === id)?.hop2Skipped).toBe(2);
    });

    it('runs a trace in the background, pages and filters its contacts, exports and deletes it', async () => {
      const a = await storyApp(engine);
      const started = await post(a, '/traces', {
        // Typed as people type them: spaces and dashes are read as the CSV import reads them.
        subjects: ['0790 0000 0001', '079-000-000-002', '079000000001'],
        from: iso(STORY_FROM),
        to: iso(STORY_TO),
        hops: 2,
      });
      expect(started.statusCode).toBe(202);
      const { id, indexCount } = started.json<{ id: string; indexCount: number }>();
      expect(indexCount).toBe(2);

      const done = await settled(a, id);
      expect(done).toMatchObject({
        status: 'done',
        progress: 1,
        error: null,
        hop2Skipped: null,
        offset: 0,
        limit: 100,
      });
      expect(done.params).toMatchObject({
        from: STORY_FROM,
        to: STORY_TO,
        windowMinutes: 15,
        hops: 2,
        indexCount: 2,
      });
      expect(done.total).toBe(done.contactCount);
      const bySubject = new Map(done.contacts.map((c) => [c.subject, c]));
      expect(bySubject.get(WHO.near)).toMatchObject({
        hop: 1,
        via: 'lane',
        subjectKind: 'personal_id',
        evidence: expect.arrayContaining([
          expect.objectContaining({ checkpointId: 'CP1', indexSubject: WHO.f0a, at: T0 + 60_000 }),
        ]) as unknown,
      });
      expect(bySubject.get(WHO.hop2)).toMatchObject({ hop: 2, via: 'lane' });
      for (const who of [WHO.plate, WHO.passenger, WHO.latePassenger])
        expect(bySubject.get(who)).toMatchObject({ hop: 1, via: 'vehicle' });
      for (const who of [WHO.f0a, WHO.f0b, WHO.hourLater, WHO.otherCheckpoint, WHO.beforePeriod])
        expect(bySubject.get(who)?.hop ?? 0).not.toBe(1);

      // Pages: disjoint, together the whole.
      const p1 = (await get(a, `/traces/${id}?limit=3`)).json<TraceView>();
      const p2 = (await get(a, `/traces/${id}?limit=3&offset=3`)).json<TraceView>();
      expect(p1.contacts).toHaveLength(3);
      expect(p2.total).toBe(done.total);
      const keys = [...p1.contacts, ...p2.contacts].map((c) => c.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(done.contacts.slice(0, keys.length).map((c) => c.key)).toEqual(keys);
      // Filters.
      const hop2 = (await get(a, `/traces/${id}?hop=2`)).json<TraceView>();
      expect(hop2.contacts.every((c) => c.hop === 2)).toBe(true);
      expect(hop2.contacts.map((c) => c.subject)).toContain(WHO.hop2);
      const vehicle = (await get(a, `/traces/${id}?via=vehicle`)).json<TraceView>();
      expect(vehicle.contacts.every((c) => c.via === 'vehicle')).toBe(true);
      expect(vehicle.contacts.map((c) => c.subject)).toEqual(
        expect.arrayContaining([WHO.plate, WHO.passenger, WHO.latePassenger]),
      );
      const cp2 = (await get(a, `/traces/${id}?checkpointId=CP2`)).json<TraceView>();
      expect(cp2.total).toBeGreaterThan(0);
      expect(cp2.total).toBeLessThan(done.total);
      expect(cp2.contacts.every((c) => c.evidence.some((e) => e.checkpointId === 'CP2'))).toBe(true);

      // The list, newest first.
      const list = await get(a, '/traces');
      expect(list.json<{ traces: { id: string }[] }>().traces[0]?.id).toBe(id);

      // CSV: one line per evidence piece, audited.
      const csv = await get(a, `/traces/${id}/contacts.csv?hop=1`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      const lines = csv.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).toBe(
        'subject,subject_key,hop,via,checkpoint,lane,at,index_subject,index_at,vehicle_id',
      );
      expect(lines.some((l) => l.startsWith(`${WHO.near},`) && l.includes(`,${WHO.f0a},`))).toBe(true);
      expect(lines.slice(1).every((l) => l.split(',')[2] === '1')).toBe(true);
      const run = await audit(a, 'trace.run');
      expect(run[0]).toMatchObject({ target: `trace:${id}` });
      expect(JSON.stringify(run[0])).not.toContain('079000000001');
      expect((await audit(a, 'trace.export'))[0]).toMatchObject({ target: `trace:${id}` });

      // Delete.
      const del = await a.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/traces/${id}`,
        headers: a.admin,
      });
      expect(del.statusCode).toBe(204);
      expect((await get(a, `/traces/${id}`)).statusCode).toBe(404);
      expect((await audit(a, 'trace.delete'))[0]).toMatchObject({ target: `trace:${id}` });
    });

    it('promotes chosen contacts as F1 in one health list version, audited with the trace id', async () => {
      const a = await storyApp(engine);
      const { id } = (
        await post(a, '/traces', { subjects: [WHO.f0a, WHO.f0b], from: iso(STORY_FROM), to: iso(STORY_TO) })
      ).json<{ id: string }>();
      expect((await settled(a, id)).status).toBe('done');
      const before = (await a.app.services.lists.state('health')).version;
      // Not contacts: an index subject, someone the trace did not find.
      const refused = await post(a, `/traces/${id}/promote`, {
        subjects: [WHO.near, WHO.f0a, WHO.hourLater],
        status: 'F1',
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({
        error: 'not_contacts',
        message: `2 subject(s) are not contacts of this trace: #2 ${WHO.f0a}, #3 ${WHO.hourLater}`,
      });
      expect((await a.app.services.lists.state('health')).version).toBe(before);

      const promoted = await post(a, `/traces/${id}/promote`, {
        subjects: [WHO.near, WHO.passenger, WHO.plate],
        status: 'F1',
        until: '2026-12-15',
      });
      expect(promoted.statusCode).toBe(200);
      expect(promoted.json()).toEqual({ version: before + 1, promoted: 3, skipped: 0 });
      expect((await a.app.services.lists.state('health')).version).toBe(before + 1);
      const entry = await get(a, `/lists/health/entries/${WHO.passenger}`);
      expect(entry.json()).toMatchObject({ status: 'F1', version: before + 1 });
      expect(entry.json<{ until: number }>().until).toBe(Date.UTC(2026, 11, 15, 17) - 1);
      const rec = (await audit(a, 'trace.promote'))[0];
      expect(rec).toMatchObject({ target: `trace:${id}` });
      expect(JSON.stringify(rec)).toContain(`"version":${before + 1}`);
      expect(JSON.stringify(rec)).not.toContain(WHO.near);

      // Promoting F2 over an F1 lowers nothing: skipped, no version.
      const again = await post(a, `/traces/${id}/promote`, { subjects: [WHO.near], status: 'F2' });
      expect(again.json()).toEqual({ version: before + 1, promoted: 0, skipped: 1 });
    });

    it('answers 400 to bad input, 404 to unknown traces and 403 to viewers', async () => {
      const a = await storyApp(engine);
      const bad = await post(a, '/traces', { subjects: [WHO.f0a, 'nobody', '12345'] });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({
        error: 'bad_subjects',
        message:
          '2 subject(s) are not a 12-digit personal ID, a passport number or a vehicle plate: #2 nobody, #3 12345',
      });
      // Many: the first 20 named, the rest counted.
      const many = await post(a, '/traces', { subjects: Array.from({ length: 25 }, (_, i) => `x${i}`) });
      expect(many.json<{ message: string }>().message).toMatch(/: #1 x0, .*#20 x19 and 5 more$/);
      const cases: [unknown, string][] = [
        [{ subjects: [] }, 'no_subjects'],
        [{ subjects: [WHO.f0a], from: 'yesterday' }, 'bad_time'],
        [{ subjects: [WHO.f0a], from: '2026-11-21', to: '2026-11-20' }, 'bad_period'],
        [{ subjects: [WHO.f0a], hops: 3 }, 'bad_request'],
        [{ subjects: [WHO.f0a], windowMinutes: 0 }, 'bad_request'],
        [{ subjects: Array.from({ length: 10_001 }, () => WHO.f0a) }, 'bad_request'],
        // Ajv coerces a lone string into an array of one: then it is a bad subject.
        [{ subjects: 'x' }, 'bad_subjects'],
        [{}, 'bad_request'],
      ];
      for (const [body, error] of cases) {
        const res = await post(a, '/traces', body);
        expect([res.statusCode, res.json<{ error: string }>().error]).toEqual([400, error]);
      }
      const notJson = await a.app.inject({
        method: 'POST',
        url: '/api/v1/admin/traces',
        headers: { ...a.admin, 'content-type': 'application/json' },
        payload: '{"subjects": [',
      });
      expect(notJson.statusCode).toBe(400);
      expect((await get(a, '/traces/nope')).statusCode).toBe(404);
      expect((await get(a, '/traces/nope?limit=5000')).statusCode).toBe(400);
      expect((await post(a, '/traces/nope/promote', { subjects: [WHO.near], status: 'F1' })).statusCode).toBe(
        404,
      );
      expect((await post(a, '/traces/x/promote', { subjects: [WHO.near], status: 'F0' })).statusCode).toBe(
        400,
      );

      const { id } = (await post(a, '/traces', { subjects: [WHO.f0a] })).json<{ id: string }>();
      await addAccount(a, 'vera', 'viewer');
      const viewer = await signIn(a, 'vera');
      for (const url of ['/traces', `/traces/${id}`, `/traces/${id}/contacts.csv`]) {
        expect((await get(a, url, viewer.cookie)).statusCode).toBe(403);
      }
      expect((await post(a, '/traces', { subjects: [WHO.f0a] }, viewer.write)).statusCode).toBe(403);
      expect(
        (await post(a, `/traces/${id}/promote`, { subjects: [WHO.near], status: 'F1' }, viewer.write))
          .statusCode,
      ).toBe(403);
      const del = await a.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/traces/${id}`,
        headers: viewer.write,
      });
      expect(del.statusCode).toBe(403);
      // An admin account may.
      await addAccount(a, 'adam', 'admin');
      const admin = await signIn(a, 'adam');
      expect((await get(a, `/traces/${id}`, admin.cookie)).statusCode).toBe(200);
    });

    it('shows a running trace its server stopped updating as failed, server lost', async () => {
      const a = await buildTestApp({ engine });
      t = a;
      const now = Date.now();
      await a.app.services.store.traces.create({
        id: 'orphan',
        createdAt: now - 200_000,
        createdBy: 'test',
        params: { indexKeys: [1n], from: 0, to: now, windowMinutes: 15, hops: 1 },
        indexSeals: new Map(),
      });
      await a.app.services.store.traces.progress('orphan', 0.4, now - 121_000);
      expect((await get(a, '/traces/orphan')).json()).toMatchObject({
        status: 'failed',
        error: 'server lost',
        progress: 0.4,
        contacts: [],
      });
      expect((await get(a, '/traces')).json()).toMatchObject({
        traces: [{ id: 'orphan', status: 'failed' }],
      });
      const csv = await get(a, '/traces/orphan/contacts.csv');
      expect([csv.statusCode, csv.json<{ error: string }>().error]).toEqual([409, 'trace_not_done']);
    });

    it('indexes the F0s written to the health list since f0Since', async () => {
      const a = await storyApp(engine);
      await importCsv(a, 'health', 'id,status,since,until,name,note\n079000000099,F0,,,,\n');
      const since = Date.now();
      await new Promise((r) => setTimeout(r, 5));
      const imported = await importCsv(
        a,
        'health',
        `id,status,since,until,name,note\n${WHO.f0a},F0,,,,\n${WHO.near},F1,,,,\n`,
      );
      expect(imported.statusCode).toBe(200);
      const started = await post(a, '/traces', {
        subjects: [],
        f0Since: iso(since),
        from: iso(STORY_FROM),
        to: iso(STORY_TO),
      });
      expect(started.statusCode).toBe(202);
      const { id, indexCount } = started.json<{ id: string; indexCount: number }>();
      // f0a only: the F0 written before, and the F1, are not index subjects.
      expect(indexCount).toBe(1);
      const done = await settled(a, id);
      expect(done.contacts.map((c) => c.subject)).toContain(WHO.near);
      expect(done.contacts.map((c) => c.subject)).not.toContain(WHO.passenger);
      const none = await post(a, '/traces', { subjects: [], f0Since: iso(Date.now() + 60_000) });
      expect(none.json()).toMatchObject({ error: 'no_subjects' });
    });
  });
}
