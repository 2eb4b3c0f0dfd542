// The admin console in real Debian Chromium against the real sync server process, with real
// lane processes feeding scans: sign-in (good, bad, lockout), viewer vs admin rights, CSV import
// preview and commit, a live F0 alert, the fleet with an offline lane, scan search and export, a
// vehicle's scans (vehicle mode), the audit log. Every page is saved as a screenshot, and no
// request may leave the server.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin, LaneAgent, StdinScanner, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { createAccount, foreignRequests, signIn, StdinLane } from './console-helpers.js';

const F0 = '001090123456';
const CLEAN = '079301004567';
const SUSPECT = '036085000123';
const ADMIN = { username: 'quantri', password: 'mat-khau-quan-tri-2021', name: 'Nguyễn Quản Trị' };
const VIEWER = { username: 'xem', password: 'mat-khau-chi-xem-2021', name: 'Trần Chỉ Xem' };
const LOCKED = { username: 'khoa', password: 'mat-khau-se-bi-khoa', name: 'Lê Bị Khoá' };
const HEALTH_HEADER = 'id,status,since,until,name,note';

let dir: string;
let server: ServerUnderTest;
let liveLane: StdinLane;
let goneLane: StdinLane;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const requests: string[] = [];

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  context.on('request', (req) => requests.push(req.url()));
  return context;
}

/** Opens a console page afresh (a full load, so no filter or form state carries over). */
async function open(route: string): Promise<void> {
  const url = `${server.url}/admin/#/${route}`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.getByTestId(`page-${route}`).waitFor();
  await page.getByTestId('loading').first().waitFor({ state: 'detached' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-console-e2e-0123', [
    '--offline-after',
    '2',
  ]);
  await server.start();
  // No repeat window at HCM-01: the alert test scans the same F0 again, however soon after the
  // first (on a fast run it came within the default 5 s and was rightly not recorded).
  await server.addCheckpoint('HCM-01', 'open', { repeatWindowSec: 0 });
  await server.addCheckpoint('HCM-02', 'closed');
  await server.importCsv('health', `${HEALTH_HEADER}\n${F0},F0,2026-01-01,,Nguyễn Văn A,\n`);
  await createAccount(server, ADMIN.username, 'admin', ADMIN.password, ADMIN.name);
  await createAccount(server, VIEWER.username, 'viewer', VIEWER.password, VIEWER.name);
  await createAccount(server, LOCKED.username, 'viewer', LOCKED.password, LOCKED.name);
  liveLane = await StdinLane.start(server, join(dir, 'lane-1'), 'lan-1', 'HCM-01');
  goneLane = await StdinLane.start(server, join(dir, 'lane-2'), 'lan-2', 'HCM-02');
  await goneLane.kill();
  browser = await launchChromium();
  admin = await newContext();
  page = await admin.newPage();
}, 120_000);

