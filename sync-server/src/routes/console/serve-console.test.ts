import Fastify from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, serveConsole } from './serve-console.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function consoleBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-'));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>console</title><script src="console.js"></script>',
  );
  writeFileSync(join(dir, 'console.js'), 'console.info(1);');
  writeFileSync(join(dir, '.secret'), 'no');
  writeFileSync(join(dir, 'console.js.map'), '{}');
  return dir;
}

describe('serveConsole', () => {
  it('serves the page and its files with a strict CSP and no caching of the page', async () => {
    const app = Fastify();
    await serveConsole(app, consoleBuild());
    const page = await app.inject('/admin/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const script = await app.inject('/admin/console.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject('/admin')).headers.location).toBe('/admin/');
    await app.close();
  });

  it('serves no dot-files and nothing outside the build', async () => {
    const app = Fastify();
    await serveConsole(app, consoleBuild());
    expect((await app.inject('/admin/.secret')).statusCode).toBe(404);
    expect((await app.inject('/admin/console.js.map')).statusCode).toBe(404);
    expect((await app.inject('/admin/../package.json')).statusCode).toBe(404);
    expect((await app.inject('/admin/%2e%2e/%2e%2e/etc/passwd')).statusCode).toBe(404);
    await app.close();
  });

  it('says how to build the console when there is no build', async () => {
    const app = Fastify();
    await serveConsole(app, join(tmpdir(), 'no-such-console-build'));
    const page = await app.inject('/admin/');
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
    await app.close();
  });
});
