// The lane display in real Debian Chromium, against a real lane agent enrolled with the real
// sync server process, with a real serial scanner on a socat pty: what the officer and the
// traveller see for each kind of scan, overrides, manual entry, and an offline lane.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneAgent } from '../../kiosk/src/agent/lane-agent.js';
import { hashPin } from '../../kiosk/src/agent/officers.js';
import { DisplayServer } from '../../kiosk/src/display-api/display-server.js';
import { SerialScanner } from '../../kiosk/src/scanners/serial-scanner.js';
import { freePort, ServerUnderTest, storedOverrides } from '../integration/lane-helpers.js';
import { launchChromium, screenshot } from './browser.js';
import { openLaneView } from './display-links.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const F0 = '001090123456';
const CLEAN = '079301004567';
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;

let dir: string;
let server: ServerUnderTest;
let socat: ChildProcess;
let deviceFd: number;
let agent: LaneAgent;
let display: DisplayServer;
let browser: Browser;
let officer: Page;
let traveller: Page;

async function startSocat(): Promise<ChildProcess> {
  const proc = spawn(
    'socat',
    [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${join(dir, 'lane-tty')}`,
      `pty,raw,echo=0,link=${join(dir, 'scanner-tty')}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-e2e-tests-0123456789');
  await server.start();
  await server.addCheckpoint('E2E-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,Nguyễn Văn A,\n`);
  socat = await startSocat();
  deviceFd = openSync(join(dir, 'scanner-tty'), 'w');
  const laneDir = join(dir, 'lane');
  mkdirSync(laneDir, { recursive: true });
  writeFileSync(
    join(laneDir, 'officers.json'),
    JSON.stringify([
      { id: 'CB-01', role: 'officer', pinHash: hashPin('1111') },
      { id: 'GS-01', role: 'supervisor', pinHash: hashPin('9999') },
    ]),
  );
  agent = await LaneAgent.open({
    dataDir: laneDir,
    serverUrl: server.url,
    enrollCode: await server.enrollmentCode('E2E-1'),
    laneName: 'e2e-lane',
    scanners: [
      new SerialScanner({
        path: join(dir, 'lane-tty'),
        settings: { baudRate: 9600, framing: { suffix: 'CR' } },
        logger,
      }),
    ],
    logger,
    sync: { heartbeatMs: 1000, retry: { baseMs: 100, capMs: 500 } },
  });
  await agent.start(10_000);
  display = new DisplayServer({ agent, logger, staticDir });
  await display.start();
  browser = await launchChromium();
  officer = await openLaneView(browser, display, 'officer', { width: 1280, height: 800 });
  traveller = await openLaneView(browser, display, 'traveller', { width: 1024, height: 600 });
  await officer.locator('#link.up').waitFor();
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

const decisionOf = (page: Page) => page.locator('#decision').getAttribute('data-decision');

describe('the lane display in Chromium', () => {
  it('shows a serial scan of an F0 as red on the officer screen, neutral on the traveller screen', async () => {
    writeSync(deviceFd, Buffer.from(`${F0}\r`));
    await officer.locator('#decision.red').waitFor();
    await expect.poll(() => officer.locator('#shape').textContent()).toBe('✕');
    expect(await officer.locator('#word').textContent()).toBe('DỪNG LẠI');
    expect(await officer.locator('#reasons').textContent()).toContain('danh sách y tế');
    expect(await officer.locator('#subject').textContent()).toBe('••••••••3456');
    await traveller.locator('#traveller.red').waitFor();
    const travellerText = await traveller.locator('body').innerText();
    expect(travellerText).toContain('Vui lòng gặp cán bộ');
    expect(travellerText).not.toMatch(/3456|001090|Nguyễn|F0|F1|cách ly|y tế|nhiễm|health|infect/i);
    await screenshot(officer, 'officer-red-f0');
    await screenshot(traveller, 'traveller-red');
  });

  it('keeps red until acknowledged', async () => {
    expect(await decisionOf(officer)).toBe('red');
    await officer.click('#ack');
    await officer.locator('#decision.ready').waitFor();
    await screenshot(officer, 'officer-ready');
  });

  it('takes a keyboard-wedge scan, and never a person typing', async () => {
    await officer.keyboard.type(CLEAN, { delay: 5 });
    await officer.keyboard.press('Enter');
    await officer.locator('#decision.green').waitFor();
    await screenshot(officer, 'officer-green-wedge');
    await officer.locator('#decision.ready').waitFor({ timeout: 10_000 }); // green returns by itself
    const before = agent.store.lastSeq();
    await officer.keyboard.type(CLEAN, { delay: 120 });
    await officer.keyboard.press('Enter');
    await officer.waitForTimeout(300); // nothing to wait for: a person's typing must produce no event
    expect(agent.store.lastSeq()).toBe(before);
  });

  it('decides a manual entry from the on-screen keypad', async () => {
    await officer.click('#manual-open');
    for (const digit of F0) await officer.click(`#manual [data-key="${digit}"]`);
    await screenshot(officer, 'officer-keypad');
    await officer.click('#manual-submit');
    await officer.locator('#decision.red').waitFor();
  });

  it('refuses a wrong PIN, and needs the supervisor to turn an F0 red green', async () => {
    await officer.click('#override-open');
    await officer.selectOption('#override-decision', 'green');
    await officer.fill('#officer-pin', '0000');
    await officer.click('#override-submit');
    await expect.poll(() => officer.locator('#override-error').textContent()).toMatch(/Sai mã PIN|chỉ huy/);
    await officer.fill('#officer-pin', '1111');
    await officer.click('#override-submit');
    await expect.poll(() => officer.locator('#override-error').textContent()).toContain('chỉ huy');
    await screenshot(officer, 'officer-override-needs-supervisor');
    await officer.fill('#supervisor-pin', '9999');
    await officer.click('#override-submit');
    await officer.locator('#decision.green').waitFor();
    // Recorded with the original decision and both officers, and uploaded.
    expect(await agent.drainOutbox(10_000)).toBe(0);
    expect(storedOverrides(server)).toEqual([
      { decision: 'green', original_decision: 'red', officer_id: 'CB-01', supervisor_id: 'GS-01' },
    ]);
  });

  it('shows the lane offline when the server goes away', async () => {
    await server.stop();
    await officer.locator('#link.down').waitFor({ timeout: 15_000 });
    expect(await officer.locator('#link').textContent()).toBe('Mất kết nối máy chủ');
    await screenshot(officer, 'officer-offline');
    await server.start();
    await officer.locator('#link.up').waitFor({ timeout: 15_000 });
  });
});
