// The officer's vehicle panel (vehicle mode) in real Debian Chromium, against a real lane agent
// enrolled with the real sync server process, scanning through a real serial scanner on a socat
// pty, at 1024×600 and 1280×800: plate in full, passenger count, each passenger's colour with
// the masked subject, a red vehicle from one F0, and "Xe đã qua" as a large target that closes
// that vehicle. The traveller's screen shows nothing of it. Screenshots go to
// test-results/screenshots/vehicle-*.png.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayServer, LaneAgent, SerialScanner, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { openLaneView } from './display-links.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const F0 = '001090123456';
const F0_CARD = `${F0}|012345678|Nguyễn Văn An|01011990|Nam|Hà Nội|15042021`;
const PEOPLE = ['079201004568', '079201004569', '079201004570', '079201004571'] as const;
const PLATE = '51F-123.45';
const GREEN_LANE_PLATE = '29C-678.90';
const NEXT_PLATE = '30G-111.22';
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;
const VIEWPORTS = [
  { width: 1024, height: 600 },
  { width: 1280, height: 800 },
] as const;

async function startSocat(dir: string): Promise<ChildProcess> {
  const proc = spawn(
    'socat',
    [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${join(dir, 'lane-tty')}`,
      `pty,raw,echo=0,link=${join(dir, 'scanner-tty')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    proc.stderr.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('starting data transfer loop')) resolve();
    });
    proc.once('exit', (code) => {
      reject(new Error(`socat exited ${code}`));
    });
  });
  return proc;
}

/**
 * The "Vừa qua" flash (a green while others wait) is on screen and leaves the first waiting row
 * whole: inside the queue list's visible box, not under the flash, and the flash inside the screen.
 */
async function expectFlashBesideQueue(
  page: Page,
  viewport: { width: number; height: number },
): Promise<void> {
  const flash = page.locator('#latest-green');
  await flash.waitFor();
  expect(await flash.textContent()).toMatch(/^✓ Vừa qua: /);
  const f = (await flash.boundingBox())!;
  const row = (await page.locator('#queue .queue-item >> nth=0').boundingBox())!;
  const list = (await page.locator('#queue').boundingBox())!;
  expect(f.y + f.height).toBeLessThanOrEqual(viewport.height);
  expect(row.y + row.height).toBeLessThanOrEqual(f.y);
  expect(row.y).toBeGreaterThanOrEqual(list.y);
  expect(row.y + row.height).toBeLessThanOrEqual(list.y + list.height);
}

