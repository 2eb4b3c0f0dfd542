// Declarations, lane passes and the pass directory, once per storage engine (SQLite and fleet-mode
// PostgreSQL, as engines.routes.test.ts): real routes, real signatures checked with shared's
// parsePass/checkPass against the keys the directory serves.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  formatPass,
  parseListSignature,
  parsePass,
  passDirectoryMessage,
  passSigningBytes,
  type ListSigningKeysAnswer,
  type ParsedPass,
  type PassDirectory,
} from '@checkpoint-lane/shared';
import { checkPass } from '@checkpoint-lane/shared/pass-verify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../app.js';
import { hashToken } from '../../auth/tokens.js';
import { pgUnavailable } from '../../db/pg/pg-database.testkit.js';
import { openPgStore } from '../../db/pg/pg-store.js';
import { FLEET_KEY_SETTING, newFleetKey } from '../../events/fleet-bus.js';
import { PgFleetBus } from '../../events/pg-fleet-bus.js';
import { passQrSize } from '../../passes/pass-qr.js';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  type AnyTestApp,
  type TestAppOptions,
  type TestEngine,
  type TestKiosk,
} from '../../testing/build-test-app.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const skipPg = await pgUnavailable();
const ENGINES: readonly { engine: TestEngine; skip: boolean }[] = [
  { engine: 'sqlite', skip: false },
  { engine: 'postgres', skip: skipPg !== null },
];

/** 10:00 in Vietnam on 2021-09-18. */
const NOW = Date.UTC(2021, 8, 18, 3, 0, 0);
const DAY = 86_400_000;
/** 2021-09-18 00:00 (UTC+7). */
const DAY_START = Date.UTC(2021, 8, 18) - 7 * 3_600_000;
const ID = '001099012345';

const BODY = {
  personalId: ID,
  fullName: 'Nguyễn Văn An',
  phone: '0901 234 567',
  from: { province: 79, district: 760, ward: 26734 },
  to: { province: 1 },
  plate: '51F-123.45',
  purpose: 'Công tác',
  travelDate: '2021-09-18',
};

interface Answer {
  declarationId: string;
  passId: string | null;
  validFrom: number;
  validUntil: number;
  qr: string | null;
  qrSvg: string | null;
  notice?: string;
}

let t: AnyTestApp | undefined;
const opened: IncomingMessage[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  const done = t;
  t = undefined;
  await done?.close();
}, 60_000);

function app(): AnyTestApp {
  if (!t) throw new Error('no test app');
  return t;
}

/** Rows of a SQL query on the test app's database, whichever the engine. */
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const a = app();
  if (a.engine === 'sqlite') return a.db.prepare(sql).all() as Record<string, unknown>[];
  return (await a.pool.query(sql.replace(/\?/g, () => '$1'))).rows as Record<string, unknown>[];
}

const declare = (body: unknown, remoteAddress = '10.1.0.1') =>
  app().app.inject({
    method: 'POST',
    url: '/api/v1/public/declarations',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
    remoteAddress,
  });

async function directory(k: TestKiosk): Promise<{ doc: PassDirectory; signature: string }> {
  const res = await app().app.inject({ method: 'GET', url: '/api/v1/kiosk/passes', headers: k.auth });
  expect(res.statusCode, res.body).toBe(200);
  return { doc: res.json<PassDirectory>(), signature: String(res.headers['x-passes-signature']) };
}

function parsed(text: string | null): ParsedPass {
  const p = parsePass(text ?? '');
  if (!p.ok) throw new Error(`pass does not parse: ${p.error.message}`);
  return p.value;
}

const verdict = (p: ParsedPass, doc: PassDirectory, now: number) =>
  checkPass(p, doc.keys, new Set(doc.revoked.map((r) => r.passId)), now);

