// Every route in /openapi.json, fed schema-shaped requests with hostile values: no answer is
// ever a 5xx, every error is {error, message}, and the server still answers /health after.
// The routes are read from the document, so a route added later is covered without a change here.
import { SAFE_MULTILINE_PATTERN, SAFE_TEXT_PATTERN } from '@checkpoint-lane/shared';
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  TEST_PASSWORD,
  type TestApp,
  type TestKiosk,
  type TestSession,
} from '../testing/build-test-app.js';

/** The part of a JSON Schema (as @fastify/swagger writes it) these tests read. */
interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
interface Operation {
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
interface Route {
  readonly method: string;
  readonly path: string;
  readonly op: Operation;
}

let t: TestApp;
let k: TestKiosk;
let routes: Route[];
let accounts = 0;
let session: TestSession | null = null;

beforeAll(async () => {
  t = await buildTestApp({ enrollRateLimit: 1_000_000, loginRateLimit: 1_000_000 });
  await addCheckpoint(t, 'CP');
  k = await enrollKiosk(t, 'CP');
  const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, Operation>>;
  }>();
  routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
});
afterAll(async () => {
  await t.close();
});

/** A live console session (a fresh account when a run signed the last one out or disabled it). */
async function liveSession(): Promise<TestSession> {
  if (session !== null) {
    const probe = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: session.cookie });
    // Signed out answers 200 too ({signedIn: false}): only an answer naming the account counts.
    if (probe.statusCode === 200 && 'account' in probe.json<object>()) return session;
  }
  const username = `probe${++accounts}`;
  await addAccount(t, username);
  // Signed in from an address of its own: the hostile sign-ins from 127.0.0.1 use up that
  // address's budget of failed passwords, as they should.
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { username, password: TEST_PASSWORD },
    remoteAddress: '10.0.0.2',
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = `cl_session=${res.cookies.find((c) => c.name === 'cl_session')?.value ?? ''}`;
  const { csrfToken } = res.json<{ csrfToken: string }>();
  session = { token: '', csrfToken, cookie: { cookie }, write: { cookie, 'x-csrf-token': csrfToken } };
  return session;
}

const isEventStream = (r: Route): boolean =>
  Object.values(r.op.responses ?? {}).some((x) => x.content?.['text/event-stream'] !== undefined) ||
  /\/events$/.test(r.path);

const typesOf = (s: Schema): string[] => (s.type === undefined ? [] : [s.type].flat());

/** An anchored pattern without `*`, `+` or `{n,}` matches only bounded strings. */
const boundedPattern = (p: string | undefined): boolean =>
  p !== undefined && p.startsWith('^') && p.endsWith('$') && !/[*+]|\{\d+,\}/.test(p);

/** Paths (in `where`) of every integer, string or array in a request schema that has no bound. */
function unboundedIn(s: Schema | undefined, where: string, out: string[]): void {
  if (s === undefined) return;
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])])
    unboundedIn(alt, where, out);
  const types = typesOf(s);
  if (types.includes('integer') || types.includes('number')) {
    const ok =
      typeof s.minimum === 'number' &&
      typeof s.maximum === 'number' &&
      Number.isSafeInteger(s.minimum) &&
      Number.isSafeInteger(s.maximum);
    if (!ok) out.push(`${where}: number without safe minimum and maximum`);
  }
  if (types.includes('string') && s.enum === undefined && s.const === undefined) {
    if (s.maxLength === undefined && !boundedPattern(s.pattern))
      out.push(`${where}: string without maxLength`);
  }
  if (types.includes('array')) {
    if (s.maxItems === undefined) out.push(`${where}: array without maxItems`);
    unboundedIn(s.items, `${where}[]`, out);
  }
  for (const [name, p] of Object.entries(s.properties ?? {})) unboundedIn(p, `${where}.${name}`, out);
  if (typeof s.additionalProperties === 'object') unboundedIn(s.additionalProperties, `${where}.*`, out);
}

// ---- hostile values -------------------------------------------------------------------------

