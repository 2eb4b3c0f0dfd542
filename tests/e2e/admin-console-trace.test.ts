// The console's trace page in real Debian Chromium against the real sync server process, over
// scans that real lane processes (stdin scanners, enrolled, sealing subjects as every lane does)
// uploaded: a viewer sees no tracing; an admin pastes IDs and a CSV (refused lines named), runs a
// 2-hop trace from the page, sees the contacts grouped by index subject and by checkpoint and on a
// timeline, filters them, downloads the CSV, promotes two contacts as F1 (a new health-list
// version that a lane then applies: the contact scans red there), and deletes the trace.
// Screenshots at 1280×800 and 1024×600.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRACE_CSV_COLUMNS } from '@checkpoint-lane/shared';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { createAccount, foreignRequests, signIn, StdinLane } from './console-helpers.js';

const F0 = '001090123456';
/** Scanned at HCM-01 just after the F0: hop 1. */
const NEAR_1 = '079301004567';
const NEAR_2 = '036085000123';
/** Scanned only at HCM-02, just after NEAR_1 was: hop 2 (through NEAR_1), never hop 1. */
const FAR = '001203004005';
const ADMIN = { username: 'truyvet', password: 'mat-khau-truy-vet-2021', name: 'Phạm Truy Vết' };
const VIEWER = { username: 'chixem', password: 'mat-khau-chi-xem-2021', name: 'Trần Chỉ Xem' };

let dir: string;
let server: ServerUnderTest;
let lane1: StdinLane;
let lane2: StdinLane;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requests: string[] = [];

async function newContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const c = await browser.newContext({
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    viewport,
    acceptDownloads: true,
  });
  c.on('request', (req) => requests.push(req.url()));
  return c;
}

/** How many scans the server holds. */
async function scanCount(): Promise<number> {
  return (await server.admin<{ scans: unknown[] }>('GET', '/scans?limit=500')).body.scans.length;
}

