// Issue 17 in the console, in real Debian Chromium against the real sync server process: the
// "Cổng tự động" page of a mall's checkpoint lists its unattended lanes (state, faults, counts,
// last report) and follows their heartbeats live: a relay lost and a red at one gate turn its card
// to a fault and bring the gate alerts in without a reload (admin event stream). The alerts page
// words the gate alerts; the fleet table shows the gate; the officers page issues a staff card
// whose QR, read back with zxing-wasm from the page, verifies with the server's list-signing key.
// Heartbeats are sent over HTTP as a lane sends them (the lane's gate mode is tested on its own
// side); screenshots at 1280×800 and 1024×600.
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseListSignature,
  parseStaffCard,
  staffCardMessage,
  type GateReport,
  type ListSigningKeysAnswer,
} from '@checkpoint-lane/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { createAccount, signIn } from './console-helpers.js';

const ADMIN = { username: 'giamsat', password: 'mat-khau-giam-sat-2021' };

let dir: string;
let server: ServerUnderTest;
let browser: Browser;
const lanes: Record<string, { id: string; token: string }> = {};

function gate(p: Partial<GateReport> & { reds?: number; opens?: number } = {}): GateReport {
  const { reds = 0, opens = 0, ...rest } = p;
  return {
    unattended: true,
    relay: 'serial:/dev/ttyUSB0',
    state: 'idle',
    faults: [],
    counts: { opens, shuts: opens + 1, reds, ambers: 1, repeats: 2, faults: 0, writeFailures: 0, unlocks: 0 },
    ...rest,
  };
}

async function enroll(checkpointId: string, name: string): Promise<void> {
  const code = await server.enrollmentCode(checkpointId);
  const res = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, name }),
  });
  const body = (await res.json()) as { token: string; kioskId: string };
  lanes[name] = { id: body.kioskId, token: body.token };
}