/** Text put verbatim into a JSON body where a generated value holds `raw(text)`. */
const RAW = '\u0001raw:';
const raw = (text: string): string => `${RAW}${text}\u0001`;
const toJson = (value: unknown): string =>
  JSON.stringify(value).replace(/"\\u0001raw:(.*?)\\u0001"/g, (_m, text: string) =>
    text.replace(/\\"/g, '"').replace(/\\\\/g, '\\'),
  );

/** Numbers written as JSON text, so `9007199254740993`, `1e400` and `-0` reach the parser as sent. */
const HOSTILE_NUMBER_TEXT = [
  '1e20',
  '-1e20',
  '1e308',
  '1e400',
  '-1e400',
  '-0',
  '0.5',
  '-1',
  '-9007199254740991',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '4503599627370496.5',
  '2147483648',
  '18446744073709551616',
  '123456789012345678901234567890',
  '1.7976931348623157e308',
  '5e-324',
] as const;

const MEGABYTE = 'x'.repeat(1 << 20);
const DEEP_ARRAY = raw(`${'['.repeat(5_000)}${']'.repeat(5_000)}`);
const DEEP_OBJECT = raw(`${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`);

/** A hostile value for any position in a body. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_NUMBER_TEXT).map(raw),
  fc.constantFrom(
    null,
    true,
    false,
    '',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e20',
    '9007199254740993',
    '-0',
    '0x1F',
    ' 7',
    '１２３',
    '\u0000',
    '\ud800',
    'e\u0301\u202e\u200b',
    '🦄💥',
    '../../etc/passwd',
    "'; DROP TABLE scans; --",
    '%00%2e%2e',
    [],
    {},
    MEGABYTE,
    DEEP_ARRAY,
    DEEP_OBJECT,
    raw('{"__proto__":{"polluted":1}}'),
    raw('{"constructor":{"prototype":{"polluted":1}}}'),
    raw(`[${'0,'.repeat(100_000)}0]`),
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

const safeBig = (min: number | undefined, max: number | undefined): fc.Arbitrary<number> =>
  fc
    .bigInt({
      min: BigInt(min ?? Number.MIN_SAFE_INTEGER),
      max: BigInt(max ?? Number.MAX_SAFE_INTEGER),
    })
    .map(Number);

/** A value the schema accepts, its bounds included. */
function valid(s: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (s === undefined || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  const alts = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  const inner = (): fc.Arbitrary<unknown> => {
    if (alts.length > 0) return fc.oneof(...alts.map((a) => valid(a, depth + 1)));
    if (s.enum !== undefined) return fc.constantFrom(...s.enum);
    if (s.const !== undefined) return fc.constant(s.const);
    const type = typesOf(s)[0];
    switch (type) {
      case 'integer': {
        const edges = [s.minimum, s.maximum].filter((x): x is number => x !== undefined);
        return fc.oneof(
          safeBig(s.minimum, s.maximum),
          fc.constantFrom(...edges, Math.max(0, s.minimum ?? 0)),
        );
      }
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'string': {
        const max = s.maxLength ?? 200;
        if (s.pattern !== undefined)
          return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= max);
        if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
        // Code points: what ajv's minLength and maxLength count.
        return fc.oneof(
          fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(max, 40), unit: 'binary' }),
          fc.string({ minLength: max, maxLength: max, unit: 'binary' }),
        );
      }
      case 'array':
        return fc.array(valid(s.items, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 4, 4),
        });
      case 'object': {
        const props = Object.fromEntries(
          Object.entries(s.properties ?? {}).map(([n, p]) => [n, valid(p, depth + 1)]),
        );
        return fc.record(props, { requiredKeys: s.required ?? [] });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  };
  return inner();
}

/** Every place in a JSON value a hostile value can go, as key paths ([] is the whole value). */
function placesIn(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => placesIn(x, [...at, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [key, x] of Object.entries(v)) placesIn(x, [...at, key], out);
  return out;
}

/** A copy of `v` with `value` at `path` (a new key when the path ends in one it lacks). */
function withValueAt(v: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(v)) return (v as unknown[]).map((x, i) => (i === head ? withValueAt(x, rest, value) : x));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return { ...o, [head]: withValueAt(o[head], rest, value) };
  }
  return v;
}