interface SseReader {
  next(event: string, ms?: number): Promise<unknown>;
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
  describe.skipIf(skip)(`declarations and lane passes on ${engine}`, () => {
    const build = async (opts: Omit<TestAppOptions, 'engine'> = {}) => {
      t = await buildTestApp({ engine, clock: () => NOW, ...opts } as TestAppOptions);
      await addCheckpoint(t, 'CP');
      return { a: t, k: await enrollKiosk(t, 'CP') };
    };

    it('a declaration yields a pass that parses back to itself and that lanes accept with the signed directory', async () => {
      const { a, k } = await build();
      const res = await declare(BODY);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<Answer>();
      expect(body).toMatchObject({
        passId: body.declarationId,
        validFrom: NOW,
        validUntil: DAY_START + 3 * DAY,
      });
      expect(body.notice).toBeUndefined();
      expect(body.qrSvg).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"/);
      const size = passQrSize(body.qr ?? '');
      expect(size.version).toBeLessThanOrEqual(10);

      const p = parsed(body.qr);
      expect(p.body).toEqual({
        keyId: 1,
        passId: body.passId,
        personalId: ID,
        validFrom: NOW,
        validUntil: DAY_START + 3 * DAY,
        from: { province: 79, district: 760, ward: 26734 },
        to: { province: 1, district: null, ward: null },
        plate: '51F12345',
      });
      // Every pass the server issues parses back to itself.
      expect(formatPass(p.body, p.signature)).toBe(body.qr);

      const { doc, signature } = await directory(k);
      expect(doc).toMatchObject({ version: 0, revoked: [] });
      expect(doc.keys).toEqual([
        {
          keyId: 1,
          publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
          validFrom: NOW,
          validUntil: null,
        },
      ]);
      // The directory is signed by the list-signing key lanes pinned.
      const sig = parseListSignature(signature);
      if (sig === null) throw new Error('no directory signature');
      const signing = (
        await a.app.inject({ method: 'GET', url: '/api/v1/admin/lists/signing-keys', headers: a.admin })
      ).json<ListSigningKeysAnswer>();
      const signer = signing.keys.find((x) => x.id === sig.keyId);
      expect(signer).toBeDefined();
      const pub = createPublicKey({
        key: {
          kty: 'OKP',
          crv: 'Ed25519',
          x: Buffer.from(signer?.publicKey ?? '', 'base64').toString('base64url'),
        },
        format: 'jwk',
      });
      expect(
        verify(
          null,
          Buffer.from(passDirectoryMessage(doc), 'utf8'),
          pub,
          Buffer.from(sig.signature, 'base64'),
        ),
      ).toBe(true);

      expect(verdict(p, doc, NOW + 60_000)).toBe('pass_valid');
      expect(verdict(p, doc, NOW - 1)).toBe('pass_not_yet_valid');
      expect(verdict(p, doc, DAY_START + 3 * DAY + 1)).toBe('pass_expired');
      // One changed character breaks the signature (or the body).
      const text = body.qr ?? '';
      const at = text.length - 30;
      const changed = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      const q = parsePass(changed);
      if (q.ok) expect(verdict(q.value, doc, NOW + 60_000)).toBe('pass_signature_invalid');

      // Stored: the declaration, its pass and the personal ID's index key; nothing logged here.
      const stored = await rows(
        'SELECT pass_id, pass_key_id, personal_id, plate, to_district FROM declarations',
      );
      expect(stored).toEqual([
        { pass_id: body.passId, pass_key_id: 1, personal_id: ID, plate: '51F12345', to_district: null },
      ]);
    });

    it('a travel date ahead starts the pass at that day’s 00:00 (UTC+7); past or too far is refused', async () => {
      await build();
      const ahead = await declare({ ...BODY, travelDate: '2021-09-25', plate: null });
      expect(ahead.statusCode, ahead.body).toBe(201);
      expect(ahead.json<Answer>()).toMatchObject({
        validFrom: DAY_START + 7 * DAY,
        validUntil: DAY_START + 10 * DAY,
      });
      expect(parsed(ahead.json<Answer>().qr).body.plate).toBeNull();
      // District and ward: null or 0 is "not given".
      const unset = await declare({ ...BODY, from: { province: 79, district: null, ward: 0 } });
      expect(unset.statusCode, unset.body).toBe(201);
      expect(parsed(unset.json<Answer>().qr).body.from).toEqual({ province: 79, district: null, ward: null });
      expect((await declare({ ...BODY, travelDate: '2021-09-17' })).json()).toMatchObject({
        error: 'travel_date_past',
      });
      expect((await declare({ ...BODY, travelDate: '2021-09-26' })).json()).toMatchObject({
        error: 'travel_date_too_far',
      });
    });

    it('a person the health list holds gets a declaration stored and no pass', async () => {
      const { a } = await build();
      const imported = await importCsv(
        a,
        'health',
        `id,status,since,until,name,note\n${ID},F0,2021-09-01,,,\n`,
      );
      expect(imported.statusCode, imported.body).toBe(200);
      const res = await declare(BODY);
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<Answer>();
      expect(body).toEqual({
        declarationId: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        passId: null,
        validFrom: NOW,
        validUntil: DAY_START + 3 * DAY,
        qr: null,
        qrSvg: null,
        notice: 'contact_health_station',
      });
      expect(await rows('SELECT id, pass_id, pass_key_id FROM declarations')).toEqual([
        { id: body.declarationId, pass_id: null, pass_key_id: null },
      ]);
      // A status no checkpoint blocks (F3), or an entry ended before the trip, holds no one back.
      const other = '079203001234';
      await importCsv(
        a,
        'health',
        `id,status,since,until,name,note\n${other},F3,2021-09-01,,,\n`,
        '?partial=true',
      );
      expect((await declare({ ...BODY, personalId: other })).json<Answer>().passId).toMatch(/^[0-9a-f]{16}$/);
    });

    it('limits declarations per (personal ID, address) and per address (429 with Retry-After)', async () => {
      await build({ declareIdLimit: 2, declareRateLimit: 4 });
      for (let i = 0; i < 2; i++) expect((await declare(BODY)).statusCode).toBe(201);
      const perId = await declare(BODY);
      expect(perId.statusCode).toBe(429);
      expect(perId.json()).toMatchObject({ error: 'rate_limited' });
      expect(Number(perId.headers['retry-after'])).toBeGreaterThan(0);
      // The same ID from another address is counted apart: a stranger who posts someone's ID
      // spends only their own budget.
      expect((await declare(BODY, '10.1.0.2')).statusCode).toBe(201);
      expect((await declare(BODY, '10.1.0.2')).statusCode).toBe(201);
      expect((await declare(BODY, '10.1.0.2')).statusCode).toBe(429);
      expect((await declare(BODY, '10.1.0.3')).statusCode).toBe(201);
      // Another ID from another address still gets its pass.
      expect((await declare({ ...BODY, personalId: '079203001234' }, '10.1.0.4')).statusCode).toBe(201);
      // The first address has used 3 of its 4 a minute.
      expect((await declare({ ...BODY, personalId: '001203001299' })).statusCode).toBe(201);
      const perAddress = await declare({ ...BODY, personalId: '001203001298' });
      expect(perAddress.statusCode).toBe(429);
      expect(perAddress.headers['retry-after']).toBeDefined();
    });

    it('refuses a body over 8 KB with 413 body_too_large (the app allows 4 MB elsewhere)', async () => {
      await build();
      const padded = (n: number) => ({ ...BODY, purpose: 'x'.repeat(n) });
      const size = (n: number) => Buffer.byteLength(JSON.stringify(padded(n)));
      const big = await declare(padded(8 * 1024));
      expect(size(8 * 1024)).toBeGreaterThan(8 * 1024);
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ error: 'body_too_large' });
      // A body of exactly 8 KB reaches the checks (a purpose that long is a 400, not a 413).
      const n = 8 * 1024 - size(0);
      expect(size(n)).toBe(8 * 1024);
      expect((await declare(padded(n))).statusCode).toBe(400);
    });