afterAll(async () => {
  await browser.close();
  await liveLane.kill();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('admin console', () => {
  it('refuses a wrong password and signs in with the right one', async () => {
    await signIn(page, server.url, ADMIN.username, 'not-the-password');
    await expect(page.getByTestId('login-error').textContent()).resolves.toMatch(
      /Sai tên đăng nhập hoặc mật khẩu/,
    );
    await screenshot(page, 'console-sign-in-refused');
    await signIn(page, server.url, ADMIN.username, ADMIN.password);
    await page.getByTestId('page-overview').waitFor();
    await expect(page.getByTestId('who').textContent()).resolves.toContain(ADMIN.name);
    await page.getByTestId('chart-hourly').waitFor();
    await page.getByTestId('chart-decisions').waitFor();
    await screenshot(page, 'console-overview');
  });

  it('locks an account after five wrong passwords, even against the right one', async () => {
    const context = await newContext();
    const p = await context.newPage();
    for (let i = 0; i < 5; i++) {
      await signIn(p, server.url, LOCKED.username, `wrong-password-${i}`);
      await p.getByTestId('login-error').waitFor();
    }
    await signIn(p, server.url, LOCKED.username, LOCKED.password);
    await expect(p.getByTestId('login-error').textContent()).resolves.toMatch(/bị khoá/);
    await expect(p.getByTestId('page-overview').count()).resolves.toBe(0);
    await screenshot(p, 'console-sign-in-locked');
    await context.close();
  });

  it('lets a viewer look but not change anything', async () => {
    const context = await newContext();
    const p = await context.newPage();
    await signIn(p, server.url, VIEWER.username, VIEWER.password);
    await p.getByTestId('page-overview').waitFor();
    await expect(p.getByTestId('nav-accounts').count()).resolves.toBe(0);
    await p.goto(`${server.url}/admin/#/lists`);
    await p.getByTestId('lists-table').waitFor();
    await expect(p.getByTestId('list-row-health').getByTestId('list-version').textContent()).resolves.toBe(
      '1',
    );
    await expect(p.getByTestId('import-file').count()).resolves.toBe(0);
    await expect(p.getByTestId('entry-new').count()).resolves.toBe(0);
    await screenshot(p, 'console-lists-viewer');
    await p.goto(`${server.url}/admin/#/officers`);
    await p.getByTestId('officers-version').waitFor();
    await expect(p.getByTestId('officer-new').count()).resolves.toBe(0);
    // The server refuses a change from a viewer even with a valid session and CSRF token.
    const status = await p.evaluate(async () => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const res = await fetch('/api/v1/admin/checkpoints', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ id: 'HACK-1', name: 'x', mode: 'open' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    await context.close();
  });

  it('previews a CSV with a bad row without writing it, then commits a good file', async () => {
    await open('lists');
    const version = page.getByTestId('list-row-health').getByTestId('list-version');
    await expect(version.textContent()).resolves.toBe('1');
    const bad = `${HEALTH_HEADER}\n001090000011,F1,2026-01-02,,,\n00109000001X,F0,2026-01-02,,,\n`;
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.getByTestId('import-check').click();
    await page.getByTestId('import-report').waitFor();
    await expect(page.getByTestId('report-rejected').textContent()).resolves.toBe('1');
    const rejected = page.getByTestId('rejected-row');
    await expect(rejected.count()).resolves.toBe(1);
    await expect(rejected.first().textContent()).resolves.toMatch(/^3/);
    await expect(page.getByTestId('import-commit').isDisabled()).resolves.toBe(true);
    await screenshot(page, 'console-import-rejected');
    await page.getByTestId('import-cancel').click();
    await expect(page.getByTestId('import-report').count()).resolves.toBe(0);
    const after = await server.admin<{ lists: { list: string; version: number }[] }>('GET', '/lists');
    expect(after.body.lists.find((l) => l.list === 'health')?.version).toBe(1);

    const good = `${HEALTH_HEADER}\n001090000011,F1,2026-01-02,,,\n001090000012,F1,2026-01-02,,,\n`;
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.getByTestId('import-check').click();
    await page.getByTestId('import-report').waitFor();
    await expect(page.getByTestId('report-accepted').textContent()).resolves.toBe('2');
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-done').waitFor();
    await expect.poll(() => version.textContent()).toBe('2');
    const history = page.getByTestId('history-row').first();
    await expect.poll(() => history.textContent()).toContain(ADMIN.username);
    await screenshot(page, 'console-lists');
  });

  it('adds, edits and deletes one health entry, each a list version', async () => {
    const ENTRY = '079190000123';
    await open('lists');
    const version = page.getByTestId('list-row-health').getByTestId('list-version');
    const before = Number(await version.textContent());
    const search = async (): Promise<void> => {
      await page.getByTestId('entry-subject').fill(ENTRY);
      await page.getByTestId('entry-search-submit').click();
    };
    await search();
    await page.getByTestId('entry-missing').waitFor();
    await page.getByTestId('entry-new').click();
    const form = page.getByTestId('entry-form');
    await form.locator('#entry-status').selectOption('F1');
    await form.locator('#entry-from').fill('2026-11-20');
    await form.locator('#entry-note').fill('tiếp xúc gần');
    await page.getByTestId('entry-save').click();
    await expect
      .poll(() => page.getByTestId('entry-view').getByTestId('entry-status').textContent())
      .toBe('F1');
    await expect.poll(() => version.textContent()).toBe(String(before + 1));
    const stored = await server.admin<{ status: string }>('GET', `/lists/health/entries/${ENTRY}`);
    expect(stored.body.status).toBe('F1');

    await page.getByTestId('entry-edit').click();
    await page.getByTestId('entry-form').locator('#entry-status').selectOption('F0');
    await page.getByTestId('entry-save').click();
    await expect
      .poll(() => page.getByTestId('entry-view').getByTestId('entry-status').textContent())
      .toBe('F0');
    await screenshot(page, 'console-lists-entry');

    await page.getByTestId('entry-delete').click();
    await page.getByTestId('confirm-yes').click();
    await expect.poll(() => version.textContent()).toBe(String(before + 3));
    expect((await server.admin('GET', `/lists/health/entries/${ENTRY}`)).status).toBe(404);
    const history = (await page.getByTestId('history-row').allTextContents()).slice(0, 3).join('\n');
    expect(history).toMatch(/list\.delete[\s\S]*list\.put[\s\S]*list\.put/);
  });

  it('shows an F0 scan at a lane as a live alert, and an admin acknowledges it', async () => {
    await open('alerts');
    await page.locator('[data-testid="live-state"].on').waitFor();
    const rows = page.getByTestId('alert-row');
    const before = await rows.count();
    const decision = await liveLane.scan(F0);
    expect(decision['decision']).toBe('red');
    const scannedAt = Date.now();
    await expect.poll(() => rows.count(), { timeout: 15_000, interval: 50 }).toBe(before + 1);
    const shownAfterMs = Date.now() - scannedAt;
    // Latency from the lane's decision to the row on screen (upload + SSE + render), for the note.
    console.info(`console e2e: F0 alert on screen ${shownAfterMs} ms after the lane's decision`);
    const row = rows.first();
    await expect(row.textContent()).resolves.toMatch(/HCM-01/);
    await expect(row.textContent()).resolves.toMatch(/lan-1/);
    await expect(row.textContent()).resolves.not.toContain(F0);
    await expect(page.getByTestId('nav-alerts-badge').textContent()).resolves.toMatch(/1/);
    await screenshot(page, 'console-alerts');
    await row.getByTestId('alert-ack').click();
    await row.getByTestId('alert-acked').waitFor();
    await expect(row.getByTestId('alert-acked').textContent()).resolves.toContain(ADMIN.username);
    const stored = await server.admin<{ alerts: { ackedBy: string | null }[] }>('GET', '/alerts');
    expect(stored.body.alerts[0]?.ackedBy).toBe(ADMIN.username);
  });

  it('shows the live lane online and the stopped lane offline, and issues an enrollment code', async () => {
    await open('checkpoints');
    const state = (name: string) =>
      page.locator(`[data-testid="lane-row"][data-lane-name="${name}"] [data-testid="lane-status"]`);
    await expect.poll(() => state('lan-2').getAttribute('data-state'), { timeout: 20_000 }).toBe('offline');
    await expect(state('lan-1').getAttribute('data-state')).resolves.toBe('online');
    await page
      .locator('[data-testid="checkpoint-row"][data-checkpoint="HCM-02"]')
      .getByTestId('enroll-issue')
      .click();
    const code = await page.getByTestId('enroll-code').textContent();
    expect(code?.trim()).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.getByTestId('enroll-qr').waitFor();
    await screenshot(page, 'console-checkpoints-lanes');
    // The code on screen enrolls a lane.
    const enrolled = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: code?.trim(), name: 'lan-3' }),
    });
    expect(enrolled.status).toBe(201);
    // The new lane reports that it refused a badly signed list: the panel says so in words.
    const { token } = (await enrolled.json()) as { token: string };
    const beat = await fetch(`${server.url}/api/v1/kiosk/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        listVersions: { health: 0, whitelist: 0 },
        backlog: 0,
        devices: [],
        clock: Date.now(),
        listRefusals: { count: 2, lastReason: 'bad_signature', lastList: 'health', lastAt: Date.now() },
      }),
    });
    expect(beat.status).toBe(200);
    await open('checkpoints');
    const refusals = page.locator(
      '[data-testid="lane-row"][data-lane-name="lan-3"] [data-testid="lane-refusals"]',
    );
    await expect(refusals.textContent()).resolves.toBe(
      'Từ chối dữ liệu 2 lần, lần cuối: chữ ký sai (health)',
    );
    await screenshot(page, 'console-lane-refused-lists');
    // Vehicle mode is a checkpoint setting: ticked in the form, stored, shown in the list.
    const hcm02 = page.locator('[data-testid="checkpoint-row"][data-checkpoint="HCM-02"]');
    await hcm02.getByTestId('checkpoint-edit').click();
    await page.locator('#cp-vehicle-mode').check();
    await screenshot(page, 'console-checkpoint-vehicle-mode');
    await page.getByTestId('checkpoint-save').click();
    await expect.poll(() => hcm02.locator('td').nth(2).textContent()).toContain('· xe');
    const saved = await server.admin<{ checkpoints: { id: string; vehicleMode?: boolean }[] }>(
      'GET',
      '/checkpoints',
    );
    expect(saved.body.checkpoints.find((c) => c.id === 'HCM-02')?.vehicleMode).toBe(true);
  });

  it('searches scans by subject and decision and exports them as CSV', async () => {
    await liveLane.scan(CLEAN);
    // The page reads scans when it opens: wait until the lane has uploaded both.
    await expect
      .poll(async () => (await server.admin<{ scans: unknown[] }>('GET', '/scans')).body.scans.length)
      .toBe(2);
    await open('scans');
    await expect(page.getByTestId('scan-row').count()).resolves.toBe(2);
    await page.getByLabel(/Số định danh|Personal ID/).fill(F0);
    await page.getByLabel(/Kết quả|Decision/).selectOption('red');
    await page.getByTestId('scans-search').click();
    await expect.poll(() => page.getByTestId('scan-row').count()).toBe(1);
    await expect(page.getByTestId('scan-row').textContent()).resolves.not.toContain(F0);
    await screenshot(page, 'console-scans');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('scans-export').click(),
    ]);
    const path = await download.path();
    const csv = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^received_at,at,checkpoint,lane,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('HCM-01');
    expect(lines[1]).toContain('red');
    expect(csv).not.toContain(F0);
  });

  it("shows an officer's override on the scan it changed, with officer and reason", async () => {
    // An in-process lane agent: the stdin lane has no touchscreen to override from.
    const laneDir = join(dir, 'lane-4');
    mkdirSync(laneDir, { recursive: true });
    writeFileSync(
      join(laneDir, 'officers.json'),
      JSON.stringify([{ id: 'CB-07', role: 'officer', pinHash: hashPin('2468') }]),
    );
    const agent = await LaneAgent.open({
      dataDir: laneDir,
      keyStore: insecureFileKeyStore(laneDir),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('HCM-01'),
      laneName: 'lan-4',
      scanners: [new StdinScanner(new PassThrough())],
      logger: pino({ level: 'silent' }),
    });
    try {
      await agent.start(10_000);
      const scan = agent.submit(SUSPECT);
      expect(scan.decision).toBe('green');
      expect(scan.scanId).not.toBeNull();
      const override = await agent.override(scan.scanId ?? '', {
        decision: 'red',
        officerId: 'CB-07',
        officerPin: '2468',
        reason: 'document_mismatch',
        note: 'giấy tờ không khớp',
      });
      expect(override.ok).toBe(true);
      await expect
        .poll(async () => {
          const res = await server.admin<{ scans: { overrides: unknown[] }[] }>('GET', '/scans');
          return res.body.scans.some((x) => x.overrides.length > 0);
        })
        .toBe(true);
    } finally {
      await agent.stop();
    }
    await open('scans');
    const overridden = page.getByTestId('scan-override');
    await expect(overridden.count()).resolves.toBe(1);
    const text = await overridden.textContent();
    expect(text).toContain('CB-07');
    expect(text).toMatch(/document_mismatch|Giấy tờ|giấy tờ/);
    await screenshot(page, 'console-scans-override');
  });

  it('shows the audit log with the account names, filtered by actor', async () => {
    await open('audit');
    await page.getByLabel(/Người thực hiện|Actor/).fill(ADMIN.username);
    await page.getByTestId('audit-search').click();
    const rows = page.getByTestId('audit-row');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain('alert.ack');
    expect(text).toContain('list.import');
    expect(text).not.toContain('token@');
    await screenshot(page, 'console-audit');
  });

  it('shows the accounts page and switches to English', async () => {
    await open('accounts');
    await expect(page.getByTestId('account-row').count()).resolves.toBe(3);
    await screenshot(page, 'console-accounts');
    await page.getByTestId('lang-toggle').click();
    await expect(page.getByTestId('nav-overview').textContent()).resolves.toMatch(/Overview/);
    await open('overview');
    await screenshot(page, 'console-overview-en');
  });

  it('creates an officer for HCM-01 with a PIN; the roster answers no PIN or hash', async () => {
    const PIN = '579135';
    await open('officers');
    await expect(page.getByTestId('officers-version').getAttribute('data-version')).resolves.toBe('0');
    await page.getByTestId('officer-new').click();
    const form = page.getByTestId('officer-form');
    await form.locator('#officer-id').fill('CB-11');
    await form.locator('#officer-name').fill('Phạm Văn Cán');
    await form.locator('#officer-cp-all').uncheck();
    await form.locator('#officer-cp-HCM-01').check();
    await expect(form.getByTestId('officer-pin').getAttribute('inputmode')).resolves.toBe('numeric');
    // New PINs follow the server's minimum (6 by default), said in words before anything is sent.
    await expect(page.getByTestId('officers-pin-rule').getAttribute('data-min')).resolves.toBe('6');
    await form.getByTestId('officer-pin').fill('12345');
    await form.getByTestId('officer-save').click();
    await expect(page.getByTestId('officer-form-error').textContent()).resolves.toMatch(
      /PIN mới phải có ít nhất 6 chữ số|A new PIN needs at least 6 digits/,
    );
    await form.getByTestId('officer-pin').fill(PIN);
    await form.getByTestId('officer-save').click();
    const row = page.locator('[data-testid="officer-row"][data-officer="CB-11"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('HCM-01');
    await expect(row.getByTestId('officer-state').getAttribute('data-state')).resolves.toBe('active');
    await expect.poll(() => page.getByTestId('officers-version').getAttribute('data-version')).toBe('1');
    await screenshot(page, 'console-officers');

    // The same PIN for another officer at HCM-01 is refused in words, and nothing is written.
    await page.getByTestId('officer-new').click();
    await form.locator('#officer-id').fill('CB-12');
    await form.locator('#officer-name').fill('Đỗ Thị Trùng');
    await form.getByTestId('officer-pin').fill(PIN);
    await form.getByTestId('officer-save').click();
    await expect(page.getByTestId('officer-form-error').textContent()).resolves.toMatch(
      /PIN này đã có cán bộ khác dùng tại cùng chốt|already uses this PIN/,
    );
    await expect(page.getByTestId('officer-row').count()).resolves.toBe(1);
    await screenshot(page, 'console-officers-pin-in-use');

    const roster = await server.admin<{
      version: number;
      officers: { id: string; checkpoints: string[] | null; role: string }[];
    }>('GET', '/officers');
    expect(roster.status).toBe(200);
    expect(roster.body.version).toBe(1);
    expect(roster.body.officers).toHaveLength(1);
    const officer = roster.body.officers[0];
    expect(officer).toMatchObject({ id: 'CB-11', role: 'officer', checkpoints: ['HCM-01'], disabled: false });
    expect(Object.keys(officer ?? {}).sort()).toEqual([
      'checkpoints',
      'disabled',
      'id',
      'name',
      'role',
      'updatedAt',
    ]);
    const text = JSON.stringify(roster.body);
    expect(text).not.toContain(`"${PIN}"`);
    expect(text).not.toMatch(/scrypt|pinHash|hash/i);
  });

  it('rings and banners a new alert, groups repeats, reveals who to an admin (audited), shows what the lane did', async () => {
    await open('overview');
    if ((await page.getByTestId('nav-overview').textContent())?.includes('Overview') === true)
      await page.getByTestId('lang-toggle').click(); // back to Vietnamese
    await expect.poll(() => page.getByTestId('nav-overview').textContent()).toMatch(/Tổng quan/);
    // A second F0 scan at lan-1: a banner (until dismissed) and a beep, on whatever page is open.
    const second = await liveLane.scan(F0);
    const banner = page.getByTestId('alert-banner');
    await banner.waitFor({ timeout: 15_000 });
    await expect(banner.textContent()).resolves.toMatch(/HCM-01[\s\S]*lan-1/);
    await expect(banner.textContent()).resolves.toContain('••••••••3456');
    await expect(banner.textContent()).resolves.not.toContain(F0);
    await expect.poll(() => banner.getAttribute('data-sound')).toBe('played');
    await screenshot(page, 'console-alert-banner');
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alerts-table').waitFor();
    await expect(banner.isVisible()).resolves.toBe(true); // stays while the admin moves around
    await page.getByTestId('alert-banner-dismiss').click();
    await expect(banner.count()).resolves.toBe(0);

    // Both F0 alerts of this subject within the hour: one row, "2 lần trong 1 giờ", newest first.
    const row = page.getByTestId('alert-row').first();
    await expect.poll(() => row.getByTestId('alert-repeats').textContent()).toBe('2 lần trong 1 giờ');
    await expect(page.getByTestId('alert-repeat-row').count()).resolves.toBe(0);
    await row.getByTestId('alert-repeats-toggle').click();
    await expect(page.getByTestId('alert-repeat-row').count()).resolves.toBe(1);
    await expect(row.getByTestId('lane-outcome').getAttribute('data-state')).resolves.toBe('pending');

    // Who: masked until an admin asks; the ID and the list entry's name then, and the read audited.
    await expect(row.getByTestId('alert-subject-masked').textContent()).resolves.toBe('••••••••3456');
    await row.getByTestId('alert-reveal').click();
    await expect.poll(() => row.getByTestId('alert-identity').textContent()).toContain(F0);
    await expect(row.getByTestId('alert-identity').textContent()).resolves.toContain('Nguyễn Văn A');
    await screenshot(page, 'console-alerts-grouped-identity');
    const audit = await server.admin<{ records: { actor: string; details: { subjectKey: string } }[] }>(
      'GET',
      '/audit?action=alert.subject',
    );
    expect(audit.body.records).toHaveLength(1);
    expect(audit.body.records[0]?.actor).toBe(ADMIN.username);
    expect(JSON.stringify(audit.body)).not.toContain(F0);

    // What happened at the lane: an officer at a real lane agent sees an F0 and taps "Đã xem".
    const laneDir = join(dir, 'lane-5');
    mkdirSync(laneDir, { recursive: true });
    const agent = await LaneAgent.open({
      dataDir: laneDir,
      keyStore: insecureFileKeyStore(laneDir),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('HCM-01'),
      laneName: 'lan-5',
      scanners: [new StdinScanner(new PassThrough())],
      logger: pino({ level: 'silent' }),
    });
    let agentScanId = '';
    try {
      await agent.start(10_000);
      const scan = agent.submit(F0);
      expect(scan.decision).toBe('red');
      agentScanId = scan.scanId ?? '';
      expect(agent.acknowledge(agentScanId, 'đã gọi y tế').ok).toBe(true);
      await agent.drainOutbox(10_000);
    } finally {
      await agent.stop();
    }
    const acked = page.locator(
      `[data-testid="alert-row"] [data-testid="lane-outcome"][data-state="acknowledged"]`,
    );
    await expect.poll(() => acked.count(), { timeout: 15_000 }).toBe(1);
    await expect(acked.textContent()).resolves.toMatch(/Cán bộ đã xem[\s\S]*đã gọi y tế/);

    // A lane at HCM-02 claims an override of lan-1's F0 scan with officers nobody knows.
    const code = await server.enrollmentCode('HCM-02');
    const enrolled = (await (
      await fetch(`${server.url}/api/v1/kiosk/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: 'lan-gia' }),
      })
    ).json()) as { token: string };
    const upload = await fetch(`${server.url}/api/v1/kiosk/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${enrolled.token}` },
      body: JSON.stringify({
        records: [
          {
            type: 'override',
            seq: 1,
            id: '01890a5d-ac96-7000-8000-0000000e2e01',
            at: Date.now(),
            scanId: second['scanId'],
            originalDecision: 'red',
            decision: 'green',
            officerId: 'o1',
            supervisorId: 'chief',
            reason: 'other',
            note: '',
          },
        ],
      }),
    });
    expect(await upload.json()).toEqual({ ackedThrough: 1 }); // the lane is never stuck
    const suspicious = page.locator('[data-testid="alert-row"][data-kind="override"]');
    await suspicious.waitFor({ timeout: 15_000 });
    const text = await suspicious.textContent();
    expect(text).toMatch(/Điều chỉnh đáng ngờ/);
    expect(text).toMatch(/lượt quét của làn khác/);
    expect(text).toMatch(/cán bộ không có trong danh sách/);
    expect(text).toMatch(/lan-gia/);
    await banner.waitFor();
    await screenshot(page, 'console-alert-override');
    // At 1280×800 the whole alerts table fits its card: no sideways scrolling, and the state
    // column's "Xác nhận" button is fully in view.
    const fit = await page.evaluate(() => {
      const table = document.querySelector('[data-testid="alerts-table"]')!;
      const box = table.parentElement!;
      const ack = document.querySelector('[data-testid="alert-ack"]')!.getBoundingClientRect();
      return {
        overflow: box.scrollWidth - box.clientWidth,
        ackRight: ack.right,
        boxRight: box.getBoundingClientRect().right,
      };
    });
    expect(fit.overflow).toBeLessThanOrEqual(0);
    expect(fit.ackRight).toBeLessThanOrEqual(fit.boxRight);
    await page.getByTestId('alert-banner-dismiss').click();

    // Its link opens that one scan, the forged override shown flagged beside the scan.
    await suspicious.getByTestId('alert-scan-link').click();
    await page.getByTestId('scans-one').waitFor();
    await expect.poll(() => page.getByTestId('scan-row').count()).toBe(1);
    await expect(page.getByTestId('scan-row').getAttribute('data-scan-id')).resolves.toBe(second['scanId']);
    await expect(page.getByTestId('record-suspicious').count()).resolves.toBe(1);
    await screenshot(page, 'console-scan-suspicious-override');

    // A viewer sees the same alerts masked, and no way to reveal who.
    const context = await newContext();
    const p = await context.newPage();
    await signIn(p, server.url, VIEWER.username, VIEWER.password);
    await p.getByTestId('page-overview').waitFor();
    await p.goto(`${server.url}/admin/#/alerts`);
    await p.getByTestId('alert-row').first().waitFor();
    await expect(p.getByTestId('alert-reveal').count()).resolves.toBe(0);
    await expect(p.getByTestId('alert-identity-hidden').count()).resolves.toBeGreaterThan(0);
    await expect(p.locator('body').textContent()).resolves.not.toContain(F0);
    await screenshot(p, 'console-alerts-viewer');
    await context.close();
  });

  it('shows an offline lane’s devices as unknown', async () => {
    await open('checkpoints');
    const devices = page.locator(
      '[data-testid="lane-row"][data-lane-name="lan-2"] [data-testid="lane-device"]',
    );
    await expect.poll(() => devices.count()).toBeGreaterThan(0);
    await expect(devices.first().textContent()).resolves.toMatch(/không rõ/);
  });

  it('imports dd/mm/yyyy dates, words row errors in Vietnamese or English, and hands back the skipped rows to fix', async () => {
    await open('lists');
    const version = page.getByTestId('list-row-health').getByTestId('list-version');
    const before = Number(await version.textContent());
    const file = [
      HEALTH_HEADER,
      '001090000021,F1,18/09/2026,30/09/2026,,',
      '001090000022,F1,31/02/2026,,,"ngày sai"',
      '001090000023,F1,1/10/2026,,,',
    ].join('\r\n');
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: 'so-y-te.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
    await page.getByTestId('import-check').click();
    await page.getByTestId('import-report').waitFor();
    await expect(page.getByTestId('report-accepted').textContent()).resolves.toBe('2');
    const rejected = page.getByTestId('rejected-row');
    await expect(rejected.textContent()).resolves.toMatch(
      /^3Cột since: ngày không có thật \(31\/02\/2026\)$/,
    );
    await page.getByTestId('lang-toggle').click();
    await expect.poll(() => rejected.textContent()).toMatch(/Column since: no such day \(31\/02\/2026\)/);
    await page.getByTestId('lang-toggle').click();
    await expect.poll(() => rejected.textContent()).toMatch(/ngày không có thật/);
    await screenshot(page, 'console-import-dmy-rejected');

    // Keep the good rows: the console says how many rows were skipped, and offers them back.
    await page.getByTestId('import-partial').check();
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-done').waitFor();
    await expect(page.getByTestId('import-done').textContent()).resolves.toMatch(
      /2 mục; bỏ qua 1 dòng bị từ chối/,
    );
    await expect.poll(() => version.textContent()).toBe(String(before + 1));
    const stored = await server.admin<{ since: number; until: number }>(
      'GET',
      '/lists/health/entries/001090000021',
    );
    expect(stored.body.since).toBe(Date.parse('2026-09-18T00:00:00+07:00'));
    expect(stored.body.until).toBe(Date.parse('2026-10-01T00:00:00+07:00') - 1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('import-rejected-csv').click(),
    ]);
    const rejectedCsv = readFileSync(await download.path(), 'utf8');
    expect(rejectedCsv).toBe(
      `\uFEFF${HEALTH_HEADER},reason\r\n001090000022,F1,31/02/2026,,,"ngày sai",Cột since: ngày không có thật (31/02/2026)\r\n`,
    );
    await screenshot(page, 'console-import-partial-skipped');

    // Fixed in place and imported again as it is (the reason column is ignored).
    const fixed = rejectedCsv.replace('31/02/2026', '28/02/2026');
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: 'so-y-te-rejected.csv', mimeType: 'text/csv', buffer: Buffer.from(fixed) });
    await page.getByTestId('import-check').click();
    await page.getByTestId('import-report').waitFor();
    await expect(page.getByTestId('report-accepted').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('report-rejected').textContent()).resolves.toBe('0');
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-done').waitFor();
    const note = await server.admin<{ note: string | null }>('GET', '/lists/health/entries/001090000022');
    expect(note.body.note).toBe('ngày sai');
  });

  it("marks the scans of a vehicle and shows one vehicle's scans (plate and passengers) when its marker is tapped", async () => {
    // A lane in vehicle mode at its own checkpoint: plate A with two people, then plate B (which
    // closes A) with one. Real scans, uploaded as in the field.
    await server.addCheckpoint('HCM-03', 'open', { repeatWindowSec: 0 });
    const lane = await StdinLane.start(server, join(dir, 'lane-3'), 'lan-3', 'HCM-03', {
      args: ['--vehicle-mode'],
    });
    try {
      const plateA = String((await lane.scan('51F-123.45'))['scanId']);
      const riders = [String((await lane.scan('079301004568'))['scanId'])];
      riders.push(String((await lane.scan('036085000124'))['scanId']));
      const plateB = String((await lane.scan('30G-111.22'))['scanId']);
      const riderB = String((await lane.scan('001203004006'))['scanId']);
      // And a person at lan-1, in no vehicle.
      const alone = String((await liveLane.scan(CLEAN))['scanId']);
      await expect
        .poll(
          async () =>
            (await server.admin<{ scans: unknown[] }>('GET', `/scans?scan=${alone}`)).body.scans.length,
        )
        .toBe(1);
      await expect
        .poll(
          async () =>
            (await server.admin<{ scans: unknown[] }>('GET', '/scans?checkpoint=HCM-03')).body.scans.length,
        )
        .toBe(5);
      await open('scans');
      const rowOf = (id: string) => page.locator(`[data-testid="scan-row"][data-scan-id="${id}"]`);
      // Every scan of a vehicle is marked with its vehicle; the plate scan says it is the plate.
      for (const [id, vehicleId, plate] of [
        [plateA, plateA, 'true'],
        [riders[0], plateA, 'false'],
        [riders[1], plateA, 'false'],
        [plateB, plateB, 'true'],
        [riderB, plateB, 'false'],
      ] as const) {
        const marker = rowOf(id ?? '').getByTestId('scan-vehicle');
        await expect(marker.getAttribute('data-vehicle-id')).resolves.toBe(vehicleId);
        await expect(marker.getAttribute('data-plate')).resolves.toBe(plate);
        await expect(marker.textContent()).resolves.toBe(plate === 'true' ? ' Xe · biển số' : ' Xe');
      }
      // lan-1's scans belong to no vehicle: no marker.
      await expect(rowOf(alone).getByTestId('scan-vehicle').count()).resolves.toBe(0);
      const total = await page.getByTestId('scan-row').count();
      await expect(page.getByTestId('scan-vehicle').count()).resolves.toBe(5);
      expect(total).toBeGreaterThan(5);
      await screenshot(page, 'console-scans-vehicle-markers');

      await rowOf(riders[1] ?? '')
        .getByTestId('scan-vehicle')
        .click();
      await page.getByTestId('scans-vehicle').waitFor();
      expect(new URL(page.url()).hash).toBe(`#/scans?vehicle=${plateA}`);
      await expect.poll(() => page.getByTestId('scan-row').count()).toBe(3);
      const shown = await page
        .getByTestId('scan-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-scan-id')));
      expect(shown).toEqual([riders[1], riders[0], plateA]);
      const count = page.getByTestId('scans-vehicle-count');
      await expect(count.getAttribute('data-plate')).resolves.toBe('true');
      await expect(count.getAttribute('data-passengers')).resolves.toBe('2');
      await expect(page.getByTestId('scans-vehicle').textContent()).resolves.toMatch(
        /một xe.*Lượt quét biển số và 2 người đi cùng/,
      );
      await screenshot(page, 'console-scans-vehicle');

      // The export gives the same vehicle's scans, each naming it in the last column.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('scans-export').click(),
      ]);
      const lines = readFileSync(await download.path(), 'utf8')
        .replace(/^\uFEFF/, '')
        .trim()
        .split(/\r?\n/);
      expect(lines[0]).toMatch(/,scan_id,override_verified,vehicle_id$/);
      expect(lines.slice(1).map((l) => l.split(',').at(-1))).toEqual([plateA, plateA, plateA]);

      await page.getByTestId('lang-toggle').click();
      await expect
        .poll(() => rowOf(plateA).getByTestId('scan-vehicle').textContent())
        .toMatch(/Vehicle · plate/);
      await expect(page.getByTestId('scans-vehicle').textContent()).resolves.toMatch(/one vehicle/);
      await page.getByTestId('lang-toggle').click();
      await expect
        .poll(() => rowOf(plateA).getByTestId('scan-vehicle').textContent())
        .toMatch(/Xe · biển số/);

      // Back to every scan.
      await page.getByTestId('scans-all').click();
      await expect.poll(() => page.getByTestId('scan-row').count()).toBe(total);
      await expect(page.getByTestId('scans-vehicle').count()).resolves.toBe(0);
    } finally {
      await lane.kill();
    }
  });

  it('made no request beyond the server it was served from', () => {
    expect(requests.length).toBeGreaterThan(20);
    expect(foreignRequests(requests, server.url)).toEqual([]);
  });
});
