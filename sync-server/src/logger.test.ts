import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.js';
import { addCheckpoint, buildTestApp, type TestApp } from './testing/build-test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('logging', () => {
  it('strips subjects and query strings from URLs', () => {
    expect(redactUrl('/api/v1/admin/lists/health/entries/001099012345')).toBe(
      '/api/v1/admin/lists/health/entries/:subject',
    );
    expect(redactUrl('/api/v1/admin/scans?subject=001099012345&limit=5')).toBe('/api/v1/admin/scans?…');
    expect(redactUrl('/health')).toBe('/health');
  });

  it('never writes tokens, subject IDs or names into request logs', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    t = await buildTestApp({ logger: createLogger({ level: 'debug', destination }) });
    await addCheckpoint(t, 'CP');
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012345',
      headers: t.admin,
      payload: { status: 'F0', name: 'Nguyễn Văn A' },
    });
    await t.app.inject({ method: 'GET', url: '/api/v1/admin/scans?subject=001099012345', headers: t.admin });
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/kiosks',
      headers: { authorization: 'Bearer secret-guess' },
    });
    const log = lines.join('');
    expect(log).toMatch(/entries\/:subject/);
    expect(log).not.toContain('001099012345');
    expect(log).not.toContain('Nguyễn');
    expect(log).not.toContain(t.adminToken);
    expect(log).not.toContain('secret-guess');
  });
});