/** The subjects of the contact rows shown, sorted (a contact in two groups counted once). */
async function shownContacts(p: Page): Promise<string[]> {
  const subjects = await p
    .getByTestId('trace-contact')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-subject') ?? ''));
  return [...new Set(subjects)].sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-trace-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-trace-e2e-012345');
  await server.start();
  // No repeat window: NEAR_1 is scanned again after the promote.
  await server.addCheckpoint('HCM-01', 'open', { repeatWindowSec: 0 });
  await server.addCheckpoint('HCM-02', 'open', { repeatWindowSec: 0 });
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,,\n`);
  await createAccount(server, ADMIN.username, 'admin', ADMIN.password, ADMIN.name);
  await createAccount(server, VIEWER.username, 'viewer', VIEWER.password, VIEWER.name);
  lane1 = await StdinLane.start(server, join(dir, 'lane-1'), 'lan-1', 'HCM-01');
  lane2 = await StdinLane.start(server, join(dir, 'lane-2'), 'lan-2', 'HCM-02');
  // Real scans, sealed and uploaded by the lanes as in the field: the F0 and two people just after
  // it at HCM-01; at HCM-02, NEAR_1 again and FAR just after it.
  expect((await lane1.scan(F0))['decision']).toBe('red');
  await lane1.scan(NEAR_1);
  await lane1.scan(NEAR_2);
  await lane2.scan(NEAR_1);
  await lane2.scan(FAR);
  for (let i = 0; (await scanCount()) < 5; i++) {
    if (i > 150) throw new Error('the lanes did not upload their 5 scans within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await launchChromium();
  context = await newContext();
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  // Whatever beforeAll got to start (it may have stopped half-way).
  await (browser as Browser | undefined)?.close();
  await (lane1 as StdinLane | undefined)?.kill();
  await (lane2 as StdinLane | undefined)?.kill();
  await (server as ServerUnderTest | undefined)?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console trace page', () => {
  it('is not offered to a viewer, and the server refuses a viewer the traces', async () => {
    const c = await newContext();
    const p = await c.newPage();
    await signIn(p, server.url, VIEWER.username, VIEWER.password);
    await p.getByTestId('page-overview').waitFor();
    await expect(p.getByTestId('nav-traces').count()).resolves.toBe(0);
    await p.goto(`${server.url}/admin/#/traces`);
    await p.getByTestId('page-traces').getByTestId('error').waitFor();
    await expect(p.getByTestId('trace-start').count()).resolves.toBe(0);
    const status = await p.evaluate(async () => (await fetch('/api/v1/admin/traces')).status);
    expect(status).toBe(403);
    await c.close();
  });

  it('reads typed IDs and a pasted CSV, naming the refused lines', async () => {
    await signIn(page, server.url, ADMIN.username, ADMIN.password);
    await page.getByTestId('nav-traces').click();
    await page.getByTestId('trace-start').waitFor();
    const box = page.getByTestId('trace-subjects');
    await box.fill(`${F0}\nkhông phải mã\n 0010-9012-3456 \n`);
    const count = page.getByTestId('trace-read-count');
    await expect.poll(() => count.getAttribute('data-read')).toBe('2');
    await expect(count.getAttribute('data-distinct')).resolves.toBe('1');
    await expect(page.getByTestId('trace-refused-line').getAttribute('data-line')).resolves.toBe('2');
    await page.getByTestId('trace-source-csv').click();
    await box.fill(`ho_ten,cccd,ghi_chu\n"Nguyễn, Văn A",${F0},F0\nLê B,,\n`);
    await expect.poll(() => count.getAttribute('data-read')).toBe('1');
    await expect(page.getByTestId('trace-read').textContent()).resolves.toContain('tiêu đề');
    await expect(page.getByTestId('trace-refused-line').getAttribute('data-line')).resolves.toBe('3');
    await screenshot(page, 'console-trace-start-csv');
  });

  it('runs a 2-hop trace from the page and shows its contacts grouped, filtered and on a timeline', async () => {
    // A trace this small is done before the page first asks: the first two answers of the list are
    // the server's own with the trace shown as still running at 40 %, so the progress bar and the
    // page's polling (it asks again by itself until nothing runs) are seen.
    let held = 0;
    await page.route('**/api/v1/admin/traces', async (route) => {
      if (route.request().method() !== 'GET' || held >= 2) return route.fallback();
      held++;
      const res = await route.fetch();
      const body = (await res.json()) as { traces: Record<string, unknown>[] };
      for (const tr of body.traces)
        Object.assign(tr, { status: 'running', progress: 0.4, contactCount: null });
      return route.fulfill({ response: res, json: body });
    });
    await page.getByTestId('trace-hops-2').check();
    await page.getByTestId('trace-run').click();
    await page.getByTestId('trace-start-done').waitFor();
    const row = page.getByTestId('trace-row').first();
    await expect(row.getByTestId('trace-progress').getAttribute('value')).resolves.toBe('40');
    await screenshot(page, 'console-trace-running');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    expect(held).toBe(2);
    await page.unroute('**/api/v1/admin/traces');
    await expect(row.getByTestId('trace-contact-count').textContent()).resolves.toBe('3');
    await screenshot(page, 'console-trace-list');

    await row.getByTestId('trace-open').click();
    await page.getByTestId('trace-contacts').waitFor();
    expect(await shownContacts(page)).toEqual([NEAR_2, NEAR_1, FAR].sort());
    // By index subject: the F0's group has the two at HCM-01; NEAR_1's (hop 2) has FAR.
    const groups = page.getByTestId('trace-group');
    await expect(groups.evaluateAll((g) => g.map((x) => x.getAttribute('data-group')))).resolves.toEqual([
      F0,
      NEAR_1,
    ]);
    const far = page.locator(`[data-testid=trace-contact][data-subject="${FAR}"]`);
    await expect(far.getAttribute('data-hop')).resolves.toBe('2');
    await expect(far.getAttribute('data-via')).resolves.toBe('lane');
    await expect(far.getByTestId('trace-evidence').textContent()).resolves.toContain('lan-2');
    await screenshot(page, 'console-trace-by-index');

    await page.getByTestId('trace-view-checkpoint').click();
    await expect(groups.evaluateAll((g) => g.map((x) => x.getAttribute('data-group')))).resolves.toEqual([
      'HCM-01',
      'HCM-02',
    ]);
    await screenshot(page, 'console-trace-by-checkpoint');

    await page.getByTestId('trace-view-timeline').click();
    const times = await page
      .getByTestId('trace-timeline-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-at'))));
    expect(times.length).toBe(3);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await expect(page.getByTestId('trace-strip-dot').count()).resolves.toBe(3);
    await screenshot(page, 'console-trace-timeline');

    await page.getByTestId('trace-view-index').click();
    await page.getByTestId('trace-filter-hop').selectOption('1');
    await expect.poll(() => shownContacts(page)).toEqual([NEAR_2, NEAR_1].sort());
    await expect(page.getByTestId('trace-results').locator('h2').textContent()).resolves.toContain('2');
    await page.getByTestId('trace-filter-via').selectOption('vehicle');
    await page.getByTestId('trace-contacts').getByText('Không có tiếp xúc nào').waitFor();
    await page.getByTestId('trace-filter-via').selectOption('');
    await page.getByTestId('trace-filter-hop').selectOption('');
    await page.getByTestId('trace-filter-checkpoint').selectOption('HCM-02');
    // The filters are asked of the server: wait for its answer, not for the rows still shown.
    await expect.poll(() => shownContacts(page)).toEqual([FAR]);
    await page.getByTestId('trace-filter-checkpoint').selectOption('');
    await expect.poll(() => shownContacts(page)).toHaveLength(3);
  });

  it('downloads the contacts as the server’s CSV', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('trace-export').click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    expect(header).toBe(TRACE_CSV_COLUMNS.join(','));
    expect(rows.some((r) => r.startsWith(`${NEAR_1},`))).toBe(true);
    expect(rows.some((r) => r.startsWith(`${FAR},`))).toBe(true);
    expect(rows.some((r) => r.startsWith(`${F0},`))).toBe(false);
    const audit = await server.admin<{ records: unknown[] }>('GET', '/audit?action=trace.export');
    expect(audit.body.records.length).toBe(1);
  });

  it('promotes two chosen contacts as F1: one new health version, applied by a lane', async () => {
    const before = (
      await server.admin<{ lists: { list: string; version: number }[] }>('GET', '/lists')
    ).body.lists.find((l) => l.list === 'health')?.version;
    expect(before).toBeDefined();
    await expect(page.getByTestId('promote').isDisabled()).resolves.toBe(true);
    for (const s of [NEAR_1, NEAR_2]) {
      await page
        .locator(`[data-testid=trace-contact][data-subject="${s}"]`)
        .getByTestId('trace-pick')
        .first()
        .check();
    }
    await expect(page.getByTestId('trace-selected-count').getAttribute('data-count')).resolves.toBe('2');
    await page.getByTestId('promote-status').selectOption('F1');
    const until = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId('promote-until').fill(until);
    await page.getByTestId('promote').click();
    await expect(page.getByTestId('trace-promote').locator('.confirm-q').textContent()).resolves.toContain(
      '2',
    );
    await screenshot(page, 'console-trace-promote-confirm');
    await page.getByTestId('trace-promote').getByTestId('confirm-yes').click();
    const done = page.getByTestId('promote-done');
    await done.waitFor();
    const version = (before ?? 0) + 1;
    await expect(done.textContent()).resolves.toContain(`phiên bản ${version}`);
    await expect(page.getByTestId('trace-selected-count').getAttribute('data-count')).resolves.toBe('0');
    await screenshot(page, 'console-trace-promoted');
    for (const s of [NEAR_1, NEAR_2]) {
      const entry = await server.admin<{ status: string; until: number | null }>(
        'GET',
        `/lists/health/entries/${s}`,
      );
      expect(entry.body.status).toBe('F1');
      // The chosen day, in Vietnam time.
      const day = Date.parse(`${until}T00:00:00+07:00`);
      expect(entry.body.until).toBeGreaterThanOrEqual(day);
      expect(entry.body.until).toBeLessThanOrEqual(day + 86_400_000);
    }
    expect((await server.admin('GET', `/lists/health/entries/${FAR}`)).status).toBe(404);
    const audit = await server.admin<{ records: { action: string; target: string | null }[] }>(
      'GET',
      '/audit?action=trace.promote',
    );
    expect(audit.body.records.length).toBe(1);
    // The lane gets the version like any list change; NEAR_1 is then red there (F1 blocks).
    await expect
      .poll(async () => (await lane1.scan(NEAR_1))['decision'], { timeout: 20_000, interval: 500 })
      .toBe('red');
  });

  it('fits 1024×600 and reads in English', async () => {
    const small = await newContext({ width: 1024, height: 600 });
    const p = await small.newPage();
    await signIn(p, server.url, ADMIN.username, ADMIN.password);
    await p.getByTestId('page-overview').waitFor();
    await p.goto(`${server.url}/admin/#/traces`);
    await p.getByTestId('trace-row').first().waitFor();
    await screenshot(p, 'console-trace-list-1024');
    await p.getByTestId('trace-open').first().click();
    await p.getByTestId('trace-contacts').waitFor();
    await screenshot(p, 'console-trace-by-index-1024');
    // Nothing on the page is wider than the window.
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await p.getByTestId('lang-toggle').click();
    await p.getByTestId('trace-results').getByText('By index subject').waitFor();
    await screenshot(p, 'console-trace-by-index-en-1024');
    await small.close();
  });

  it('traces every F0 added since a time, then deletes the traces after the confirmation', async () => {
    await page.goto(`${server.url}/admin/#/traces`);
    const row = page.getByTestId('trace-row');
    await row.first().waitFor();
    await page.getByTestId('trace-source-f0').click();
    // An hour ago, Vietnam time (the field's zone whatever the browser's): the F0 was imported since.
    const anHourAgo = new Date(Date.now() + 7 * 3600_000 - 3600_000).toISOString().slice(0, 16);
    await page.getByTestId('trace-f0-since').fill(anHourAgo);
    await page.getByTestId('trace-run').click();
    await expect.poll(() => row.count()).toBe(2);
    const newest = row.first();
    await expect.poll(() => newest.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    await expect(newest.locator('td').nth(3).textContent()).resolves.toBe('1');
    await expect(newest.getByTestId('trace-contact-count').textContent()).resolves.toBe('2');
    for (const left of [1, 0]) {
      await row.first().getByTestId('trace-delete').click();
      await row.first().getByTestId('confirm-yes').click();
      await expect.poll(() => row.count()).toBe(left);
    }
    await page.getByTestId('trace-delete-done').waitFor();
    const audit = await server.admin<{ records: unknown[] }>('GET', '/audit?action=trace.delete');
    expect(audit.body.records.length).toBe(2);
    expect(foreignRequests(requests, server.url)).toEqual([]);
  });
});
