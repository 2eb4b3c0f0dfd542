import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

describe('app', () => {
  it('answers health, redirects / and lists every route in openapi.json', async () => {
    t = await buildTestApp();
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok' });
    const root = await t.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/admin/');
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, object>;
    }>();
    for (const path of [
      '/health',
      '/api/v1/admin/checkpoints',
      '/api/v1/admin/enrollments',
      '/api/v1/admin/lists/{list}/import',
      '/api/v1/admin/lists/health/entries/{subject}',
      '/api/v1/admin/lists/whitelist/entries/{subject}',
      '/api/v1/admin/kiosks',
      '/api/v1/admin/kiosks/{id}/revoke',
      '/api/v1/admin/scans',
      '/api/v1/admin/alerts',
      '/api/v1/admin/events',
      '/api/v1/admin/audit',
      '/api/v1/kiosk/enroll',
      '/api/v1/kiosk/lists/{list}/snapshot',
      '/api/v1/kiosk/lists/{list}/changes',
      '/api/v1/kiosk/events',
      '/api/v1/kiosk/scans',
      '/api/v1/kiosk/heartbeat',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });

  it('marks admin and session answers private (no-store, nosniff), errors included; the export keeps its own', async () => {
    t = await buildTestApp();
    for (const [url, headers] of [
      ['/api/v1/admin/checkpoints', { authorization: `Bearer ${t.adminToken}` }],
      ['/api/v1/admin/checkpoints', {}],
      ['/api/v1/session', {}],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.headers['cache-control']).toBeUndefined();
  });

  it('answers unknown routes and bad JSON with a clear 4xx JSON error', async () => {
    t = await buildTestApp();
    const nf = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ error: 'not_found', message: 'no route GET /nope' });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/checkpoints',
      headers: { ...t.admin, 'content-type': 'application/json' },
      payload: '{"id":',
    });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json<object>())).toEqual(['error', 'message']);
    expect(bad.json()).toMatchObject({ error: 'bad_json' });
  });

  it('answers oversized bodies with 413 and a CSV sent as JSON with 415', async () => {
    t = await buildTestApp({ bodyLimit: 1000 });
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/checkpoints',
      headers: t.admin,
      payload: { id: 'A', name: 'x'.repeat(2000), mode: 'open' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'body_too_large' });
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/lists/health/import',
      headers: t.admin,
      payload: { rows: [] },
    });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ error: 'unsupported_media_type' });
    const xml = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/lists/health/import',
      headers: { ...t.admin, 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: 'unsupported_media_type' });
  });
});