/** One heartbeat, as a lane sends it. */
async function heartbeat(name: string, report?: GateReport): Promise<void> {
  const lane = lanes[name];
  if (!lane) throw new Error(`no lane ${name}`);
  const res = await fetch(`${server.url}/api/v1/kiosk/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${lane.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      listVersions: { health: 0, whitelist: 0 },
      backlog: 0,
      devices: [
        { name: 'camera', kind: 'camera', status: 'ok' },
        ...(report?.relay
          ? [{ name: 'relay', kind: 'relay', status: report.faults.includes('relay_lost') ? 'error' : 'ok' }]
          : []),
      ],
      clock: Date.now(),
      ...(report !== undefined && { gate: report }),
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function page(width: number, height: number): Promise<Page> {
  const c = await browser.newContext({
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    viewport: { width, height },
  });
  return c.newPage();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-gates-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-gates-e2e-0123456');
  await server.start();
  await server.addCheckpoint('VINCOM-Q1', 'open');
  await server.addCheckpoint('GA-SG', 'open');
  await enroll('VINCOM-Q1', 'Cổng vào tầng 1');
  await enroll('VINCOM-Q1', 'Cổng thang cuốn');
  await enroll('VINCOM-Q1', 'Làn có cán bộ');
  await enroll('GA-SG', 'Cổng ga');
  await heartbeat('Cổng vào tầng 1', gate({ opens: 41, reds: 0 }));
  await heartbeat('Cổng thang cuốn', gate({ relay: null, opens: 17 }));
  await heartbeat('Làn có cán bộ', gate({ unattended: false }));
  await heartbeat('Cổng ga', gate());
  await createAccount(server, ADMIN.username, 'admin', ADMIN.password, 'Giám sát Vincom');
  const officer = await server.admin('PUT', '/officers/nv-07', {
    name: 'Lê Thị Hoa',
    role: 'officer',
    pin: '582901',
    checkpoints: ['VINCOM-Q1'],
  });
  expect(officer.status).toBe(201);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await (browser as Browser | undefined)?.close();
  await (server as ServerUnderTest | undefined)?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('unattended gates in the console', () => {
  it('lists a checkpoint’s unattended gates and follows their faults and reds live', async () => {
    const p = await page(1280, 800);
    await signIn(p, server.url, ADMIN.username, ADMIN.password);
    await p.getByTestId('page-overview').waitFor();
    // The overview counts the gates (none in fault yet) and links to the page.
    await expect(p.getByTestId('tile-gates').textContent()).resolves.toContain('0/3');
    await p.getByTestId('nav-gates').click();
    await p.getByTestId('page-gates').waitFor();
    await p.getByTestId('gates-pick-hint').waitFor();
    await p.getByTestId('gates-checkpoint').selectOption('VINCOM-Q1');
    const cards = p.getByTestId('gate-card');
    await cards.first().waitFor();
    // The two unattended lanes of this checkpoint; not the attended one, not the station's.
    await expect(cards.count()).resolves.toBe(2);
    const first = p.locator(`[data-testid="gate-card"][data-kiosk="${lanes['Cổng vào tầng 1']!.id}"]`);
    await expect(first.getAttribute('data-state')).resolves.toBe('idle');
    const text = (await first.textContent()) ?? '';
    expect(text).toContain('Sẵn sàng');
    expect(text).toContain('serial:/dev/ttyUSB0');
    expect(text).toContain('Không có sự cố');
    await expect(first.locator('[data-count="opens"] dd').textContent()).resolves.toBe('41');
    await expect(
      p.locator(`[data-testid="gate-card"][data-kiosk="${lanes['Cổng thang cuốn']!.id}"]`).textContent(),
    ).resolves.toContain('Không có rơ-le');
    await p.getByTestId('gates-no-alerts').waitFor();
    await p.locator('.live.on').waitFor();
    // The address keeps the checkpoint (a tablet's bookmark).
    expect(p.url()).toContain('#/gates?checkpoint=VINCOM-Q1');
    await screenshot(p, 'console-gates-idle-1280x800');

    // The relay board is lost and two travellers were refused: live, no reload.
    await heartbeat('Cổng vào tầng 1', gate({ state: 'fault', faults: ['relay_lost'], opens: 43, reds: 2 }));
    await p
      .locator(`[data-testid="gate-card"][data-kiosk="${lanes['Cổng vào tầng 1']!.id}"][data-state="fault"]`)
      .waitFor();
    await expect(first.getByTestId('gate-faults').textContent()).resolves.toContain('Mất kết nối bộ rơ-le');
    await expect(first.locator('[data-count="reds"] dd').textContent()).resolves.toBe('2');
    const alerts = p.getByTestId('gate-alert');
    await p.locator('[data-testid="gate-alert"][data-kind="gate_fault"]').waitFor();
    await p.locator('[data-testid="gate-alert"][data-kind="gate_red"]').waitFor();
    await expect(alerts.count()).resolves.toBe(2);
    const fault = p.locator('[data-testid="gate-alert"][data-kind="gate_fault"]');
    expect(await fault.textContent()).toContain('Cổng tự động gặp sự cố');
    expect(await fault.textContent()).toContain('Đang xảy ra');
    expect(await p.locator('[data-testid="gate-alert"][data-kind="gate_red"]').textContent()).toContain(
      '2 lượt đỏ mới',
    );
    await expect(first.getByTestId('gate-open-alerts').textContent()).resolves.toContain('2 cảnh báo');
    // The new-alert banner names the gate's fault or reds, never a person.
    await expect(p.getByTestId('alert-banner').textContent()).resolves.toMatch(/Cổng vào tầng 1/);
    await p.getByTestId('alert-banner-dismiss').click();
    await screenshot(p, 'console-gates-fault-1280x800');

    // The relay is back: the fault alert says when it cleared; the supervisor acknowledges it.
    await heartbeat('Cổng vào tầng 1', gate({ opens: 44, reds: 2 }));
    await p
      .locator(`[data-testid="gate-card"][data-kiosk="${lanes['Cổng vào tầng 1']!.id}"][data-state="idle"]`)
      .waitFor();
    await fault.getByText(/Đã hết lúc/).waitFor();
    await fault.getByTestId('gate-alert-ack').click();
    await p.locator('[data-testid="gate-alert"][data-kind="gate_fault"][data-acked="true"]').waitFor();
    await expect(first.getByTestId('gate-open-alerts').textContent()).resolves.toContain('1 cảnh báo');

    // Another lane's red on the tablet-size screen.
    await heartbeat('Cổng thang cuốn', gate({ relay: null, state: 'shut', opens: 18, reds: 1 }));
    await expect
      .poll(async () => p.locator('[data-testid="gate-alert"][data-kind="gate_red"]').count(), {
        timeout: 15_000,
      })
      .toBe(2);
    await p.setViewportSize({ width: 1024, height: 600 });
    await screenshot(p, 'console-gates-1024x600');
    await p.context().close();
  });

  it('words gate alerts on the alerts page and shows gates in the fleet table', async () => {
    const p = await page(1280, 800);
    await signIn(p, server.url, ADMIN.username, ADMIN.password);
    await p.getByTestId('page-overview').waitFor();
    await p.goto(`${server.url}/admin/#/alerts`);
    const row = p.locator('[data-testid="alert-row"][data-kind="gate_fault"]');
    await row.first().waitFor();
    const t = (await row.first().textContent()) ?? '';
    expect(t).toContain('Cổng tự động gặp sự cố');
    expect(t).toContain('Mất kết nối bộ rơ-le');
    expect(t).toContain('Không gắn với người nào');
    await expect(row.first().getByTestId('alert-scan-link').count()).resolves.toBe(0);
    const red = p.locator('[data-testid="alert-row"][data-kind="gate_red"]').first();
    await expect(red.textContent()).resolves.toContain('Cổng tự động: không cho qua');
    await screenshot(p, 'console-alerts-gates-1280x800');

    await p.goto(`${server.url}/admin/#/checkpoints`);
    const gateCell = p.locator(
      `[data-testid="lane-row"][data-kiosk="${lanes['Cổng thang cuốn']!.id}"] [data-testid="lane-gate"]`,
    );
    await gateCell.waitFor();
    await expect(gateCell.textContent()).resolves.toContain('tự động');
    await expect(
      p
        .locator(
          `[data-testid="lane-row"][data-kiosk="${lanes['Làn có cán bộ']!.id}"] [data-testid="lane-gate"]`,
        )
        .textContent(),
    ).resolves.toContain('có cán bộ');
    await p.context().close();
  });

  it('issues a staff card whose QR verifies with the server’s list-signing key', async () => {
    const p = await page(1280, 800);
    await signIn(p, server.url, ADMIN.username, ADMIN.password);
    await p.getByTestId('page-overview').waitFor();
    await p.goto(`${server.url}/admin/#/officers`);
    const row = p.locator('[data-testid="officer-row"][data-officer="nv-07"]');
    await row.waitFor();
    await row.getByTestId('officer-staff-card').click();
    const panel = p.getByTestId('staff-card-panel');
    await panel.waitFor();
    await p.getByTestId('staff-card-days').fill('14');
    await p.getByTestId('staff-card-issue').click();
    const card = p.getByTestId('staff-card');
    await card.waitFor();
    expect(await card.textContent()).toContain('Lê Thị Hoa');
    expect(await card.textContent()).toContain('VINCOM-Q1');
    await card.scrollIntoViewIfNeeded();
    await screenshot(p, 'console-staff-card-1280x800');

    // The QR as the page draws it, read back as a lane's camera would.
    const png = await p.getByTestId('staff-card-qr').screenshot();
    const require = createRequire(import.meta.url);
    const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
    await prepareZXingModule({
      overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) },
      fireImmediately: true,
    });
    const [read] = await readBarcodes(new Uint8Array(png), { formats: ['QRCode'], tryHarder: true });
    expect(read?.isValid).toBe(true);
    const parsed = parseStaffCard(read?.text ?? '');
    expect(parsed?.card).toMatchObject({ checkpointId: 'VINCOM-Q1', officerId: 'nv-07' });
    expect((parsed?.card.expiresAt ?? 0) - (parsed?.card.issuedAt ?? 0)).toBe(14 * 86_400);
    expect(await card.getAttribute('data-card-id')).toBe(parsed?.card.cardId);
    const sig = parseListSignature(parsed?.signature ?? '');
    const keys = (await server.admin<ListSigningKeysAnswer>('GET', '/lists/signing-keys')).body;
    const key = keys.keys.find((k) => k.id === sig?.keyId);
    expect(key).toBeDefined();
    const publicKey = createPublicKey({
      key: Buffer.concat([
        Buffer.from('302a300506032b6570032100', 'hex'),
        Buffer.from(key?.publicKey ?? '', 'base64'),
      ]),
      format: 'der',
      type: 'spki',
    });
    expect(
      verify(
        null,
        Buffer.from(staffCardMessage(parsed!.card)),
        publicKey,
        Buffer.from(sig?.signature ?? '', 'base64'),
      ),
    ).toBe(true);

    // The 1024×600 view of the card.
    await p.setViewportSize({ width: 1024, height: 600 });
    await card.scrollIntoViewIfNeeded();
    await screenshot(p, 'console-staff-card-1024x600');
    await p.context().close();
  });
});