/**
 * A value shaped like the schema with hostile values put in: a valid value with one to three of
 * its places (a field, an item, the whole) or an extra field replaced, so each hostile value
 * reaches the code behind validation with everything around it right.
 */
function shaped(s: Schema | undefined): fc.Arbitrary<unknown> {
  const base = valid(s);
  const mutated = fc
    .tuple(base, fc.array(fc.tuple(fc.nat(), hostileValue, fc.boolean()), { minLength: 1, maxLength: 3 }))
    .map(([v, edits]) =>
      edits.reduce<unknown>((acc, [n, hostile, extraKey]) => {
        const places = placesIn(acc);
        const place = places[n % places.length] ?? [];
        return withValueAt(acc, extraKey ? [...place, 'extra'] : place, hostile);
      }, v),
    );
  return fc.oneof({ weight: 1, arbitrary: base }, { weight: 4, arbitrary: mutated });
}

/** Text for a query or path parameter: valid for its schema (mostly), or hostile. */
function paramText(s: Schema): fc.Arbitrary<string> {
  const hostile = fc.constantFrom(
    ...HOSTILE_NUMBER_TEXT,
    'NaN',
    'Infinity',
    '',
    ' ',
    '0x10',
    '1_000',
    'true',
    'null',
    '[]',
    '\u0000',
    '..',
    '../admin',
    '/',
    '%',
    '🦄',
    'x'.repeat(10_000),
  );
  const fromSchema = valid(s).map((v) =>
    typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : toJson(v),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fromSchema },
    { weight: 1, arbitrary: hostile },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  );
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD, where encodeURIComponent throws). */
const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

/** One request for a route: path, query and body from its schemas, hostile values mixed in. */
function requestFor(r: Route): fc.Arbitrary<{ url: string; body: string | undefined; type: string }> {
  const params = r.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = r.op.requestBody?.content['application/json']?.schema;
  const takesBody = r.method !== 'GET' && r.method !== 'HEAD';
  const body: fc.Arbitrary<{ body: string | undefined; type: string }> = takesBody
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: shaped(bodySchema).map((v) => ({ body: toJson(v), type: 'application/json' })),
        },
        { weight: 1, arbitrary: hostileValue.map((v) => ({ body: toJson(v), type: 'application/json' })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            { body: '', type: 'application/json' },
            { body: '{', type: 'application/json' },
            { body: 'null', type: 'application/json' },
            { body: '{"a":1,"a":2}', type: 'application/json' },
            { body: '\ufeff{}', type: 'application/json' },
            { body: 'id,status\n001099012345,F0\n', type: 'text/csv' },
            { body: '<x/>', type: 'application/xml' },
            { body: '{}', type: 'application/json; charset=utf-16' },
            { body: '{}', type: 'application/json;;;' },
            { body: 'id\n', type: 'text/csv; charset=latin1' },
            { body: 'a=1', type: 'application/x-www-form-urlencoded' },
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .uint8Array({ maxLength: 64 })
            .map((b) => ({ body: Buffer.from(b).toString('latin1'), type: 'text/csv' })),
        },
      )
    : fc.constant({ body: undefined, type: '' });
  return fc
    .tuple(
      fc.tuple(...pathParams.map((p) => paramText(p.schema)), fc.constant('')),
      fc.tuple(
        ...queryParams.map((p) =>
          fc.option(
            fc.oneof(
              { weight: 6, arbitrary: paramText(p.schema).map((v) => [v]) },
              { weight: 1, arbitrary: fc.tuple(paramText(p.schema), paramText(p.schema)) },
            ),
            { nil: undefined, freq: 2 },
          ),
        ),
        fc.constant(undefined),
      ),
      body,
    )
    .map(([pathValues, queryValues, b]) => {
      let url = r.path;
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, percentEncode(pathValues[i] ?? ''));
      });
      const qs = new URLSearchParams();
      queryParams.forEach((p, i) => {
        for (const v of queryValues[i] ?? []) qs.append(p.name, v);
      });
      const q = qs.toString();
      return { url: q === '' ? url : `${url}?${q}`, ...b };
    });
}