describe.each(VIEWPORTS)('the vehicle panel in Chromium at $width×$height', (viewport) => {
  const size = `${viewport.width}x${viewport.height}`;
  let dir: string;
  let server: ServerUnderTest;
  let socat: ChildProcess;
  let deviceFd: number;
  let agent: LaneAgent;
  let display: DisplayServer;
  let browser: Browser;
  let officer: Page;
  let traveller: Page;

  /** Scans one code on the serial scanner and waits until the lane recorded it. */
  const scan = async (text: string): Promise<string> => {
    const before = agent.store.lastSeq();
    writeSync(deviceFd, Buffer.from(`${text}\r`));
    await expect.poll(() => agent.store.lastSeq(), { timeout: 10_000 }).toBeGreaterThan(before);
    return agent.desk().recent[0]!.scanId;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lane-vehicle-e2e-'));
    server = new ServerUnderTest(
      join(dir, 'server'),
      await freePort(),
      'admin-token-for-e2e-tests-0123456789',
    );
    await server.start();
    await server.addCheckpoint('VEH-E2E', 'open');
    await server.importCsv(
      'health',
      `id,status,since,until,name,note\n${F0},F0,2026-01-01,,Nguyễn Văn An,\n`,
    );
    await server.importCsv(
      'whitelist',
      `id,category,valid_from,valid_until,checkpoints,name,note\n${GREEN_LANE_PLATE},green_lane,,,,Xe hàng,\n`,
    );
    socat = await startSocat(dir);
    deviceFd = openSync(join(dir, 'scanner-tty'), 'w');
    const laneDir = join(dir, 'lane');
    mkdirSync(laneDir, { recursive: true });
    agent = await LaneAgent.open({
      dataDir: laneDir,
      keyStore: insecureFileKeyStore(laneDir),
      serverUrl: server.url,
      enrollCode: await server.enrollmentCode('VEH-E2E'),
      laneName: 'e2e-vehicle-lane',
      scanners: [
        new SerialScanner({
          path: join(dir, 'lane-tty'),
          settings: { baudRate: 9600, framing: { suffix: 'CR' } },
          logger,
        }),
      ],
      logger,
      vehicleMode: true,
      sync: { heartbeatMs: 1000, retry: { baseMs: 100, capMs: 500 } },
    });
    await agent.start(10_000);
    display = new DisplayServer({ agent, logger, staticDir });
    await display.start();
    browser = await launchChromium();
    officer = await openLaneView(browser, display, 'officer', viewport);
    traveller = await openLaneView(browser, display, 'traveller', viewport);
    await officer.locator('#link.up').waitFor();
    await officer.locator('.device.connected').waitFor();
  });

  afterAll(async () => {
    await browser.close();
    await display.stop();
    await agent.stop();
    closeSync(deviceFd);
    socat.kill();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the open vehicle: plate, 3 passengers with their colours, red from one F0; "Xe đã qua" closes it', async () => {
    const panel = officer.locator('#vehicle');
    await panel.locator('#vehicle-verdict').getByText('Chưa có xe', { exact: false }).waitFor();
    expect(await officer.locator('#vehicle-passed').isVisible()).toBe(false);
    await screenshot(officer, `vehicle-${size}-none`);

    const plate = await scan(PLATE);
    await officer.locator(`#vehicle.green[data-vehicle-id="${plate}"]`).waitFor();
    expect(await officer.locator('#vehicle-plate').textContent()).toBe(PLATE);
    await scan(PEOPLE[0]);
    await scan(F0_CARD);
    await scan(PEOPLE[1]);
    await officer.locator('#vehicle[data-decision="red"] .passenger >> nth=2').waitFor();
    expect(await officer.locator('#vehicle-verdict').textContent()).toBe('✕ DỪNG LẠI');
    expect(await officer.locator('#vehicle-meta').textContent()).toMatch(
      /^3 người · tự đóng sau (9|10) phút$/,
    );
    const rows = await officer
      .locator('#vehicle-passengers .passenger')
      .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-decision'), li.textContent]));
    expect(rows).toEqual([
      ['green', '✓CCCD ••••••••4568'],
      ['red', '✕CCCD ••••••••3456 ☣ F0'],
      ['green', '✓CCCD ••••••••4569'],
    ]);
    // No name on the vehicle panel (the F0's card holder shows on the main panel only).
    expect(await panel.innerText()).not.toMatch(/Nguyễn|1990/);
    // "Xe đã qua": inside the screen, a finger-size target (≥ 48 px; the screen's buttons are 64).
    const box = (await officer.locator('#vehicle-passed').boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(48);
    expect(box.width).toBeGreaterThanOrEqual(48);
    expect(box.x >= 0 && box.y >= 0).toBe(true);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
    // The queue (the F0 waits there) still has room below the panel.
    const queue = (await officer.locator('#queue').boundingBox())!;
    expect(queue.height).toBeGreaterThan(40);
    // The green just scanned flashes "Vừa qua" beside the F0 waiting in the queue, not over it.
    await expectFlashBesideQueue(officer, viewport);
    await screenshot(officer, `vehicle-${size}-red-f0`);

    // The traveller's screen says nothing of the vehicle, its plate or who is in it.
    const travellerText = await traveller.locator('body').innerText();
    expect(travellerText).not.toMatch(/Xe|123\.45|3456|F0|Nguyễn/);

    await officer.getByRole('button', { name: 'Xe đã qua', exact: true }).click();
    await officer.locator('#vehicle.none').waitFor();
    expect(await officer.locator('#toast').textContent()).toBe('Đã đóng xe');
    expect(agent.desk().vehicle).toBeNull();
    await screenshot(officer, `vehicle-${size}-passed`);
  });

  it('a green-lane truck with clean passengers is a green vehicle; the next plate replaces it', async () => {
    const truck = await scan(GREEN_LANE_PLATE);
    await scan(PEOPLE[2]);
    await officer.locator(`#vehicle.green[data-vehicle-id="${truck}"] .passenger`).waitFor();
    expect(await officer.locator('#vehicle-meta').textContent()).toMatch(
      /^1 người · Luồng xanh · tự đóng sau/,
    );
    expect(await officer.locator('#vehicle-verdict').textContent()).toBe('✓ ĐƯỢC QUA');
    await expectFlashBesideQueue(officer, viewport);
    await screenshot(officer, `vehicle-${size}-green-lane`);
    const next = await scan(NEXT_PLATE);
    await officer.locator(`#vehicle[data-vehicle-id="${next}"]`).waitFor();
    expect(await officer.locator('#vehicle-passengers').textContent()).toBe('Chưa quét người nào trên xe');
    // English on the same panel.
    await officer.getByRole('button', { name: 'English', exact: true }).click();
    expect(await officer.locator('#vehicle-passed').textContent()).toBe('Vehicle passed');
    await officer.getByRole('button', { name: 'Tiếng Việt', exact: true }).click();
  });
});
