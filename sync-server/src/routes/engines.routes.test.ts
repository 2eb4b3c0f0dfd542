// The routes that matter most, run once per storage engine: embedded SQLite and fleet-mode
// PostgreSQL (a fresh test database, its store and a started PgFleetBus). The PostgreSQL run is
// skipped only when pgUnavailable() allows it (never under CI or CHECKPOINT_REQUIRE_PG).
import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import {
  canonicalRosterLine,
  decodeSnapshot,
  parseListSignature,
  rosterMessage,
  type ListSigningKey,
  type OfficerRoster,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../app.js';
import { hashToken } from '../auth/tokens.js';
import { pgUnavailable, TEST_PG_URL } from '../db/pg/pg-database.testkit.js';
import { openPgStore } from '../db/pg/pg-store.js';
import { FLEET_KEY_SETTING, newFleetKey } from '../events/fleet-bus.js';
import { PgFleetBus } from '../events/pg-fleet-bus.js';
import { laneSubjectKey } from '../lists/rekey.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  scanRecord,
  signIn,
  TEST_PASSWORD,
  type AnyTestApp,
  type TestAppOptions,
  type TestEngine,
  type TestKiosk,
} from '../testing/build-test-app.js';

const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];

const H = 'id,status,since,until,name,note\n';
const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');
/** The index key of 001099012345 under the test app's list key (as lists-routes.test.ts has it). */
const KEY_345 = '52d2d0ef9befd516';

let t: AnyTestApp | undefined;
const opened: { destroy(): void }[] = [];
// Closing a PostgreSQL app drops its database: slow on a loaded machine.
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  const done = t;
  t = undefined;
  await done?.close();
}, 60_000);

/** The current test app (set by each test's `build`). */
function app(): AnyTestApp {
  if (!t) throw new Error('no test app');
  return t;
}

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

const adminGet = (url: string, headers: Record<string, string> = app().admin) =>
  app().app.inject({ method: 'GET', url: `/api/v1/admin${url}`, headers });

async function listState(list: string): Promise<{ version: number; count: number }> {
  const found = (await adminGet('/lists'))
    .json<{ lists: { list: string; version: number; count: number }[] }>()
    .lists.find((l) => l.list === list);
  if (!found) throw new Error('no list');
  return found;
}

async function auditRecords(query = ''): Promise<{ action: string; actor: string; target: string | null }[]> {
  const res = await adminGet(`/audit${query}`);
  expect(res.statusCode).toBe(200);
  return res.json<{ records: { action: string; actor: string; target: string | null }[] }>().records;
}

/** The list key a lane is sent (its id and bytes). */
async function laneKey(k: TestKiosk): Promise<{ keyId: number; key: Buffer }> {
  const res = await app().app.inject({ method: 'GET', url: '/api/v1/kiosk/list-key', headers: k.auth });
  expect(res.statusCode).toBe(200);
  const body = res.json<{ keyId: number; listKey: string }>();
  return { keyId: body.keyId, key: Buffer.from(body.listKey, 'base64') };
}

/** The key a lane holds a personal ID's entry under (hex), as a lane computes it. */
const laneKeyHex = (key: Buffer, id: string): string =>
  createHmac('sha256', key).update(`personal_id:${id}`, 'utf8').digest().subarray(0, 8).toString('hex');