/** Headers routes read besides credentials, with hostile values (a snapshot's Range, Origin …). */
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom('range', 'if-range', 'origin', 'x-background', 'accept', 'x-forwarded-for'),
  fc.oneof(
    fc.constantFrom(
      'bytes=0-',
      'bytes=99999999999999999999-',
      'bytes=-5',
      'bytes=5-1',
      'bytes=0-1,2-3',
      '"etag"',
      'null',
      'http://localhost:80',
      'https://evil.example',
      '1',
      '*/*',
      'text/event-stream',
      '999.1.1.1',
    ),
    fc.string({ maxLength: 40 }).map((x) => x.replace(/[^\x20-\x7e]/g, '')),
  ),
  { maxKeys: 2 },
);

/** The credentials a route needs (admin routes: the bearer token or a console session, by turns). */
async function credentials(r: Route, useSession: boolean): Promise<Record<string, string>> {
  const schemes = new Set((r.op.security ?? []).flatMap((s) => Object.keys(s)));
  if (schemes.has('kioskToken')) return k.auth;
  if (schemes.has('adminToken') && !useSession) return t.admin;
  if (schemes.has('sessionCookie')) return (await liveSession()).write;
  return {};
}

const answerIsError = (res: { statusCode: number; headers: Record<string, unknown>; body: string }): void => {
  if (res.statusCode < 400) return;
  if (!String(res.headers['content-type']).startsWith('application/json')) return;
  expect(Object.keys(JSON.parse(res.body) as object).sort()).toEqual(['error', 'message']);
};

