// Issue 16 in the console, in real Debian Chromium against the real sync server process: a
// declaration made through the public route, its pass scanned at two far checkpoints minutes
// apart (uploads as lanes send them): the admin sees the replay alert with both passages, and a
// ward police account limited to TP Hồ Chí Minh lists the arrival with its passage on the page
// "Đến địa phương" (and is refused Hà Nội's). Screenshots at 1024×600.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { createAccount, signIn } from './console-helpers.js';

const ADMIN = { username: 'trungtam', password: 'mat-khau-trung-tam-2021' };
const POLICE = { username: 'congan.q1', password: 'mat-khau-cong-an-2021' };
const PERSON = '079201004568';

let dir: string;
let server: ServerUnderTest;
let browser: Browser;
let passId: string;

/** Enrolls a lane at a checkpoint; answers its token. */
async function enroll(checkpointId: string, name: string): Promise<string> {
  const code = await server.enrollmentCode(checkpointId);
  const res = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, name }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** Uploads one scan of the pass, as a lane does. */
async function scanPass(token: string, at: number, n: number): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/kiosk/scans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      records: [
        {
          type: 'scan',
          seq: 1,
          id: `01890a5d-ac96-7000-8000-00000000000${String(n)}`,
          at,
          source: 'camera',
          format: 'lane_pass',
          subjectKey: null,
          subjectSealed: null,
          decision: 'green',
          reasons: ['pass_valid'],
          warnings: [],
          alert: false,
          passId,
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
}

async function page1024(): Promise<Page> {
  const c = await browser.newContext({
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    viewport: { width: 1024, height: 600 },
  });
  return c.newPage();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-arrivals-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-arrivals-e2e-0123');
  await server.start();
  await server.addCheckpoint('HN-01', 'open', { location: { lat: 21.0285, lon: 105.8542 } });
  await server.addCheckpoint('SG-01', 'open', { location: { lat: 10.7769, lon: 106.7009 } });
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  const declared = await fetch(`${server.url}/api/v1/public/declarations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      personalId: PERSON,
      fullName: 'Trần Thị Bình',
      phone: '0912345678',
      from: { province: 1, district: 1, ward: 4 },
      to: { province: 79, district: 760, ward: 26734 },
      plate: '51F-123.45',
      purpose: 'Về quê',
      travelDate: today,
    }),
  });
  expect(declared.status, await declared.clone().text()).toBe(201);
  passId = ((await declared.json()) as { passId: string }).passId;
  const hn = await enroll('HN-01', 'Làn HN 1');
  const sg = await enroll('SG-01', 'Làn SG 1');
  const now = Date.now();
  await scanPass(hn, now - 20 * 60_000, 1);
  await scanPass(sg, now - 5 * 60_000, 2);
  await createAccount(server, ADMIN.username, 'admin', ADMIN.password, 'Trung tâm');
  await createAccount(server, POLICE.username, 'viewer', POLICE.password, 'Công an phường');
  const scoped = await server.admin('PATCH', `/accounts/${POLICE.username}`, { province: 79 });
  expect(scoped.status).toBe(200);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await (browser as Browser | undefined)?.close();
  await (server as ServerUnderTest | undefined)?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay alerts and arrivals in the console', () => {
  it('shows the replay alert with both passages and no person', async () => {
    const p = await page1024();
    await signIn(p, server.url, ADMIN.username, ADMIN.password);
    await p.getByTestId('page-overview').waitFor();
    await p.goto(`${server.url}/admin/#/alerts`);
    const replay = p.getByTestId('alert-replay').first();
    await replay.waitFor();
    await expect(replay.getByTestId('replay-earlier').textContent()).resolves.toContain('Chốt HN-01');
    await expect(replay.getByTestId('replay-later').textContent()).resolves.toContain('Chốt SG-01');
    await expect(p.getByTestId('alert-replay-who').first().textContent()).resolves.toContain('hai nơi');
    expect(await p.content()).not.toContain(PERSON);
    await screenshot(p, 'console-alert-replay-1024x600');
    await p.context().close();
  });

  it('lists the ward’s arrival with its passage for a province-limited account, and refuses it another province', async () => {
    const p = await page1024();
    await signIn(p, server.url, POLICE.username, POLICE.password);
    // Such an account lands on Arrivals, the only page in its navigation.
    await p.getByTestId('page-arrivals').waitFor();
    await expect(p.locator('nav.nav a').count()).resolves.toBe(1);
    await expect(p.getByTestId('nav-arrivals').count()).resolves.toBe(1);
    // Another page asked for by address shows Arrivals too.
    await p.goto(`${server.url}/admin/#/scans`);
    await p.getByTestId('page-arrivals').waitFor();
    // The province is fixed to the account's: the list loads without asking.
    await expect(p.getByTestId('arrivals-province').isDisabled()).resolves.toBe(true);
    await p.locator('#arrivals-district').fill('760');
    await p.locator('#arrivals-ward').fill('26734');
    await p.getByTestId('arrivals-search').click();
    const row = p.getByTestId('arrival-row');
    await row.first().waitFor();
    await expect(row.count()).resolves.toBe(1);
    const text = (await row.first().textContent()) ?? '';
    expect(text).toContain('Trần Thị Bình');
    expect(text).toContain(PERSON);
    expect(text).toContain('Hà Nội');
    await expect(row.getByTestId('arrival-passed').textContent()).resolves.toContain('Chốt SG-01');
    await screenshot(p, 'console-arrivals-1024x600');
    const other = await p.evaluate(async () => (await fetch('/api/v1/admin/arrivals?province=1')).status);
    expect(other).toBe(403);
    // Every other admin read is refused to it (here: the scans search and the alerts).
    const reads = await p.evaluate(async () =>
      Promise.all(['/api/v1/admin/scans', '/api/v1/admin/alerts'].map(async (u) => (await fetch(u)).status)),
    );
    expect(reads).toEqual([403, 403]);
    await p.context().close();
  });
});
