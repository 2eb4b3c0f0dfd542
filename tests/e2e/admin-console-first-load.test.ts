// The admin console's first load in real Debian Chromium against the real server process: the
// sign-in page comes up with no error in the browser's console and no 4xx/5xx answer (its
// session check answers "not signed in" with a 200), and signing in then works as before. Once on
// the embedded SQLite and once in fleet mode on a fresh PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A test kit is not part of the server's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  createTestDatabase,
  pgUnavailable,
  type TestDatabase,
} from '../../sync-server/src/db/pg/pg-database.testkit.js';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, SCREENSHOTS } from './browser.js';
import { createAccount, signIn } from './console-helpers.js';

const pgSkip = await pgUnavailable();

for (const engine of ['sqlite', 'postgres'] as const) {
  describe.skipIf(engine === 'postgres' && pgSkip !== null)(`admin console first load [${engine}]`, () => {
    let dir: string;
    let database: TestDatabase | null = null;
    let server: ServerUnderTest;
    let browser: Browser;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'console-first-load-'));
      if (engine === 'postgres') database = await createTestDatabase();
      server = new ServerUnderTest(
        join(dir, 'server'),
        await freePort(),
        'admin-token-for-first-load-0123',
        database ? ['--database', database.url] : [],
      );
      await server.start();
      await createAccount(server, 'quantri', 'admin', 'mat-khau-quan-tri-2021', 'Nguyễn Quản Trị');
      browser = await launchChromium();
    }, 90_000);

    afterAll(async () => {
      await browser.close();
      await server.stop();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('shows sign-in with no browser console error and no error answer, then signs in', async () => {
      const context = await browser.newContext({ locale: 'vi-VN' });
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      const failed: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      const probe = page.waitForResponse((r) => r.url().endsWith('/api/v1/session'));
      await page.goto(`${server.url}/admin/`);
      await page.getByTestId('login-form').waitFor();
      const answer = await probe;
      expect(answer.status()).toBe(200);
      await expect(answer.json()).resolves.toEqual({ signedIn: false });
      // Reload once more: a stale page load must not error either.
      await page.reload();
      await page.getByTestId('login-form').waitFor();
      expect(failed).toEqual([]);
      expect(consoleErrors).toEqual([]);

      await signIn(page, server.url, 'quantri', 'mat-khau-quan-tri-2021');
      await page.getByTestId('page-overview').waitFor();
      await expect(page.getByTestId('who').textContent()).resolves.toContain('Nguyễn Quản Trị');
      // Signed in, a reload finds the session through the same check.
      await page.reload();
      await page.getByTestId('page-overview').waitFor();
      expect(failed).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `console-first-load-${engine}.png`) });
      await context.close();
    });
  });
}
