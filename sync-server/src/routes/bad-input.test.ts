import fc from 'fast-check';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointServer } from '../app.js';
import { hashToken } from '../auth/tokens.js';
import { openDatabase } from '../db/open-database.js';
import { pgUnavailable } from '../db/pg/pg-database.testkit.js';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  scanRecord,
  type AnyTestApp,
  type TestApp,
  type TestEngine,
  type TestKiosk,
} from '../testing/build-test-app.js';

let t: TestApp;
let k: TestKiosk;
beforeAll(async () => {
  t = await buildTestApp({ enrollRateLimit: 1_000_000 });
  await addCheckpoint(t, 'CP');
  k = await enrollKiosk(t, 'CP');
});
afterAll(async () => {
  await t.close();
});

type Who = 'admin' | 'kiosk' | 'none';
const ROUTES: readonly [string, string, Who][] = [
  ['POST', '/api/v1/admin/checkpoints', 'admin'],
  ['POST', '/api/v1/admin/enrollments', 'admin'],
  ['PUT', '/api/v1/admin/lists/health/entries/001099012345', 'admin'],
  ['PUT', '/api/v1/admin/lists/whitelist/entries/51F12345', 'admin'],
  ['GET', '/api/v1/admin/scans', 'admin'],
  ['GET', '/api/v1/admin/alerts', 'admin'],
  ['GET', '/api/v1/admin/audit', 'admin'],
  ['POST', '/api/v1/kiosk/enroll', 'none'],
  ['POST', '/api/v1/kiosk/scans', 'kiosk'],
  ['POST', '/api/v1/kiosk/heartbeat', 'kiosk'],
  ['GET', '/api/v1/kiosk/lists/health/changes', 'kiosk'],
  ['POST', '/api/v1/public/declarations', 'none'],
  ['POST', '/api/v1/admin/passes/keys/rotate', 'admin'],
  ['POST', '/api/v1/admin/passes/0123456789abcdef/revoke', 'admin'],
  ['GET', '/api/v1/kiosk/passes', 'kiosk'],
];