describe('every route in /openapi.json', () => {
  it('bounds every number, string and array a request may carry', () => {
    const found: string[] = [];
    for (const r of routes) {
      for (const p of r.op.parameters ?? [])
        unboundedIn(p.schema, `${r.method} ${r.path} ${p.in}:${p.name}`, found);
      for (const [type, c] of Object.entries(r.op.requestBody?.content ?? {}))
        unboundedIn(c.schema, `${r.method} ${r.path} body(${type})`, found);
    }
    expect(found).toEqual([]);
    expect(routes.length).toBeGreaterThan(35);
  });

  it(
    'refuses a NUL or another control character in every free-text field with a 400 naming it',
    { timeout: 60_000 },
    async () => {
      // PostgreSQL's text and jsonb cannot hold a NUL (SQLite can): the schema refuses it on both.
      const safe = new Set([SAFE_TEXT_PATTERN, SAFE_MULTILINE_PATTERN]);
      const one = <T>(a: fc.Arbitrary<T>): T => fc.sample(a, { numRuns: 1, seed: 7 })[0] as T;
      const checked: string[] = [];
      for (const r of routes.filter((x) => !isEventStream(x))) {
        const params = r.op.parameters ?? [];
        const url = params
          .filter((p) => p.in === 'path')
          .reduce((u, p) => u.replace(`{${p.name}}`, percentEncode(String(one(valid(p.schema))))), r.path);
        const bodySchema = r.op.requestBody?.content['application/json']?.schema;
        const creds = await credentials(r, false);
        const send = (query: string, body?: unknown) =>
          t.app.inject({
            method: r.method as 'GET',
            url: `${url}${query}`,
            headers: {
              ...creds,
              ...(body !== undefined && { 'content-type': 'application/json' }),
            },
            ...(body !== undefined && { payload: JSON.stringify(body) }),
          });
        const fields: [string, boolean, (bad: string) => ReturnType<typeof send>][] = [];
        for (const p of params.filter((x) => x.in === 'query' && safe.has(x.schema.pattern ?? '')))
          fields.push([
            `querystring/${p.name}`,
            p.schema.pattern === SAFE_MULTILINE_PATTERN,
            (bad) => send(`?${p.name}=${percentEncode(bad)}`),
          ]);
        for (const [name, prop] of Object.entries(bodySchema?.properties ?? {})) {
          if (!safe.has(prop.pattern ?? '')) continue;
          const base = one(valid(bodySchema)) as Record<string, unknown>;
          fields.push([
            `body/${name}`,
            prop.pattern === SAFE_MULTILINE_PATTERN,
            (bad) => send('', { ...base, [name]: bad }),
          ]);
        }
        for (const [field, multiline, sendBad] of fields) {
          for (const bad of [
            'A\u0000B',
            '\u0000',
            'A\u0007B',
            'A\u001fB',
            ...(multiline ? [] : ['A\nB', 'A\tB']),
          ]) {
            const res = await sendBad(bad);
            expect(
              res.statusCode,
              `${r.method} ${r.path} ${field} ${JSON.stringify(bad)} → ${res.body}`,
            ).toBe(400);
            expect(res.json<{ error: string; message: string }>()).toMatchObject({ error: 'bad_request' });
            expect(res.json<{ message: string }>().message).toContain(
              `${field} must not contain control characters`,
            );
          }
          checked.push(`${r.method} ${r.path} ${field}`);
        }
      }
      expect(checked.sort()).toEqual([
        'GET /api/v1/admin/audit querystring/action',
        'GET /api/v1/admin/audit querystring/actor',
        'GET /api/v1/admin/audit querystring/target',
        'PATCH /api/v1/admin/accounts/{username} body/displayName',
        'POST /api/v1/admin/accounts body/displayName',
        'POST /api/v1/admin/alerts/{id}/ack body/note',
        'POST /api/v1/admin/checkpoints body/name',
        'POST /api/v1/kiosk/enroll body/name',
        'POST /api/v1/public/declarations body/fullName',
        'POST /api/v1/public/declarations body/purpose',
        'PUT /api/v1/admin/lists/health/entries/{subject} body/name',
        'PUT /api/v1/admin/lists/health/entries/{subject} body/note',
        'PUT /api/v1/admin/lists/whitelist/entries/{subject} body/name',
        'PUT /api/v1/admin/lists/whitelist/entries/{subject} body/note',
        'PUT /api/v1/admin/officers/{id} body/name',
      ]);
    },
  );

  it('never answers 5xx to schema-shaped requests with hostile values', { timeout: 300_000 }, async () => {
    const covered: string[] = [];
    for (const r of routes.filter((x) => !isEventStream(x))) {
      await fc.assert(
        fc.asyncProperty(requestFor(r), fc.boolean(), extraHeaders, async (req, useSession, extra) => {
          const headers = {
            ...extra,
            ...(await credentials(r, useSession)),
            ...(req.body !== undefined && { 'content-type': req.type }),
          };
          const res = await t.app.inject({
            method: r.method as 'GET',
            url: req.url,
            headers,
            ...(req.body !== undefined && { payload: req.body }),
          });
          expect(
            res.statusCode,
            `${r.method} ${req.url.slice(0, 200)} → ${res.body.slice(0, 300)}`,
          ).toBeLessThan(500);
          answerIsError(res);
        }),
        { numRuns: Number(process.env.HOSTILE_RUNS ?? 30) },
      );
      covered.push(`${r.method} ${r.path}`);
    }
    expect(covered.length).toBeGreaterThan(30);
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  });

  it('answers the event streams and the console with hostile paths and queries, never 5xx', async () => {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    expect(address).toContain('127.0.0.1');
    const status = (path: string, headers: Record<string, string>): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
          res.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const streams = routes.filter(isEventStream);
    expect(streams.map((r) => r.path).sort()).toEqual(['/api/v1/admin/events', '/api/v1/kiosk/events']);
    const queries = ['', '?since=1e400', '?x=9007199254740993', `?q=${'%F0%9F'.repeat(100)}`, '?a[b][c]=1'];
    for (const r of streams) {
      for (const q of queries) {
        for (const useSession of [false, true]) {
          const code = await status(`${r.path}${q}`, await credentials(r, useSession));
          expect(code, `${r.path}${q}`).toBe(200);
        }
      }
    }
    for (const path of [
      '/admin/',
      '/admin/%2e%2e/%2e%2e/etc/passwd',
      '/admin/..%2f..%2fserver.db',
      `/admin/${'a'.repeat(5_000)}`,
      '/admin/%00',
      '/admin/%E0%A4%A',
    ]) {
      const code = await status(path, {});
      expect(code, path).toBeLessThan(500);
    }
    expect(await status('/health', {})).toBe(200);
  });
});
