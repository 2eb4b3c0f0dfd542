// The public declaration page in real Debian Chromium on a 360 px phone screen, against the real
// server routes (embedded SQLite): no request leaves the server's origin and the CSP refuses
// nothing; a filled form yields the QR, whose PNG download reads back (zxing-wasm, as the lane's
// camera reads with) as the very pass text the route answered, which shared's parsePass and checkPass
// accept with the lane directory's keys, and which a real lane process (stdin) enrolled at this
// server decides green `pass_valid`; the English switch and the health-station notice.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePass, type PassDirectory } from '@checkpoint-lane/shared';
import { checkPass } from '@checkpoint-lane/shared/pass-verify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
// A test kit is not part of the server's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  type TestApp,
  type TestKiosk,
} from '../../sync-server/src/testing/build-test-app.js';
import { stdinLaneArgs } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';

let t: TestApp;
let lane: TestKiosk;
let origin: string;
let browser: Browser;
/** The pass text read back from the page's PNG download (first test). */
let fromPng: string | null = null;

beforeAll(async () => {
  t = await buildTestApp();
  await addCheckpoint(t, 'CP');
  lane = await enrollKiosk(t, 'CP');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser.close();
  await t.close();
});

/** A phone-sized page that records every request and every console error (CSP refusals among them). */
async function phonePage(): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'vi-VN',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, requests, errors };
}

async function fill(page: Page, personalId: string): Promise<void> {
  await page.fill('#personalId', personalId);
  await page.fill('#fullName', 'Nguyễn Văn An');
  await page.fill('#phone', '0901 234 567');
  await page.selectOption('#fromProvince', '79');
  await page.fill('#fromDistrict', '760');
  await page.selectOption('#toProvince', '1');
  await page.fill('#plate', '51F-123.45');
  await page.fill('#purpose', 'Công tác');
}

describe('declaration page in Chromium', () => {
  it('declares on a 360 px phone, shows the QR, and its PNG reads back as a pass lanes accept', async () => {
    const { page, requests, errors } = await phonePage();
    await page.goto(`${origin}/declare`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Khai báo di chuyển');
    // One column: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, 'declare-form-vi');

    await fill(page, '001099012345');
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/public/declarations'));
    await page.click('#submit');
    const res = await answered;
    expect(res.status(), await res.text()).toBe(201);
    const body = (await res.json()) as { qr: string; passId: string };
    await page.locator('#qr svg').waitFor();
    const box = await page.locator('#qr svg').boundingBox();
    expect(box?.width).toBeGreaterThan(280);
    await expect(page.locator('#passId').textContent()).resolves.toBe(body.passId);
    await expect(page.locator('#route').textContent()).resolves.toBe('TP Hồ Chí Minh → Hà Nội');
    await screenshot(page, 'declare-pass-vi');

    // English on a tap.
    await page.click('#lang');
    await expect(page.locator('#pass h2').textContent()).resolves.toBe('Checkpoint pass');
    await expect(page.locator('#route').textContent()).resolves.toBe('Ho Chi Minh City → Hanoi');
    await screenshot(page, 'declare-pass-en');

    // The PNG, drawn in the browser from the SVG, reads back as the pass text.
    const download = page.waitForEvent('download');
    await page.click('#png');
    const file = readFileSync(await (await download).path());
    expect(file.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(file.readUInt32BE(16)).toBe(1024); // IHDR width
    // zxing-wasm (what the lane's camera reads with) reads the PNG file itself.
    const require = createRequire(import.meta.url);
    const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
    await prepareZXingModule({
      overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) },
      fireImmediately: true,
    });
    const [read] = await readBarcodes(new Uint8Array(file), { formats: ['QRCode'], tryHarder: true });
    const text = read?.isValid === true ? read.text : null;
    expect(text).toBe(body.qr);
    fromPng = text;
    const parsed = parsePass(text ?? '');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const dir = await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/passes', headers: lane.auth });
    const doc = dir.json<PassDirectory>();
    expect(checkPass(parsed.value, doc.keys, new Set(), parsed.value.body.validFrom)).toBe('pass_valid');

    // The print view keeps the QR and drops the form and buttons.
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('#png').isVisible()).resolves.toBe(false);
    await expect(page.locator('#qr svg').isVisible()).resolves.toBe(true);
    await screenshot(page, 'declare-pass-print');

    expect(requests.filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob):/.test(u))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('the pass read from the page’s PNG is green pass_valid at a real lane (stdin, offline check)', async () => {
    expect(fromPng).not.toBeNull();
    // An open checkpoint decides green only on a fresh health list: give the lane one to sync.
    const csv = 'id,status,since,until,name,note\n079203009999,F0,2021-01-01,,,\n';
    expect((await importCsv(t, 'health', csv)).statusCode).toBe(200);
    const enrollment = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/enrollments',
      headers: t.admin,
      payload: { checkpointId: 'CP' },
    });
    const { code } = enrollment.json<{ code: string }>();
    const dir = mkdtempSync(join(tmpdir(), 'declare-lane-'));
    const child = spawn(process.execPath, stdinLaneArgs(origin, code, 'declare-lane', join(dir, 'lane')), {
      env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await expect.poll(() => stderr, { timeout: 30_000 }).toMatch(/"list":"health"[^\n]*snapshot applied/);
      await expect.poll(() => stderr, { timeout: 30_000 }).toMatch(/pass directory applied/);
      child.stdin.write(`${fromPng}\n`);
      await expect.poll(() => stdout, { timeout: 10_000 }).toMatch(/^\{.*\}$/m);
      const line = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
        decision?: string;
        reasons?: string[];
      };
      expect(line).toMatchObject({ decision: 'green', reasons: ['pass_valid'] });
      // The holder's ID is on no screen or log line of the lane.
      expect(stdout + stderr).not.toContain('001099012345');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a person the health list holds sees only the notice to contact the local health station', async () => {
    const csv = 'id,status,since,until,name,note\n079203001234,F0,2021-01-01,,,\n';
    expect((await importCsv(t, 'health', csv)).statusCode).toBe(200);
    const { page, errors } = await phonePage();
    await page.goto(`${origin}/declare`);
    await fill(page, '079203001234');
    await page.click('#submit');
    await page.locator('#held').waitFor();
    await expect(page.locator('#held').textContent()).resolves.toBe(
      'Đã nhận khai báo. Vui lòng liên hệ trạm y tế địa phương trước khi đi.',
    );
    await expect(page.locator('#qr svg').count()).resolves.toBe(0);
    await expect(page.locator('#png').isVisible()).resolves.toBe(false);
    // Nothing on the page says why.
    const shown = (await page.locator('main').innerText()).toLowerCase();
    // As words: the declaration id shown is hex, and may hold "f0" or "f1" inside it.
    for (const word of ['f0', 'f1', 'nhiễm', 'cách ly', 'infect', 'quarantine'])
      expect(shown).not.toMatch(new RegExp(`(^|[^\\p{L}\\p{N}])${word}($|[^\\p{L}\\p{N}])`, 'u'));
    await screenshot(page, 'declare-held-vi');
    expect(errors).toEqual([]);
  });

  it('says what is wrong in the page’s language', async () => {
    const { page } = await phonePage();
    await page.goto(`${origin}/declare`);
    await fill(page, '123');
    await page.click('#submit');
    await expect.poll(() => page.locator('#error').textContent()).toBe('Số CCCD không hợp lệ.');
    await page.click('#lang');
    await page.click('#submit');
    await expect.poll(() => page.locator('#error').textContent()).toBe('The personal ID is not valid.');
  });
});
