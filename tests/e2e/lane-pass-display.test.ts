// A signed lane pass on the lane display, in real Debian Chromium at 1024×600 (issue 16): an
// offline lane holding a pass directory decides a pass typed in as a scan; the officer's screen
// shows its route (province names, district and ward codes), validity window and plate, in
// Vietnamese first; the traveller's screen shows only "Mời qua" / "Vui lòng gặp cán bộ", never
// the route. Screenshots go to test-results/screenshots/.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayServer, insecureFileKeyStore, LaneAgent, writeCredentials } from '@checkpoint-lane/kiosk';
import {
  CHECKPOINT_DEFAULTS,
  formatPass,
  parsePass,
  passSigningBytes,
  type PassBody,
} from '@checkpoint-lane/shared';
import { launchChromium, screenshot } from './browser.js';
import { openLaneView } from './display-links.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;
const VIEWPORT = { width: 1024, height: 600 } as const;
const HOLDER = '079201004568';
const passKey = generateKeyPairSync('ed25519');

/** A pass for HOLDER, Hà Nội → TP. Hồ Chí Minh (a district and ward there), signed by key 1. */
function issue(body: Partial<PassBody> = {}): string {
  const validFrom = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const full: PassBody = {
    keyId: 1,
    passId: randomBytes(8).toString('hex'),
    personalId: HOLDER,
    validFrom,
    validUntil: validFrom + 24 * 3_600_000,
    from: { province: 1, district: null, ward: null },
    to: { province: 79, district: 760, ward: 26734 },
    plate: '51F12345',
    ...body,
  };
  return formatPass(full, sign(null, passSigningBytes(full), passKey.privateKey));
}

/** The verdict word and the scan's time both lie inside the main panel: the pass box pushed nothing out. */
async function expectPanelFits(page: Page): Promise<void> {
  const [panel, word, meta] = await Promise.all(
    ['#decision', '#word', '#item-meta'].map((s) => page.locator(s).boundingBox()),
  );
  if (!panel || !word || !meta) throw new Error('panel not laid out');
  expect(word.y).toBeGreaterThanOrEqual(panel.y - 0.5);
  expect(meta.y + meta.height).toBeLessThanOrEqual(panel.y + panel.height + 0.5);
}

describe('a lane pass on the lane display at 1024×600', () => {
  let dir: string;
  let agent: LaneAgent;
  let display: DisplayServer;
  let browser: Browser;
  let officer: Page;
  let traveller: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lane-pass-display-'));
    // An offline lane at a closed checkpoint (its server is not there).
    writeCredentials(dir, {
      serverUrl: 'http://127.0.0.1:9',
      kioskId: 'k-pass',
      token: 't',
      listKey: Buffer.alloc(32, 7).toString('base64'),
      checkpoint: { id: 'CP-1', name: 'Chốt 1', mode: 'closed', ...CHECKPOINT_DEFAULTS },
    });
    agent = await LaneAgent.open({
      dataDir: dir,
      keyStore: insecureFileKeyStore(dir),
      scanners: [],
      logger,
      sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
    });
    // What a sync would have brought: fresh (empty) lists and the pass directory.
    agent.store.markSynced('health', Date.now());
    agent.store.markSynced('whitelist', Date.now());
    agent.store.replacePassDirectory(
      {
        version: 1,
        keys: [
          {
            keyId: 1,
            publicKey: passKey.publicKey.export({ format: 'jwk' }).x ?? '',
            validFrom: 0,
            validUntil: null,
          },
        ],
        revoked: [],
      },
      Date.now(),
    );
    await agent.start();
    display = new DisplayServer({ agent, logger, staticDir });
    await display.start();
    browser = await launchChromium();
    officer = await openLaneView(browser, display, 'officer', VIEWPORT);
    traveller = await openLaneView(browser, display, 'traveller', VIEWPORT);
    await officer.locator('#decision.ready').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser.close();
    await display.stop();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the officer the route, window and plate of a valid pass (green), and the traveller only "Mời qua"', async () => {
    const decision = agent.submit(issue(), 'camera', 'camera');
    expect(decision).toMatchObject({ decision: 'green', reasons: ['pass_valid'], format: 'lane_pass' });
    await officer.locator(`#decision[data-scan-id="${decision.scanId}"]`).waitFor();
    const pass = officer.locator('#pass');
    await pass.waitFor();
    expect(await officer.locator('#pass-route').innerText()).toBe(
      'Hà Nội → TP Hồ Chí Minh (quận/huyện 760, phường/xã 26734)',
    );
    expect(await officer.locator('#pass-validity').innerText()).toMatch(
      /^\d\d\/\d\d \d\d:\d\d – \d\d\/\d\d \d\d:\d\d$/,
    );
    expect(await officer.locator('#pass-plate').innerText()).toBe('51F-123.45');
    expect(await pass.innerText()).toMatch(/Lộ trình[\s\S]*Hiệu lực[\s\S]*Biển số/);
    expect(await pass.getAttribute('aria-label')).toBe('Giấy đi đường');
    expect(await pass.getAttribute('data-verified')).toBe('true');
    await expectPanelFits(officer);
    await screenshot(officer, 'desk-1024x600-lane-pass-green');

    await traveller.locator('#traveller[data-state="go"]').waitFor();
    expect(await traveller.locator('#message').textContent()).toBe('Mời qua');
    const seen = await traveller.locator('body').innerText();
    expect(seen).not.toMatch(/Hà Nội|Hồ Chí Minh|51F|760|26734|4568|Giấy đi đường/);
    await screenshot(traveller, 'traveller-1024x600-lane-pass-green');
  });

  it('marks the details of a pass whose signature fails as unproven (amber), in English when switched', async () => {
    const text = issue();
    // One character of the signature changed, the text still a readable pass.
    const forged = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
      .map((c) => `${text.slice(0, -8)}${c}${text.slice(-7)}`)
      .find((t) => t !== text && parsePass(t).ok);
    if (forged === undefined) throw new Error('no readable one-character change');
    const decision = agent.submit(forged, 'camera', 'camera');
    expect(decision).toMatchObject({ decision: 'amber', reasons: ['pass_signature_invalid'] });
    await officer.locator(`#decision[data-scan-id="${decision.scanId}"]`).waitFor();
    await officer.locator('#pass[data-verified="false"]').waitFor();
    expect(await officer.locator('#pass .pass-unverified').innerText()).toMatch(/chưa được xác thực/);
    await expectPanelFits(officer);
    await screenshot(officer, 'desk-1024x600-lane-pass-amber');
    await traveller.locator('#traveller[data-state="see_officer"]').waitFor();
    expect(await traveller.locator('body').innerText()).not.toMatch(/Hà Nội|Hồ Chí Minh|51F/);
    await officer.locator('#language').click();
    await officer.locator('#pass-route').filter({ hasText: 'district 760' }).waitFor();
    expect(await officer.locator('#pass .pass-unverified').innerText()).toMatch(/unproven/);
    await officer.locator('#language').click();
  });
});