describe('bad input', () => {
  it('never answers 5xx, always {error, message}', async () => {
    const query = fc.dictionary(
      fc.constantFrom(
        'subject',
        'checkpoint',
        'from',
        'to',
        'decision',
        'limit',
        'cursor',
        'since',
        'before',
      ),
      fc.oneof(fc.string(), fc.integer().map(String), fc.constant('-1'), fc.constant('1e400')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.jsonValue(),
        query,
        async ([method, url, who], body, q) => {
          const headers = who === 'admin' ? t.admin : who === 'kiosk' ? k.auth : {};
          const qs = new URLSearchParams(q).toString();
          const res = await t.app.inject({
            method: method as 'GET' | 'POST' | 'PUT',
            url: qs === '' ? url : `${url}?${qs}`,
            headers: { ...headers, ...(method !== 'GET' && { 'content-type': 'application/json' }) },
            ...(method !== 'GET' && { payload: JSON.stringify(body) }),
          });
          expect(res.statusCode, `${method} ${url} ${res.body}`).toBeLessThan(500);
          if (res.statusCode >= 400)
            expect(Object.keys(res.json<object>()).sort()).toEqual(['error', 'message']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers any CSV body with a report or a clear 4xx, never 5xx', async () => {
    const cell = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '001099012345',
        'F0',
        'shipper',
        '2021-09-18',
        '2021-02-30',
        '"',
        '""',
        'HCM-01;x y',
        '\r\n',
      ),
    );
    const rows = fc.array(
      fc.array(cell, { maxLength: 8 }).map((r) => r.join(',')),
      { maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('health', 'whitelist'),
        fc.boolean(),
        rows,
        fc.uint8Array({ maxLength: 20 }),
        async (list, header, lines, junk) => {
          const head =
            list === 'health'
              ? 'id,status,since,until,name,note'
              : 'id,category,valid_from,valid_until,checkpoints,name,note';
          const text = [...(header ? [head] : []), ...lines].join('\n');
          const res = await t.app.inject({
            method: 'POST',
            url: `/api/v1/admin/lists/${list}/import?partial=true`,
            headers: { ...t.admin, 'content-type': 'text/csv' },
            payload: Buffer.concat([Buffer.from(text), Buffer.from(junk)]),
          });
          expect(res.statusCode, res.body).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses numbers that overflow to Infinity in queries and bodies', async () => {
    const q = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?limit=1e400', headers: t.admin });
    expect(q.statusCode).toBe(400);
    const body = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: { ...k.auth, 'content-type': 'application/json' },
      payload: '{"listVersions":{"health":0,"whitelist":0},"backlog":1e400,"devices":[],"clock":0}',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toEqual({ error: 'bad_request', message: 'body/backlog must be integer' });
    expect(q.json()).toEqual({
      error: 'bad_request',
      message: 'numbers must be finite and within ±9007199254740991 (2^53 − 1)',
    });
  });

  it('refuses numbers SQLite or JavaScript cannot hold exactly with a 400, and stores nothing', async () => {
    const post = (url: string, payload: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...k.auth, 'content-type': 'application/json' },
        payload,
      });
    const upload = (record: Record<string, unknown>, text = JSON.stringify({ records: [record] })) =>
      post('/api/v1/kiosk/scans', text);
    const heartbeat = (health: string) =>
      post(
        '/api/v1/kiosk/heartbeat',
        `{"listVersions":{"health":${health},"whitelist":0},"backlog":0,"devices":[],"clock":0}`,
      );
    const before = (await t.app.services.scans.search({ limit: 1000 })).length;
    for (const res of [
      await upload(scanRecord(1, { at: 1e20 })),
      await upload(scanRecord(1, { seq: 1e20 })),
      // JSON.parse reads this as 2^53 (…992): refused by `maximum`, not stored as a neighbour.
      await upload(
        {},
        JSON.stringify({ records: [scanRecord(1)] }).replace('"seq":1,', '"seq":9007199254740993,'),
      ),
      await upload(
        {},
        JSON.stringify({ records: [scanRecord(1)] }).replace('"seq":1,', '"seq":9007199254740992,'),
      ),
      await heartbeat('1e20'),
      await heartbeat('9007199254740993'),
      await heartbeat('-0.5'),
    ]) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'bad_request' });
    }
    expect(await t.app.services.scans.search({ limit: 1000 })).toHaveLength(before);
    // The largest values the schemas allow are stored exactly.
    const edge = await upload(scanRecord(1, { at: 253_402_300_799_999 }));
    expect(edge.json()).toEqual({ ackedThrough: 1 });
    expect((await heartbeat('281474976710655')).statusCode).toBe(200);
  });

  it('keeps a record shape that is almost right a 400, field by field', async () => {
    const good = {
      type: 'scan',
      seq: 1,
      id: '01890a5d-ac96-7000-8000-000000000001',
      at: 1,
      source: 'camera',
      format: null,
      subjectKey: null,
      subjectSealed: null,
      decision: 'green',
      reasons: [],
      warnings: [],
      alert: false,
    };
    for (const [field, value] of [
      ['seq', 0],
      ['seq', 1.5],
      ['id', 'not-a-uuid'],
      ['subjectKey', 'XYZ'],
      ['subjectKey', '52D2D0EF9BEFD516'],
      ['reasons', ['made_up']],
      ['source', 'telepathy'],
      ['at', -1],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/scans',
        headers: k.auth,
        payload: { records: [{ ...good, [field]: value }] },
      });
      expect(res.statusCode, field).toBe(400);
    }
  });
});