async function changes(k: TestKiosk, list: string, since: number, keyId: number) {
  return app().app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/changes?since=${since}&keyId=${keyId}`,
    headers: k.auth,
  });
}

async function upload(k: TestKiosk, records: Record<string, unknown>[]) {
  return app().app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/scans',
    headers: k.auth,
    payload: { records },
  });
}

/** Whether `signature` is a valid signature by one of `keys` over `message`. */
function verifies(keys: readonly ListSigningKey[], message: string, signature: string | undefined): boolean {
  const parsed = signature === undefined ? null : parseListSignature(signature);
  const key = keys.find((k) => k.id === parsed?.keyId);
  if (parsed === null || key === undefined) return false;
  const pub = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });
  return verify(null, Buffer.from(message, 'utf8'), pub, Buffer.from(parsed.signature, 'base64'));
}

/** An event stream read over real HTTP: the events so far, parsed. */
interface SseReader {
  readonly events: { event: string; data: unknown }[];
  /** The first event named `event` after the ones already taken by `next`. */
  next(event: string, ms?: number): Promise<unknown>;
  readonly res: IncomingMessage;
}

function openSse(port: number, path: string, headers: Record<string, string>): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`event stream answered ${String(res.statusCode)}`));
        return;
      }
      opened.push(res);
      const events: { event: string; data: unknown }[] = [];
      let taken = 0;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') events.push({ event, data: JSON.parse(data) as unknown });
        }
      });
      resolve({
        events,
        res,
        async next(event, ms = 20_000) {
          const end = Date.now() + ms;
          for (;;) {
            const i = events.findIndex((e, n) => n >= taken && e.event === event);
            if (i >= 0) {
              taken = i + 1;
              return events[i]?.data;
            }
            if (Date.now() > end) throw new Error(`no ${event} event within ${ms} ms`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip)(`on ${engine}`, () => {
    const build = async (options: Partial<TestAppOptions> = {}): Promise<AnyTestApp> => {
      t = await buildTestApp({ ...options, engine });
      return t;
    };

    it('serves /health with 200', async () => {
      const a = await build();
      const res = await a.app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ok' });
    });

    it('imports a list CSV all-or-nothing, partially, previewed (dryRun, expectSha256)', async () => {
      const a = await build();
      const bad =
        H +
        '001099012345,F0,2021-09-18,,Nguyễn Văn A,\n' + // 2 ok
        '001099012346,F9,,,,\n' + // 3 unknown status
        '12345,F1,,,,\n' + // 4 bad id
        '001099012351,recovered,,,,\n'; // 5 ok
      const refused = await importCsv(a, 'health', bad);
      expect(refused.statusCode).toBe(422);
      expect(refused.json<Report>()).toMatchObject({ applied: false, accepted: 0, rejectedTotal: 2 });
      expect(refused.json<Report>().rejected.map((r) => r.line)).toEqual([3, 4]);
      expect(await listState('health')).toMatchObject({ version: 0, count: 0 });

      const partial = await importCsv(a, 'health', bad, '?partial=true');
      expect(partial.statusCode).toBe(200);
      expect(partial.json<Report>()).toMatchObject({
        version: 1,
        accepted: 2,
        rejectedTotal: 2,
        applied: true,
      });
      expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
      const entry = await adminGet('/lists/health/entries/001099012345');
      expect(entry.json()).toMatchObject({ key: KEY_345, status: 'F0', name: 'Nguyễn Văn A', version: 1 });

      const next = `${H}001099012347,F1,,,,\n001099012348,F2,,,,\n`;
      const dry = await importCsv(a, 'health', next, '?dryRun=true');
      expect(dry.statusCode).toBe(200);
      expect(dry.json<Report>()).toEqual({
        version: 1,
        accepted: 2,
        rejected: [],
        rejectedTotal: 0,
        applied: false,
        dryRun: true,
        sha256: sha256(next),
        rows: 2,
      });
      expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
      const changed = await importCsv(a, 'health', next.replace('F1', 'F0'), `?expectSha256=${sha256(next)}`);
      expect(changed.statusCode).toBe(409);
      expect(changed.json()).toMatchObject({ error: 'file_changed' });
      expect(await listState('health')).toMatchObject({ version: 1, count: 2 });
      const commit = await importCsv(a, 'health', next, `?expectSha256=${sha256(next)}`);
      expect(commit.json<Report>()).toMatchObject({ version: 2, accepted: 2, applied: true });
      expect(await listState('health')).toMatchObject({ version: 2, count: 4 });

      const replaced = await importCsv(a, 'health', `${H}001099012348,F0,,,,\n`, '?replace=true');
      expect(replaced.json<Report>()).toMatchObject({ version: 3, accepted: 1 });
      expect(await listState('health')).toMatchObject({ version: 3, count: 1 });
      const history = (await adminGet('/lists/health/history')).json<{
        versions: { version: number; action: string; changes: number }[];
      }>().versions;
      expect(history.map((v) => [v.version, v.action, v.changes])).toEqual([
        [3, 'list.import', 4],
        [2, 'list.import', 2],
        [1, 'list.import', 2],
      ]);
    });

    it('imports a 20k-row file as one version', async () => {
      const a = await build();
      const rows = Array.from(
        { length: 20_000 },
        (_, i) => `0790${String(i).padStart(8, '0')},${i % 3 === 0 ? 'F0' : 'F2'},2021-09-18,,Tên ${i},`,
      );
      const res = await importCsv(a, 'health', H + rows.join('\n'));
      expect(res.statusCode).toBe(200);
      expect(res.json<Report>()).toMatchObject({
        version: 1,
        accepted: 20_000,
        rejectedTotal: 0,
        rows: 20_000,
      });
      expect(await listState('health')).toMatchObject({ version: 1, count: 20_000 });
      const last = await adminGet('/lists/health/entries/079000019998');
      expect(last.json()).toMatchObject({ status: 'F0', name: 'Tên 19998', version: 1 });
    });

    it('puts and deletes single entries, each a version with an audit record', async () => {
      const a = await build();
      const put = await a.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: a.admin,
        payload: { status: 'F0', since: '2021-09-18', name: 'A' },
      });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toEqual({ list: 'health', version: 1, key: KEY_345 });
      const wl = await a.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/lists/whitelist/entries/51F-123.45',
        headers: a.admin,
        payload: { category: 'green_lane', validUntil: '2021-12-31', checkpoints: ['A'] },
      });
      expect(wl.statusCode).toBe(200);
      expect(wl.json()).toMatchObject({ list: 'whitelist', version: 1 });
      const del = await a.app.inject({
        method: 'DELETE',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: a.admin,
      });
      expect(del.json()).toEqual({ list: 'health', version: 2, key: KEY_345 });
      const again = await a.app.inject({
        method: 'DELETE',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: a.admin,
      });
      expect(again.statusCode).toBe(404);
      expect((await adminGet('/lists/health/entries/001099012345')).statusCode).toBe(404);
      const targets = (await auditRecords('?action=list.put')).map((r) => r.target ?? '');
      expect(targets.filter((x) => x.startsWith('health:'))).toEqual([`health:${KEY_345}`]);
      expect(targets.filter((x) => !x.startsWith('health:'))).toEqual([
        expect.stringMatching(/^whitelist:[0-9a-f]{16}$/) as unknown,
      ]);
      expect((await auditRecords('?action=list.delete')).map((r) => r.target)).toEqual([`health:${KEY_345}`]);
      expect(JSON.stringify(await auditRecords())).not.toMatch(/001099012345|51F/);
    });

    it('enrolls a lane that takes a snapshot, then changes; 409 ahead and 410 behind the log', async () => {
      const a = await build();
      await addCheckpoint(a, 'CP', 'closed');
      const k = await enrollKiosk(a, 'CP');
      const { keyId, key } = await laneKey(k);
      await importCsv(a, 'health', `${H}001099012345,F0,,,,\n001099012346,F1,,,,\n`); // v1
      const snap = await a.app.inject({
        method: 'GET',
        url: '/api/v1/kiosk/lists/health/snapshot',
        headers: k.auth,
      });
      expect(snap.statusCode).toBe(200);
      expect(snap.headers['x-list-version']).toBe('1');
      expect(snap.headers['x-list-key-id']).toBe(String(keyId));
      const decoded = decodeSnapshot(snap.rawPayload);
      expect(decoded.header).toMatchObject({ list: 'health', version: 1, count: 2 });
      // Sorted by key, ascending signed.
      expect(decoded.entries.map((e) => e.key)).toEqual(
        ['001099012345', '001099012346']
          .map((id) => laneSubjectKey(key, `personal_id:${id}`))
          .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
      );
      const range = await a.app.inject({
        method: 'GET',
        url: '/api/v1/kiosk/lists/health/snapshot',
        headers: { ...k.auth, range: 'bytes=10-', 'if-range': String(snap.headers.etag) },
      });
      expect(range.statusCode).toBe(206);
      expect(Buffer.compare(range.rawPayload, snap.rawPayload.subarray(10))).toBe(0);

      await a.app.inject({
        method: 'DELETE',
        url: '/api/v1/admin/lists/health/entries/001099012346',
        headers: a.admin,
      }); // v2
      const delta = await changes(k, 'health', 1, keyId);
      expect(delta.statusCode).toBe(200);
      expect(delta.json()).toMatchObject({
        list: 'health',
        fromVersion: 1,
        toVersion: 2,
        changes: [{ key: laneKeyHex(key, '001099012346'), op: 'delete' }],
        keyId,
      });
      expect((await changes(k, 'health', 2, keyId)).json()).toMatchObject({ toVersion: 2, changes: [] });
      const ahead = await changes(k, 'health', 3, keyId);
      expect(ahead.statusCode).toBe(409);
      expect(ahead.json()).toMatchObject({ error: 'version_ahead' });

      // A big import truncates the change log: lanes behind it must take a snapshot.
      const rows = Array.from({ length: 20_001 }, (_, i) => `0790${String(i).padStart(8, '0')},F2,,,,`);
      expect((await importCsv(a, 'health', H + rows.join('\n'))).statusCode).toBe(200); // v3
      const gone = await changes(k, 'health', 2, keyId);
      expect(gone.statusCode).toBe(410);
      expect(gone.json()).toMatchObject({ error: 'changes_gone' });
      expect((await changes(k, 'health', 3, keyId)).json()).toMatchObject({ fromVersion: 3, toVersion: 3 });
      const after = await a.app.inject({
        method: 'GET',
        url: '/api/v1/kiosk/lists/health/snapshot',
        headers: k.auth,
      });
      expect(decodeSnapshot(after.rawPayload).header).toMatchObject({ version: 3, count: 20_002 });
    });

    it('takes scan uploads idempotently (ackedThrough) and raises health alerts at a blocking checkpoint', async () => {
      const a = await build();
      await addCheckpoint(a, 'A', 'open', { blockingStatuses: ['F0'] });
      const k = await enrollKiosk(a, 'A');
      const batch = [1, 2, 3].map((s) => scanRecord(s));
      expect((await upload(k, batch)).json()).toEqual({ ackedThrough: 3 });
      expect((await upload(k, batch)).json()).toEqual({ ackedThrough: 3 });
      expect(
        (
          await upload(
            k,
            [5].map((s) => scanRecord(s)),
          )
        ).json(),
      ).toEqual({ ackedThrough: 3 });
      expect(
        (
          await upload(
            k,
            [3, 4].map((s) => scanRecord(s)),
          )
        ).json(),
      ).toEqual({ ackedThrough: 5 });
      const stored = (await adminGet('/scans?limit=100')).json<{ scans: { seq: number }[] }>().scans;
      expect(stored.map((s) => s.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
      expect((await upload(k, [])).statusCode).toBe(400);

      // 001099012345 is F0: blocked at A. The lane said green; the server raises the alert itself.
      await importCsv(a, 'health', `${H}001099012345,F0,,,,\n`);
      const missed = scanRecord(6, { subjectKey: KEY_345 });
      expect((await upload(k, [missed])).json()).toEqual({ ackedThrough: 6 });
      // A lane-raised alert, sent twice: one alert.
      const flagged = scanRecord(7, {
        subjectKey: KEY_345,
        decision: 'red',
        reasons: ['health_blocked'],
        alert: true,
      });
      await upload(k, [flagged]);
      expect((await upload(k, [flagged])).json()).toEqual({ ackedThrough: 7 });
      const alerts = (await adminGet('/alerts')).json<{
        alerts: { scanId: string; raisedBy: string; status: string; checkpointId: string; kioskId: string }[];
      }>().alerts;
      expect(alerts).toEqual([
        expect.objectContaining({ scanId: flagged.id, raisedBy: 'lane', status: 'F0', checkpointId: 'A' }),
        expect.objectContaining({ scanId: missed.id, raisedBy: 'server', status: 'F0', kioskId: k.kioskId }),
      ]);
    });

    it('pushes an urgent change and the list version to a lane stream after an admin write', async () => {
      const a = await build({ sseKeepAliveMs: 60_000 });
      await a.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (a.app.server.address() as AddressInfo).port;
      await addCheckpoint(a, 'A', 'open', { blockingStatuses: ['F0', 'F1'] });
      await addCheckpoint(a, 'B', 'open', { blockingStatuses: ['F0'] });
      const laneA = await enrollKiosk(a, 'A');
      const laneB = await enrollKiosk(a, 'B', 'Lane B');
      const streamA = await openSse(port, '/api/v1/kiosk/events', laneA.auth);
      const streamB = await openSse(port, '/api/v1/kiosk/events', laneB.auth);
      expect(await streamA.next('hello')).toMatchObject({ kioskId: laneA.kioskId, checkpointId: 'A' });
      for (const stream of [streamA, streamB]) {
        expect(await stream.next('list-version')).toEqual({ list: 'health', version: 0 });
        expect(await stream.next('list-version')).toEqual({ list: 'whitelist', version: 0 });
      }
      const put = await a.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: a.admin,
        payload: { status: 'F1' },
      });
      expect(put.statusCode).toBe(200);
      const { keyId, key } = await laneKey(laneA);
      expect(await streamA.next('urgent')).toMatchObject({
        list: 'health',
        fromVersion: 0,
        toVersion: 1,
        changes: [{ key: laneKeyHex(key, '001099012345'), op: 'put', entry: { status: 'F1' } }],
        keyId,
        signature: expect.stringMatching(/^[0-9a-f]{16}:/) as unknown,
      });
      expect(await streamA.next('list-version')).toEqual({ list: 'health', version: 1 });
      expect(await streamB.next('list-version')).toEqual({ list: 'health', version: 1 });
      // F1 does not block at B: no urgent push there.
      expect(streamB.events.some((e) => e.event === 'urgent')).toBe(false);
    });

    it('signs in to the console, locks out after wrong passwords, signs out with CSRF', async () => {
      let now = Date.UTC(2021, 8, 18, 8, 0, 0);
      const a = await build({ clock: () => now });
      await addAccount(a, 'lan');
      const s = await signIn(a, 'lan');
      const me = await a.app.inject({ method: 'GET', url: '/api/v1/session', headers: s.cookie });
      expect(me.json()).toMatchObject({ signedIn: true, account: { username: 'lan', role: 'admin' } });
      expect((await adminGet('/checkpoints', s.cookie)).statusCode).toBe(200);
      // A change needs the CSRF token.
      const payload = { id: 'A', name: 'A', mode: 'open' };
      const noCsrf = await a.app.inject({
        method: 'POST',
        url: '/api/v1/admin/checkpoints',
        headers: s.cookie,
        payload,
      });
      expect(noCsrf.statusCode).toBe(403);
      const withCsrf = await a.app.inject({
        method: 'POST',
        url: '/api/v1/admin/checkpoints',
        headers: s.write,
        payload,
      });
      expect(withCsrf.statusCode).toBeLessThan(300);

      const login = (password: string) =>
        a.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'lan', password } });
      for (let i = 0; i < 4; i++) expect((await login('wrong password')).statusCode).toBe(401);
      const fifth = await login('wrong password');
      expect(fifth.statusCode).toBe(423);
      expect(fifth.json()).toMatchObject({ error: 'account_locked' });
      expect((await login(TEST_PASSWORD)).statusCode).toBe(423);
      now += 15 * 60_000;
      expect((await login(TEST_PASSWORD)).statusCode).toBe(200);

      const outNoCsrf = await a.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: s.cookie });
      expect(outNoCsrf.statusCode).toBe(403);
      expect(outNoCsrf.json()).toMatchObject({ error: 'csrf' });
      const out = await a.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: s.write });
      expect(out.statusCode).toBe(204);
      const after = await a.app.inject({ method: 'GET', url: '/api/v1/session', headers: s.cookie });
      expect(after.json()).toMatchObject({ signedIn: false });
      expect((await adminGet('/checkpoints', s.cookie)).statusCode).toBe(401);
      const actions = (await auditRecords('?actor=lan')).map((r) => r.action);
      expect(actions).toEqual(
        expect.arrayContaining(['session.login', 'session.logout', 'checkpoint.create']),
      );
      expect((await auditRecords('?action=session.locked')).map((r) => r.target)).toEqual(['lan']);
    });

    it('lists alerts and acknowledges one, audited; searches the audit log', async () => {
      let now = 1_700_000_500_000;
      const a = await build({ clock: () => now });
      await addCheckpoint(a, 'A');
      const k = await enrollKiosk(a, 'A', 'Làn 3');
      await importCsv(a, 'health', `${H}001099012345,F0,,,,\n`);
      const alertScan = (seq: number) =>
        scanRecord(seq, { subjectKey: KEY_345, decision: 'red', reasons: ['health_blocked'], alert: true });
      await upload(k, [alertScan(1), alertScan(2)]);
      type Alert = { id: number; kioskName: string; ackedAt: number | null; ackedBy: string | null };
      const listed = (await adminGet('/alerts')).json<{ alerts: Alert[] }>().alerts;
      expect(listed).toHaveLength(2);
      expect(listed[0]).toMatchObject({ kioskName: 'Làn 3', ackedAt: null });
      const [second, first] = listed;
      if (!first || !second) throw new Error('two alerts expected');
      now += 1000;
      const ack = await a.app.inject({
        method: 'POST',
        url: `/api/v1/admin/alerts/${first.id}/ack`,
        headers: a.admin,
        payload: { note: 'đã gọi y tế' },
      });
      expect(ack.statusCode).toBe(200);
      expect(ack.json()).toMatchObject({ id: first.id, ackedAt: now, ackedBy: 'token@127.0.0.1' });
      now += 1000;
      const again = await a.app.inject({
        method: 'POST',
        url: `/api/v1/admin/alerts/${first.id}/ack`,
        headers: a.admin,
      });
      expect(again.json()).toMatchObject({ ackedAt: now - 1000 });
      expect(
        (await a.app.inject({ method: 'POST', url: '/api/v1/admin/alerts/999999/ack', headers: a.admin }))
          .statusCode,
      ).toBe(404);
      expect(
        (await adminGet('/alerts?unacked=true')).json<{ alerts: Alert[] }>().alerts.map((x) => x.id),
      ).toEqual([second.id]);
      const acks = (await adminGet('/audit?action=alert.ack')).json<{
        records: { target: string; details: unknown }[];
      }>().records;
      expect(acks).toEqual([
        expect.objectContaining({
          target: String(first.id),
          details: { checkpointId: 'A', kioskId: k.kioskId, note: 'đã gọi y tế' },
        }),
      ]);

      // Audit search: actor, action, target prefix (wildcards literal), time, paging.
      await a.app.services.audit.record(now + 1000, 'alice', 'list.put', 'health_x:100%_sure', null);
      expect((await auditRecords('?actor=alice')).map((r) => r.target)).toEqual(['health_x:100%_sure']);
      expect((await auditRecords('?target=health_')).map((r) => r.actor)).toEqual(['alice']);
      expect(await auditRecords(`?target=${encodeURIComponent('health%')}`)).toEqual([]);
      expect((await auditRecords(`?from=${now + 1000}`)).map((r) => r.actor)).toEqual(['alice']);
      const all = (await adminGet('/audit')).json<{ records: { id: number }[] }>().records;
      expect(all.length).toBeGreaterThanOrEqual(4);
      const page = (await adminGet('/audit?limit=2')).json<{ records: { id: number }[] }>().records;
      expect(page).toEqual(all.slice(0, 2));
      const before = (await adminGet(`/audit?before=${String(all[1]?.id)}`)).json<{
        records: { id: number }[];
      }>();
      expect(before.records).toEqual(all.slice(2));
      expect((await adminGet('/audit?from=not-a-time')).json()).toMatchObject({ error: 'bad_time' });
    });

    it('gives a lane the officer roster of its checkpoint, signed', async () => {
      const a = await build();
      await addCheckpoint(a, 'A');
      await addCheckpoint(a, 'B');
      const put = (id: string, payload: Record<string, unknown>) =>
        a.app.inject({ method: 'PUT', url: `/api/v1/admin/officers/${id}`, headers: a.admin, payload });
      expect(
        (await put('o-lan', { name: 'Lan', role: 'officer', checkpoints: ['A'], pin: '123456' })).statusCode,
      ).toBe(201);
      expect(
        (await put('o-b', { name: 'B', role: 'supervisor', checkpoints: ['B'], pin: '654321' })).statusCode,
      ).toBe(201);
      const code = await a.app.inject({
        method: 'POST',
        url: '/api/v1/admin/enrollments',
        headers: a.admin,
        payload: { checkpointId: 'A' },
      });
      const enrolled = await a.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/enroll',
        payload: { code: code.json<{ code: string }>().code, name: 'Lane' },
      });
      expect(enrolled.statusCode).toBe(201);
      const answer = enrolled.json<{ token: string; listSigningKeys: ListSigningKey[] }>();
      const res = await a.app.inject({
        method: 'GET',
        url: '/api/v1/kiosk/officers',
        headers: { authorization: `Bearer ${answer.token}` },
      });
      expect(res.statusCode).toBe(200);
      const roster = res.json<OfficerRoster>();
      expect(roster.version).toBe(2);
      expect(roster.officers.map((o) => o.id)).toEqual(['o-lan']);
      const digest = (r: OfficerRoster) => sha256(r.officers.map(canonicalRosterLine).join(''));
      const message = (r: OfficerRoster, cp = 'A') => rosterMessage(cp, r.version, digest(r));
      expect(verifies(answer.listSigningKeys, message(roster), roster.signature)).toBe(true);
      expect(verifies(answer.listSigningKeys, message(roster, 'B'), roster.signature)).toBe(false);
      expect(
        verifies(
          answer.listSigningKeys,
          message({ ...roster, version: roster.version + 1 }),
          roster.signature,
        ),
      ).toBe(false);
    });

    it.skipIf(engine !== 'postgres')(
      'pushes an admin write on one server to a lane streaming from another server of the fleet',
      async () => {
        const a = await build({ sseKeepAliveMs: 60_000 });
        if (a.engine !== 'postgres') throw new Error('postgres only');
        // A second server on the same database, with its own pool, store and bus.
        const pool = await a.database.open();
        const store = await openPgStore(pool, { indexKey: a.listKey, clock: Date.now, closePool: false });
        const bus = new PgFleetBus({
          url: a.database.url,
          pool,
          key: await store.settings.getOrCreate(FLEET_KEY_SETTING, newFleetKey),
        });
        await bus.start();
        const other = await buildServer({
          store,
          bus,
          adminTokenHash: hashToken(a.adminToken),
          listKey: a.listKey,
          logger: false,
          sseKeepAliveMs: 60_000,
        });
        try {
          await other.listen({ host: '127.0.0.1', port: 0 });
          const port = (other.server.address() as AddressInfo).port;
          await addCheckpoint(a, 'A', 'open', { blockingStatuses: ['F0', 'F1'] });
          const lane = await enrollKiosk(a, 'A');
          const stream = await openSse(port, '/api/v1/kiosk/events', lane.auth);
          expect(await stream.next('hello')).toMatchObject({ kioskId: lane.kioskId, checkpointId: 'A' });
          expect(await stream.next('list-version')).toEqual({ list: 'health', version: 0 });
          expect(await stream.next('list-version')).toEqual({ list: 'whitelist', version: 0 });
          const put = await a.app.inject({
            method: 'PUT',
            url: '/api/v1/admin/lists/health/entries/001099012345',
            headers: a.admin,
            payload: { status: 'F0' },
          });
          expect(put.statusCode).toBe(200);
          const { keyId, key } = await laneKey(lane);
          expect(await stream.next('urgent')).toMatchObject({
            list: 'health',
            fromVersion: 0,
            toVersion: 1,
            changes: [{ key: laneKeyHex(key, '001099012345'), op: 'put', entry: { status: 'F0' } }],
            keyId,
          });
          expect(await stream.next('list-version')).toEqual({ list: 'health', version: 1 });
        } finally {
          await other.close();
          await bus.close();
        }
      },
    );

    it.skipIf(engine !== 'postgres')(
      'answers /health 503 while the database refuses connections, and 200 once it takes them again',
      async () => {
        const a = await build();
        if (a.engine !== 'postgres') throw new Error('postgres only');
        const health = async () => {
          const res = await a.app.inject({ method: 'GET', url: '/health' });
          return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
        };
        expect((await health()).status).toBe(200);
        const admin = new pg.Client({ connectionString: TEST_PG_URL });
        await admin.connect();
        try {
          // Block new connections, then end the ones open (the pool's and the bus's).
          await admin.query(`ALTER DATABASE ${a.database.name} ALLOW_CONNECTIONS false`);
          await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [a.database.name],
          );
          const down = await health();
          expect(down.status).toBe(503);
          expect(down.body).toMatchObject({ status: 'unavailable', database: 'unreachable' });
          await admin.query(`ALTER DATABASE ${a.database.name} ALLOW_CONNECTIONS true`);
          const end = Date.now() + 30_000;
          let up = await health();
          while (up.status !== 200 && Date.now() < end) {
            await new Promise((r) => setTimeout(r, 100));
            up = await health();
          }
          expect(up).toMatchObject({ status: 200, body: { status: 'ok' } });
        } finally {
          await admin
            .query(`ALTER DATABASE ${a.database.name} ALLOW_CONNECTIONS true`)
            .catch(() => undefined);
          await admin.end();
        }
      },
    );
  });
}