    it('refuses bad bodies with 400 and a clear code, never 5xx', async () => {
      await build();
      const cases: [unknown, string][] = [
        [{ ...BODY, personalId: '12345' }, 'personal_id_invalid'],
        [{ ...BODY, personalId: '999099012345' }, 'personal_id_invalid'],
        [{ ...BODY, fullName: ' ' }, 'full_name_invalid'],
        [{ ...BODY, phone: 'call me' }, 'phone_invalid'],
        [{ ...BODY, from: { province: 3 } }, 'province_unknown'],
        [{ ...BODY, to: { province: 0 } }, 'province_unknown'],
        [{ ...BODY, to: { province: 1, district: 1000 } }, 'area_invalid'],
        [{ ...BODY, to: { province: 1, ward: 100_000 } }, 'area_invalid'],
        [{ ...BODY, plate: 'not a plate' }, 'plate_invalid'],
        [{ ...BODY, purpose: '' }, 'purpose_invalid'],
        [{ ...BODY, travelDate: '2021-02-30' }, 'travel_date_invalid'],
        [{ ...BODY, travelDate: 'tomorrow' }, 'travel_date_invalid'],
        [{ ...BODY, fullName: 'a\u0000b' }, 'bad_request'],
        // JSON has no Infinity: an overflowing number is sent as null, which the schema coerces to 0.
        [{ ...BODY, to: { province: Number.POSITIVE_INFINITY } }, 'province_unknown'],
        [{ ...BODY, to: { province: 'x' } }, 'bad_request'],
        [[], 'bad_request'],
        ['x', 'bad_request'],
      ];
      for (const [body, error] of cases) {
        const res = await declare(body, `10.2.0.${cases.findIndex((c) => c[0] === body)}`);
        expect(res.statusCode, `${JSON.stringify(body)} ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({ error });
      }
      expect(await rows('SELECT id FROM declarations')).toEqual([]);
    });

    it('a revoked pass is listed in the directory (red at lanes), told on the lanes’ event stream, audited', async () => {
      const { a, k } = await build({ sseKeepAliveMs: 60_000 });
      await a.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (a.app.server.address() as AddressInfo).port;
      const stream = await openSse(port, '/api/v1/kiosk/events', k.auth);
      await stream.next('hello');
      const body = (await declare(BODY)).json<Answer>();
      const revoke = (passId: string) =>
        a.app.inject({ method: 'POST', url: `/api/v1/admin/passes/${passId}/revoke`, headers: a.admin });
      const r = await revoke(body.passId ?? '');
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toEqual({
        passId: body.passId,
        revokedAt: NOW,
        until: body.validUntil,
        already: false,
        version: 1,
      });
      expect(await stream.next('passes')).toEqual({ version: 1 });
      const { doc } = await directory(k);
      expect(doc.version).toBe(1);
      expect(doc.revoked).toEqual([{ passId: body.passId, until: body.validUntil }]);
      expect(verdict(parsed(body.qr), doc, NOW + 60_000)).toBe('pass_revoked');
      // Again: nothing changes, still audited; an unknown pass is 404; a bad id 400.
      expect((await revoke(body.passId ?? '')).json()).toMatchObject({ already: true, version: 1 });
      expect((await revoke('0123456789abcdef')).statusCode).toBe(404);
      expect((await revoke('XYZ')).statusCode).toBe(400);
      const audit = await rows("SELECT action, target FROM audit_log WHERE action = 'pass.revoke'");
      expect(audit).toHaveLength(2);
      expect(audit[0]).toEqual({ action: 'pass.revoke', target: body.passId });
    });

    it('rotates the pass key: old passes stay valid, the old key signs nothing after its period, a compromised key is withdrawn', async () => {
      let now = NOW;
      const { a, k } = await build({ clock: () => now });
      const before = (await declare(BODY)).json<Answer>();
      const rotate = (compromised?: boolean) =>
        a.app.inject({
          method: 'POST',
          url: '/api/v1/admin/passes/keys/rotate',
          headers: a.admin,
          payload: compromised === undefined ? {} : { compromised },
        });
      now += 3_600_000;
      const r = await rotate();
      expect(r.statusCode, r.body).toBe(200);
      const rotated = r.json<{
        version: number;
        current: number;
        keys: (PassDirectory['keys'][number] & { withdrawnAt: number | null })[];
      }>();
      expect(rotated.current).toBe(2);
      expect(rotated.version).toBe(1);
      expect(rotated.keys.map((x) => [x.keyId, x.validUntil])).toEqual([
        [1, now + 8 * DAY],
        [2, null],
      ]);
      const { doc } = await directory(k);
      expect(rotated.keys.map((x) => x.withdrawnAt)).toEqual([null, null]);
      expect(doc.keys).toEqual(rotated.keys.map(({ withdrawnAt: _, ...x }) => x));
      // The pass signed before the rotation is still valid; a new one is signed by key 2.
      expect(verdict(parsed(before.qr), doc, now)).toBe('pass_valid');
      const after = (await declare({ ...BODY, personalId: '079203001234' })).json<Answer>();
      expect(parsed(after.qr).body.keyId).toBe(2);
      expect(verdict(parsed(after.qr), doc, now)).toBe('pass_valid');

      // A pass the old key signs with a validFrom after its period: refused.
      const stored = (await rows('SELECT private_key FROM pass_keys WHERE key_id = 1'))[0];
      const oldKey = createPrivateKey({
        key: Buffer.from(String(stored?.private_key), 'base64'),
        format: 'der',
        type: 'pkcs8',
      });
      const late = { ...parsed(before.qr).body, validFrom: now + 9 * DAY, validUntil: now + 10 * DAY };
      const forged = formatPass(late, sign(null, passSigningBytes(late), oldKey));
      expect(verdict(parsed(forged), doc, now + 9 * DAY + 1)).toBe('pass_signature_invalid');

      // Compromised: key 2 is withdrawn, every pass it signed refused; key 3 signs. The admin
      // list shows key 2 marked withdrawn; the lanes' directory leaves it out.
      const c = await rotate(true);
      expect(c.json<{ current: number; keys: { keyId: number }[] }>()).toMatchObject({
        current: 3,
        keys: [
          { keyId: 1, withdrawnAt: null },
          { keyId: 2, withdrawnAt: now },
          { keyId: 3, withdrawnAt: null },
        ],
      });
      const { doc: later } = await directory(k);
      expect(later.keys.map((x) => x.keyId)).toEqual([1, 3]);
      expect(later.version).toBe(2);
      expect(verdict(parsed(after.qr), later, now)).toBe('pass_signature_invalid');
      expect(verdict(parsed(before.qr), later, now)).toBe('pass_valid');
      const audit = await rows("SELECT target FROM audit_log WHERE action = 'pass.key_rotate' ORDER BY id");
      expect(audit).toEqual([{ target: '2' }, { target: '3' }]);
    });

    it('withdraws any pass key by id: lanes drop it (event, version), the current one is replaced; audited; listed as withdrawn', async () => {
      let now = NOW;
      const { a, k } = await build({ clock: () => now, sseKeepAliveMs: 60_000 });
      await a.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (a.app.server.address() as AddressInfo).port;
      const stream = await openSse(port, '/api/v1/kiosk/events', k.auth);
      await stream.next('hello');
      const first = (await declare(BODY)).json<Answer>();
      const withdraw = (keyId: number | string) =>
        a.app.inject({
          method: 'POST',
          url: `/api/v1/admin/passes/keys/${String(keyId)}/withdraw`,
          headers: a.admin,
        });
      now += 3_600_000;
      await a.app.inject({
        method: 'POST',
        url: '/api/v1/admin/passes/keys/rotate',
        headers: a.admin,
        payload: {},
      });
      expect(await stream.next('passes')).toEqual({ version: 1 });
      const second = (await declare({ ...BODY, personalId: '079203001234' })).json<Answer>();
      expect(parsed(second.qr).body.keyId).toBe(2);

      // Key 1 is retired, not current: withdrawn, key 2 still signs.
      now += 60_000;
      const w = await withdraw(1);
      expect(w.statusCode, w.body).toBe(200);
      expect(w.json()).toMatchObject({
        version: 2,
        current: 2,
        keys: [
          { keyId: 1, withdrawnAt: now },
          { keyId: 2, withdrawnAt: null, validUntil: null },
        ],
      });
      expect(await stream.next('passes')).toEqual({ version: 2 });
      const { doc } = await directory(k);
      expect(doc.version).toBe(2);
      expect(doc.keys.map((x) => x.keyId)).toEqual([2]);
      expect(verdict(parsed(first.qr), doc, now)).toBe('pass_signature_invalid');
      expect(verdict(parsed(second.qr), doc, now)).toBe('pass_valid');

      // The current key 2: withdrawn, key 3 made current and signing.
      const c = await withdraw(2);
      expect(c.json()).toMatchObject({
        version: 3,
        current: 3,
        keys: [{ keyId: 1 }, { keyId: 2, withdrawnAt: now }, { keyId: 3, withdrawnAt: null }],
      });
      expect(await stream.next('passes')).toEqual({ version: 3 });
      const { doc: later } = await directory(k);
      expect(later.keys.map((x) => x.keyId)).toEqual([3]);
      expect(verdict(parsed(second.qr), later, now)).toBe('pass_signature_invalid');
      const third = (await declare({ ...BODY, personalId: '001203001299' })).json<Answer>();
      expect(parsed(third.qr).body.keyId).toBe(3);
      expect(verdict(parsed(third.qr), later, now)).toBe('pass_valid');

      // GET lists the withdrawn keys too.
      const listed = await a.app.inject({
        method: 'GET',
        url: '/api/v1/admin/passes/keys',
        headers: a.admin,
      });
      expect(
        listed
          .json<{ keys: { keyId: number; withdrawnAt: number | null }[] }>()
          .keys.map((x) => [x.keyId, x.withdrawnAt !== null]),
      ).toEqual([
        [1, true],
        [2, true],
        [3, false],
      ]);
      // Again: nothing changes; unknown 404; bad id 400.
      expect((await withdraw(1)).json()).toMatchObject({ version: 3, current: 3 });
      expect((await withdraw(9)).statusCode).toBe(404);
      expect((await withdraw(9)).json()).toMatchObject({ error: 'not_found' });
      expect((await withdraw(0)).statusCode).toBe(400);
      expect((await withdraw('x')).statusCode).toBe(400);
      const audit = await rows(
        "SELECT actor, target FROM audit_log WHERE action = 'pass.key_withdraw' ORDER BY id",
      );
      expect(audit.map((r) => r.target)).toEqual(['1', '2', '1']);
      // By the same actor the rotation names.
      const rotation = await rows("SELECT actor FROM audit_log WHERE action = 'pass.key_rotate'");
      expect(audit[0]?.actor).toBe(rotation[0]?.actor);
    });

    it.skipIf(engine !== 'postgres')(
      'fleet: a rotation and a revocation on one server reach lanes streaming from another, which signs with the new key',
      async () => {
        let now = NOW;
        const { a, k } = await build({ clock: () => now, sseKeepAliveMs: 60_000 });
        if (a.engine !== 'postgres') throw new Error('postgres only');
        const pool = await a.database.open();
        const store = await openPgStore(pool, { indexKey: a.listKey, clock: () => now, closePool: false });
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
          clock: () => now,
          sseKeepAliveMs: 60_000,
        });
        try {
          await other.listen({ host: '127.0.0.1', port: 0 });
          const port = (other.server.address() as AddressInfo).port;
          const stream = await openSse(port, '/api/v1/kiosk/events', k.auth);
          await stream.next('hello');
          const body = (await declare(BODY)).json<Answer>();
          now += 60_000;
          const rotated = await a.app.inject({
            method: 'POST',
            url: '/api/v1/admin/passes/keys/rotate',
            headers: a.admin,
            payload: {},
          });
          expect(rotated.statusCode, rotated.body).toBe(200);
          expect(await stream.next('passes')).toEqual({ version: 1 });
          const revoked = await a.app.inject({
            method: 'POST',
            url: `/api/v1/admin/passes/${body.passId ?? ''}/revoke`,
            headers: a.admin,
          });
          expect(revoked.statusCode, revoked.body).toBe(200);
          expect(await stream.next('passes')).toEqual({ version: 2 });
          // The other server reads the keys again (at most 5 s after it last did) and signs with key 2.
          now += 5_000;
          const res = await other.inject({
            method: 'POST',
            url: '/api/v1/public/declarations',
            payload: { ...BODY, personalId: '079203001234' },
          });
          expect(res.statusCode, res.body).toBe(201);
          expect(parsed(res.json<Answer>().qr).body.keyId).toBe(2);
        } finally {
          await other.close();
          await bus.close();
        }
      },
    );

    it('serves /declare: Vietnamese first, inline style and script under a nonce, nothing from elsewhere', async () => {
      await build();
      const res = await app().app.inject({ method: 'GET', url: '/declare' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(res.body).toContain(`<script nonce="${nonce ?? ''}">`);
      expect(res.body).toContain(`<style nonce="${nonce ?? ''}">`);
      expect(res.body).toContain('<html lang="vi">');
      expect(res.body).toContain('Khai báo di chuyển');
      expect(res.body).toContain('min="2021-09-18" max="2021-09-25"');
      expect(res.body).toContain('<option value="79">79 – TP Hồ Chí Minh</option>');
      // No outside request: no absolute URL anywhere but the SVG namespace the QR carries.
      expect(res.body.match(/https?:\/\//g) ?? []).toEqual([]);
      const again = await app().app.inject({ method: 'GET', url: '/declare' });
      expect(again.headers['content-security-policy']).not.toBe(csp);
    });
  });
}