describe('database refusals', () => {
  it('answers a value SQLite refuses with a 4xx, not a 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-refuse-'));
    const db = openDatabase(join(dir, 'server.db'));
    const app = Fastify({ logger: false });
    await app.register(checkpointServer, {
      db,
      adminTokenHash: hashToken('x'.repeat(32)),
      listKey: Buffer.alloc(32),
      snapshotDir: null,
    });
    db.exec('CREATE TEMP TABLE probe (n INTEGER NOT NULL UNIQUE) STRICT');
    app.post<{ Body: { n: unknown } }>('/probe', (req) => {
      db.prepare('INSERT INTO probe (n) VALUES (?)').run(req.body.n);
      return { ok: true };
    });
    const send = (n: unknown) => app.inject({ method: 'POST', url: '/probe', payload: { n } });
    try {
      expect((await send(1)).statusCode).toBe(200);
      const mismatch = await send(1.5);
      expect(mismatch.statusCode).toBe(400);
      expect(mismatch.json()).toEqual({
        error: 'bad_request',
        message: 'a value is out of range or of the wrong type',
      });
      expect((await send(null)).statusCode).toBe(400);
      const dup = await send(1);
      expect(dup.statusCode).toBe(409);
      expect(dup.json()).toMatchObject({ error: 'conflict' });
    } finally {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// PostgreSQL's text and jsonb cannot hold a NUL (SQLite can): both engines answer alike, the
// admin API and enrollment with a 400 naming the field, a lane's upload and heartbeat by storing
// U+FFFD in its place (a refused batch would be resent forever), a CSV row with a reason.
const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];
describe.each(ENGINES)('control characters in free text ($engine)', ({ engine, skip }) => {
  let e: AnyTestApp;
  let built: AnyTestApp | undefined;
  let lane: TestKiosk;
  beforeAll(async () => {
    if (skip) return;
    e = built = await buildTestApp({ engine, enrollRateLimit: 1_000_000 });
    await addCheckpoint(e, 'CP');
    lane = await enrollKiosk(e, 'CP');
  }, 60_000);
  afterAll(async () => {
    await built?.close();
  }, 60_000);

  const CONTROL = ['\u0000', '\u0001', '\u0007', '\u001b', '\u001f'];
  type Method = 'POST' | 'PUT' | 'PATCH' | 'GET';

  it.skipIf(skip)(
    'refuses them in names and notes with a 400 naming the field, and stores nothing',
    async () => {
      const cases: [Method, string, string, Record<string, unknown>, boolean][] = [
        ['POST', '/api/v1/kiosk/enroll', 'name', { code: 'ABCD-2345' }, false],
        [
          'POST',
          '/api/v1/admin/accounts',
          'displayName',
          { username: 'nul1', role: 'viewer', password: 'x'.repeat(12) },
          false,
        ],
        ['PATCH', '/api/v1/admin/accounts/nul1', 'displayName', {}, false],
        ['POST', '/api/v1/admin/checkpoints', 'name', { id: 'CP-NUL', mode: 'open' }, false],
        ['PUT', '/api/v1/admin/officers/O-NUL', 'name', { role: 'officer', pin: '123456' }, false],
        ['PUT', '/api/v1/admin/lists/health/entries/001099012345', 'name', { status: 'F0' }, false],
        ['PUT', '/api/v1/admin/lists/health/entries/001099012345', 'note', { status: 'F0' }, true],
        ['PUT', '/api/v1/admin/lists/whitelist/entries/51F12345', 'name', { category: 'shipper' }, false],
        ['PUT', '/api/v1/admin/lists/whitelist/entries/51F12345', 'note', { category: 'shipper' }, true],
        ['POST', '/api/v1/admin/alerts/1/ack', 'note', {}, true],
      ];
      for (const [method, url, field, rest, multiline] of cases) {
        const bad = [...CONTROL.map((c) => `An${c}B`), ...(multiline ? [] : ['An\nB', 'An\tB'])];
        for (const value of bad) {
          const res = await e.app.inject({
            method,
            url,
            headers: url.includes('/admin/') ? e.admin : {},
            payload: { ...rest, [field]: value },
          });
          expect(res.statusCode, `${method} ${url} ${field} ${JSON.stringify(value)}: ${res.body}`).toBe(400);
          expect(res.json()).toEqual({
            error: 'bad_request',
            message: expect.stringContaining(`body/${field} must not contain control characters`) as string,
          });
        }
      }
      const audit = await e.app.inject({
        method: 'GET',
        url: '/api/v1/admin/audit?actor=a%00b',
        headers: e.admin,
      });
      expect(audit.statusCode, audit.body).toBe(400);
      expect(audit.json<{ message: string }>().message).toContain(
        'querystring/actor must not contain control characters',
      );
      // Nothing was stored: the checkpoint, officer and entries do not exist.
      const cps = await e.app.inject({ method: 'GET', url: '/api/v1/admin/checkpoints', headers: e.admin });
      expect(cps.json<{ checkpoints: { id: string }[] }>().checkpoints.map((c) => c.id)).toEqual(['CP']);
      const officers = await e.app.inject({ method: 'GET', url: '/api/v1/admin/officers', headers: e.admin });
      expect(officers.json<{ officers: unknown[] }>().officers).toEqual([]);
      const entry = await e.app.inject({
        method: 'GET',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: e.admin,
      });
      expect(entry.statusCode).toBe(404);
      // A note keeps its tab and line breaks.
      const note = await e.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: e.admin,
        payload: { status: 'F0', name: 'Nguyễn Văn A', note: 'dòng 1\r\ndòng 2\tx' },
      });
      expect(note.statusCode, note.body).toBeLessThan(300);
      const stored = await e.app.inject({
        method: 'GET',
        url: '/api/v1/admin/lists/health/entries/001099012345',
        headers: e.admin,
      });
      expect(stored.json()).toMatchObject({ name: 'Nguyễn Văn A', note: 'dòng 1\r\ndòng 2\tx' });
    },
  );

  it.skipIf(skip)(
    'stores a lane’s records and device reports with U+FFFD in place of each, never refused',
    async () => {
      const scanId = '01890a5d-ac96-7000-8000-00000000f001';
      const records = [
        scanRecord(1, { id: scanId, subjectSealed: null }),
        {
          type: 'override',
          seq: 2,
          id: '01890a5d-ac96-7000-8000-00000000f002',
          at: 1_700_000_000_100,
          scanId,
          originalDecision: 'green',
          decision: 'red',
          officerId: 'O\u00001',
          supervisorId: null,
          reason: 'r\u0001',
          note: 'a\u0000b\nc\td',
        },
        {
          type: 'ack',
          seq: 3,
          id: '01890a5d-ac96-7000-8000-00000000f003',
          at: 1_700_000_000_200,
          scanId,
          decision: 'red',
          note: '\u0000\u001f\r\n',
        },
      ];
      const up = await e.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/scans',
        headers: lane.auth,
        payload: { records },
      });
      expect(up.statusCode, up.body).toBe(200);
      expect(up.json()).toEqual({ ackedThrough: 3 });
      const found = await e.app.inject({
        method: 'GET',
        url: `/api/v1/admin/scans?scan=${scanId}`,
        headers: e.admin,
      });
      const scan = found.json<{
        scans: {
          overrides: { officerId: string; reason: string; note: string }[];
          acks: { note: string }[];
        }[];
      }>().scans[0];
      expect(scan?.overrides).toEqual([
        expect.objectContaining({ officerId: 'O\uFFFD1', reason: 'r\uFFFD', note: 'a\uFFFDb\nc\td' }),
      ]);
      expect(scan?.acks).toEqual([expect.objectContaining({ note: '\uFFFD\uFFFD\r\n' })]);
      // The same batch again (the lane resends until acknowledged): still 200, nothing twice.
      const again = await e.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/scans',
        headers: lane.auth,
        payload: { records },
      });
      expect(again.json()).toEqual({ ackedThrough: 3 });

      const beat = await e.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/heartbeat',
        headers: lane.auth,
        payload: {
          listVersions: { health: 0, whitelist: 0 },
          backlog: 0,
          devices: [{ name: 'HID\u0000Scanner\u0001', kind: 'hid', status: 'ok\n' }],
          clock: Date.now(),
        },
      });
      expect(beat.statusCode, beat.body).toBe(200);
      const fleet = await e.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: e.admin });
      const me = fleet
        .json<{ kiosks: { id: string; devices: unknown[] }[] }>()
        .kiosks.find((x) => x.id === lane.kioskId);
      expect(me?.devices).toEqual([{ name: 'HID\uFFFDScanner\uFFFD', kind: 'hid', status: 'ok\uFFFD' }]);
    },
  );

  it.skipIf(skip)(
    'rejects a CSV row with a control character with the reason code control_char',
    async () => {
      const csv =
        'id,status,since,until,name,note\n' +
        '001099012345,F0,,,An\u0000B,\n' +
        '001099012346,F0,,,,x\u0001y\n' +
        '001099012347,F0\u0000,,,,\n' +
        '001099012348,F0,,,An\u0007B,\n' +
        '001099012349,F0,,,"  Nguyễn Văn A\t","dòng 1\ndòng 2\tx"\n';
      const res = await importCsv(e, 'health', csv, '?partial=true');
      expect(res.statusCode, res.body).toBe(200);
      const report = res.json<{
        accepted: number;
        rejected: { line: number; code: string; reason: string; params?: object }[];
      }>();
      expect(report.accepted).toBe(1);
      expect(report.rejected).toEqual([
        {
          line: 2,
          code: 'control_char',
          params: { field: 'name' },
          reason: expect.stringContaining('control character') as string,
        },
        {
          line: 3,
          code: 'control_char',
          params: { field: 'note' },
          reason: expect.stringContaining('note:') as string,
        },
        {
          line: 4,
          code: 'control_char',
          params: { field: 'status' },
          reason: expect.stringContaining('status:') as string,
        },
        {
          line: 5,
          code: 'control_char',
          params: { field: 'name' },
          reason: expect.stringContaining('name:') as string,
        },
      ]);
      // The refused row names no value (it may be a name); the kept one keeps its note's lines.
      expect(res.body).not.toContain('An');
      const kept = await e.app.inject({
        method: 'GET',
        url: '/api/v1/admin/lists/health/entries/001099012349',
        headers: e.admin,
      });
      expect(kept.json()).toMatchObject({ name: 'Nguyễn Văn A', note: 'dòng 1\ndòng 2\tx' });
      // All or nothing: the file is refused whole, nothing written.
      const strict = await importCsv(
        e,
        'whitelist',
        'id,category,valid_from,valid_until,checkpoints,name,note\n51F12345,shipper,,,CP\u0000,,\n',
      );
      expect(strict.statusCode, strict.body).toBe(422);
      expect(strict.json<{ rejected: { code: string; params: object }[] }>().rejected).toEqual([
        expect.objectContaining({ code: 'control_char', params: { field: 'checkpoints' } }),
      ]);
    },
  );
});
