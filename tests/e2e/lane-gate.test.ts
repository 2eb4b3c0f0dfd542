// Gate mode's screens (issue 17) in real Debian Chromium at 1024×600, 1920×1080 and portrait
// 1080×1920, through a real lane agent in gate mode (offline lane, real store and decision loop,
// a real serial scanner on a socat pty, the SimulatedRelay as its board: the serial relay is
// exercised over ptys in tests/integration/lane-gate.test.ts) and Chromium's fake camera (its
// test pattern) for the camera view. Checked: the gate screen's ready state with the camera and
// its guide frame; a green → "Mời qua — N" counting down, the relay opened, then back to ready;
// red and amber → "Vui lòng gặp nhân viên" alike (traveller too, never "cán bộ"); no officer
// action shown or accepted while locked; a bad staff card read by the wedge or by the serial
// scanner → "Thẻ nhân viên không hợp lệ" (not on the traveller's screen), and no desk data in the
// locked gate screen's page; the hidden corner (3 taps, and a 1.5 s press) → officer + PIN → the desk for a
// minute with its countdown, "Khoá" locks; a lost relay → "Làn tạm ngừng"; a lost agent → the same.
// Screenshots of each state go to test-results/screenshots/gate-*.png.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHECKPOINT_DEFAULTS,
  encodeStaffCard,
  formatListSignature,
  parseSubjectText,
  staffCardMessage,
  type ListSigningKey,
  type StaffCard,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createSubjectKeyer,
  DisplayServer,
  hashPin,
  insecureFileKeyStore,
  LaneAgent,
  loadHardwareProfile,
  SerialScanner,
  SimulatedRelay,
  writeCredentials,
  type RelayProfile,
} from '@checkpoint-lane/kiosk';
import { launchChromium, screenshot } from './browser.js';
import { openLaneView } from './display-links.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const CLEAN = ['079201004568', '079201004569', '079201004570'];
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;
const camera = (
  JSON.parse(
    readFileSync(new URL('../../hardware-profiles/generic-uvc-camera.json', import.meta.url), 'utf8'),
  ) as { camera: unknown }
).camera;
const VIEWPORTS = [
  { width: 1024, height: 600 },
  { width: 1920, height: 1080 },
  { width: 1080, height: 1920 },
] as const;
const ON = 'A0 01 01 A2';

/** An Ed25519 list-signing key as the server makes one (id: SHA-256 of the raw key, 16 hex). */
function signingKey(): { key: ListSigningKey; sign: (message: string) => string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const id = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  const key: ListSigningKey = { id, publicKey: raw.toString('base64'), validFrom: 0, validUntil: null };
  const priv: KeyObject = privateKey;
  return {
    key,
    sign: (message) =>
      formatListSignature(id, sign(null, Buffer.from(message, 'utf8'), priv).toString('base64')),
  };
}
const signer = signingKey();

function relayProfile(): RelayProfile {
  const loaded = loadHardwareProfile(
    new URL('../../hardware-profiles/lcus-1-relay.json', import.meta.url).pathname,
  );
  if (!loaded.ok || loaded.profile.kind !== 'relay') throw new Error('lcus-1-relay.json should load');
  return { ...loaded.profile, relay: { ...loaded.profile.relay, openMs: 4000, holdMs: 3000 } };
}

/** A staff card for checkpoint CP-1, signed by `by` (the lane pins `signer` only). */
function staffCard(by: { sign: (message: string) => string }): string {
  const now = Math.floor(Date.now() / 1000);
  const card: StaffCard = {
    checkpointId: 'CP-1',
    officerId: 'CB-01',
    cardId: 'card-e2e',
    issuedAt: now - 60,
    expiresAt: now + 86_400,
  };
  return encodeStaffCard(card, by.sign(staffCardMessage(card)));
}

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

/** Every visible button of the page lies inside the viewport and is at least 48 px. */
async function expectTargets(page: Page): Promise<void> {
  const viewport = page.viewportSize()!;
  const boxes = await page.locator('button:visible').evaluateAll((buttons) =>
    buttons.map((b) => {
      const r = b.getBoundingClientRect();
      return {
        name: b.textContent,
        x: r.x,
        y: r.y,
        right: r.right,
        bottom: r.bottom,
        w: r.width,
        h: r.height,
      };
    }),
  );
  for (const b of boxes)
    expect({
      name: b.name,
      inside:
        b.x >= -0.5 && b.y >= -0.5 && b.right <= viewport.width + 0.5 && b.bottom <= viewport.height + 0.5,
      target: Math.min(b.w, b.h) >= 48,
    }).toEqual({ name: b.name, inside: true, target: true });
}

/** The gate screen's words fit the screen (no clipping) and are large (px of the main line). */
async function gateTextFits(page: Page): Promise<{ fits: boolean; wordPx: number; subPx: number }> {
  return page.evaluate(() => {
    const inside = (e: Element | null): boolean => {
      if (e === null || (e as HTMLElement).hidden) return true;
      const r = e.getBoundingClientRect();
      return r.left >= -1 && r.top >= -1 && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
    };
    const word = document.getElementById('gate-word')!;
    const sub = document.getElementById('gate-sub')!;
    return {
      fits: ['gate-word', 'gate-sub', 'gate-hint', 'gate-camera', 'gate-shape'].every((id) =>
        inside(document.getElementById(id)),
      ),
      wordPx: parseFloat(getComputedStyle(word).fontSize),
      subPx: parseFloat(getComputedStyle(sub).fontSize),
    };
  });
}

describe.each(VIEWPORTS)('gate mode in Chromium at $width×$height', (viewport) => {
  const size = `${viewport.width}x${viewport.height}`;
  let dir: string;
  let socat: ChildProcess;
  let deviceFd: number;
  let relay: SimulatedRelay;
  let agent: LaneAgent;
  let display: DisplayServer;
  let browser: Browser;
  let officer: Page;
  let traveller: Page;

  const scan = (text: string): void => {
    writeSync(deviceFd, Buffer.from(`${text}\r`));
  };
  const gateState = (page: Page): Promise<string | undefined> =>
    page.locator('#gate').evaluate((e) => (e as HTMLElement).dataset['state']);
  const travellerState = (): Promise<string | undefined> =>
    traveller.locator('#traveller').evaluate((e) => (e as HTMLElement).dataset['state']);
  /** Taps the hidden corner like a finger (pointer down and up). */
  const tapCorner = async (): Promise<void> => {
    await officer.mouse.move(30, 30);
    await officer.mouse.down();
    await officer.mouse.up();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lane-gate-e2e-'));
    writeCredentials(dir, {
      serverUrl: 'http://127.0.0.1:9',
      kioskId: 'k-gate',
      token: 't',
      listKey: listKey.toString('base64'),
      listSigningKeys: [signer.key],
      checkpoint: {
        id: 'CP-1',
        name: 'Chốt 1',
        mode: 'open',
        ...CHECKPOINT_DEFAULTS,
        blockingStatuses: ['F0'],
      },
    });
    writeFileSync(
      join(dir, 'officers.json'),
      JSON.stringify([
        { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
        { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
      ]),
    );
    socat = await startSocat(dir);
    deviceFd = openSync(join(dir, 'scanner-tty'), 'w');
    relay = new SimulatedRelay();
    agent = await LaneAgent.open({
      dataDir: dir,
      keyStore: insecureFileKeyStore(dir),
      scanners: [
        new SerialScanner({
          path: join(dir, 'lane-tty'),
          settings: { baudRate: 9600, framing: { suffix: 'CR' } },
          logger,
        }),
      ],
      logger,
      gateMode: true,
      gateDisplay: true,
      relay: { relay, profile: relayProfile() },
      sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
    });
    agent.store.overlayHealth([
      {
        key: createSubjectKeyer(listKey)(parseSubjectText(F0)!),
        entry: { status: 'F0', since: null, until: null },
      },
    ]);
    agent.store.markSynced('health', Date.now());
    await agent.start(5000);
    display = new DisplayServer({ agent, logger, staticDir, camera });
    await display.start();
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    officer = await openLaneView(browser, display, 'officer', viewport);
    traveller = await openLaneView(browser, display, 'traveller', viewport);
    await officer.locator('body[data-gate="locked"]').waitFor();
    await vi.waitFor(
      () => {
        expect(agent.gateView().state).toBe('idle');
      },
      { timeout: 15_000 },
    );
  });

  afterAll(async () => {
    await browser.close();
    await display.stop();
    await agent.stop();
    closeSync(deviceFd);
    socat.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the gate screen: ready with the camera view and its guide frame; no officer action shown or taken', async () => {
    await officer.locator('#gate-camera:not([hidden])').waitFor({ timeout: 15_000 });
    await expect.poll(() => gateState(officer)).toBe('ready');
    expect(await officer.locator('#gate-word').textContent()).toBe('Xin mời quét mã');
    expect(await officer.locator('#gate-hint-vi').textContent()).toBe('Đưa mã QR vào khung');
    expect(await officer.locator('#gate-hint-en').textContent()).toBe('Hold the QR code inside the frame');
    await expect
      .poll(() =>
        officer.evaluate(
          () => document.querySelector<HTMLVideoElement>('#gate-camera video')?.videoWidth ?? 0,
        ),
      )
      .toBeGreaterThan(0);
    // The guide frame is the camera profile's region of interest (x 0.2, width 0.6).
    const frame = await officer.evaluate(() => {
      const box = document.getElementById('gate-camera')!.getBoundingClientRect();
      const guide = document.getElementById('gate-guide')!.getBoundingClientRect();
      return { x: (guide.left - box.left) / box.width, w: guide.width / box.width };
    });
    expect(frame.x).toBeCloseTo(0.2, 1);
    expect(frame.w).toBeCloseTo(0.6, 1);
    // No officer action on the gate screen: none visible, and none taken.
    for (const id of ['#ack', '#manual-open', '#override-open', '#language', '#gate-lock'])
      expect(await officer.locator(id).isVisible()).toBe(false);
    expect(await officer.locator('button:visible').count()).toBe(0);
    const fits = await gateTextFits(officer);
    expect(fits.fits).toBe(true);
    expect(fits.wordPx).toBeGreaterThanOrEqual(40);
    expect(fits.subPx).toBeGreaterThanOrEqual(24);
    expect(await traveller.locator('#message').textContent()).toBe('Xin mời quét mã');
    await screenshot(officer, `gate-${size}-ready`);
    await screenshot(traveller, `gate-${size}-traveller-ready`);
  });

  it('a green opens the gate: "Mời qua — N" counting down on both screens, then ready again', async () => {
    const opensBefore = relay.hexFrames().filter((f) => f === ON).length;
    // Every line the gate screen shows, recorded by the page itself (screenshots take time).
    await officer.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { gateLines: string[] }).gateLines = seen;
      const word = document.getElementById('gate-word')!;
      new MutationObserver(() => {
        if (seen.at(-1) !== word.textContent) seen.push(word.textContent);
      }).observe(word, { childList: true, characterData: true, subtree: true });
    });
    scan(CLEAN[VIEWPORTS.indexOf(viewport)]!);
    await expect.poll(() => gateState(officer), { timeout: 5000 }).toBe('go');
    expect(relay.hexFrames().filter((f) => f === ON).length).toBe(opensBefore + 1);
    expect(await officer.locator('#gate-word').textContent()).toMatch(/^Mời qua — [1-4]$/);
    expect(await officer.locator('#gate-sub').textContent()).toMatch(/^Please go through — [1-4]$/);
    await expect.poll(() => travellerState(), { timeout: 5000 }).toBe('go');
    expect(await traveller.locator('#message').textContent()).toMatch(/^Mời qua — [1-4]$/);
    await screenshot(officer, `gate-${size}-open`);
    await screenshot(traveller, `gate-${size}-traveller-open`);
    await expect.poll(() => gateState(officer), { timeout: 8000 }).toBe('ready');
    await expect.poll(() => travellerState(), { timeout: 8000 }).toBe('ready');
    // It counted down, second by second, then the gate shut.
    const lines = await officer.evaluate(() => (window as unknown as { gateLines: string[] }).gateLines);
    const counts = lines
      .filter((l) => l.startsWith('Mời qua — '))
      .map((l) => Number(l.slice('Mời qua — '.length)));
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(counts.at(-1)).toBe(1);
    expect(lines.at(-1)).toBe('Xin mời quét mã');
  });

  it('red and amber both say "Vui lòng gặp nhân viên", the same on both screens; the gate stays shut', async () => {
    const opens = relay.hexFrames().filter((f) => f === ON).length;
    const seen: { officer: string; traveller: string; cls: string; tcls: string }[] = [];
    for (const code of [F0, 'not a code at all']) {
      scan(code);
      await expect.poll(() => gateState(officer), { timeout: 5000 }).toBe('see_staff');
      await expect.poll(() => travellerState(), { timeout: 5000 }).toBe('see_staff');
      seen.push({
        officer: (await officer.locator('#gate-word').textContent())!,
        traveller: (await traveller.locator('#message').textContent())!,
        cls: (await officer.locator('#gate').getAttribute('class'))!,
        tcls: (await traveller.locator('#traveller').getAttribute('class'))!,
      });
      if (code === F0) {
        await screenshot(officer, `gate-${size}-see-staff`);
        await screenshot(traveller, `gate-${size}-traveller-see-staff`);
      }
      await expect.poll(() => gateState(officer), { timeout: 10_000 }).toBe('ready');
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toMatchObject({ officer: 'Vui lòng gặp nhân viên', traveller: 'Vui lòng gặp nhân viên' });
    expect(await traveller.locator('body').textContent()).not.toContain('cán bộ');
    expect(relay.hexFrames().filter((f) => f === ON).length).toBe(opens);
  });

  it('refuses officer actions while locked (403 gate_locked) and says a bad staff card is not valid', async () => {
    const pending = agent.desk().pending[0]!.scanId;
    const refused = await officer.evaluate(async (scanId) => {
      const res = await fetch(`/api/scans/${scanId}/acknowledge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, body: (await res.json()) as unknown };
    }, pending);
    expect(refused).toMatchObject({ status: 403, body: { error: 'gate_locked' } });
    expect(agent.desk().pending[0]!.scanId).toBe(pending);
    // A staff card signed by a key this lane does not pin, read by a wedge scanner on this screen.
    const before = agent.store.lastSeq();
    await officer.evaluate((text) => {
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- a staff card is ASCII
      for (const key of [...text, 'Enter'])
        document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }, staffCard(signingKey()));
    await expect.poll(() => gateState(officer), { timeout: 5000 }).toBe('bad_card');
    expect(await officer.locator('#gate-word').textContent()).toBe('Thẻ nhân viên không hợp lệ');
    await screenshot(officer, `gate-${size}-bad-card`);
    expect(agent.store.lastSeq()).toBe(before);
    expect(agent.gateView().unlock).toBeNull();
    await expect.poll(() => gateState(officer), { timeout: 8000 }).toBe('ready');
  });

  it('a bad staff card read by the serial scanner says so on the gate screen only; a locked screen holds no desk data', async () => {
    const before = agent.store.lastSeq();
    const travellerBefore = await travellerState();
    scan(staffCard(signingKey()));
    await expect.poll(() => gateState(officer), { timeout: 5000 }).toBe('bad_card');
    expect(await officer.locator('#gate-word').textContent()).toBe('Thẻ nhân viên không hợp lệ');
    expect(await traveller.locator('body').textContent()).not.toContain('Thẻ nhân viên');
    expect(await travellerState()).toBe(travellerBefore);
    expect(agent.gateView('traveller').cardRefusedAt).toBeNull();
    await screenshot(officer, `gate-${size}-bad-card-serial`);
    expect(agent.store.lastSeq()).toBe(before);
    expect(agent.gateView().unlock).toBeNull();
    await expect.poll(() => gateState(officer), { timeout: 8000 }).toBe('ready');
    // The red scanned earlier is on the lane's desk, and nowhere in the locked gate screen's page.
    const shown = agent.desk().recent.flatMap((i) => (i.subject === null ? [] : [i.subject.shown]));
    expect(shown.length).toBeGreaterThan(0);
    const html = await officer.evaluate(() => document.documentElement.outerHTML);
    for (const subject of shown) expect(html).not.toContain(subject);
    expect(agent.desk().pending.length).toBeGreaterThan(0);
    expect(await officer.locator('[data-scan-id]').count()).toBe(0);
  });

  it('the hidden corner and a PIN open the desk for a minute; "Khoá" locks it again', async () => {
    // Two taps are not enough.
    await tapCorner();
    await tapCorner();
    await officer.waitForTimeout(2200);
    expect(await officer.locator('#gate-unlock').isVisible()).toBe(false);
    await tapCorner();
    await tapCorner();
    await tapCorner();
    const dialog = officer.locator('#gate-unlock');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: /Lan/ }).click();
    for (const digit of '0000') await dialog.getByRole('button', { name: digit, exact: true }).click();
    await dialog.getByRole('button', { name: 'Mở', exact: true }).click();
    await expect
      .poll(() => dialog.locator('.error').textContent(), { timeout: 10_000 })
      .toBe('Sai mã PIN')
      .catch(async (error: unknown) => {
        await screenshot(officer, `gate-${size}-unlock-failed`);
        throw error;
      });
    for (const digit of '1111') await dialog.getByRole('button', { name: digit, exact: true }).click();
    await screenshot(officer, `gate-${size}-unlock-pin`);
    await expectTargets(officer);
    await dialog.getByRole('button', { name: 'Mở', exact: true }).click();
    await officer.locator('body[data-gate="unlocked"]').waitFor();
    expect(await dialog.isVisible()).toBe(false);
    expect(agent.gateView().unlock).toMatchObject({ officerId: 'CB-01', via: 'pin' });
    // The desk, with its countdown and "Khoá".
    await officer.locator('#ack').waitFor();
    expect(await officer.locator('#gate').isVisible()).toBe(false);
    expect(await officer.locator('#gate-left').textContent()).toMatch(/^Lan · tự khoá sau (59|60) giây$/);
    // The countdown is whole, never cut by the bar's other chips.
    expect(await officer.locator('#gate-left').evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(
      true,
    );
    await expectTargets(officer);
    await screenshot(officer, `gate-${size}-unlocked-desk`);
    // Officer actions work now: "Đã xem" on the pending red.
    const pending = agent.desk().pendingCount;
    await officer.getByRole('button', { name: 'Đã xem', exact: true }).click();
    await expect.poll(() => agent.desk().pendingCount).toBe(pending - 1);
    await officer.getByRole('button', { name: 'Khoá', exact: true }).click();
    await officer.locator('body[data-gate="locked"]').waitFor();
    expect(agent.gateView().unlock).toBeNull();
    await expect.poll(() => gateState(officer)).toBe('ready');
    expect(await officer.locator('#ack').isVisible()).toBe(false);
  });

  it('a long press on the corner opens the picker too; left alone, Huỷ closes it', async () => {
    await officer.mouse.move(40, 40);
    await officer.mouse.down();
    await officer.waitForTimeout(1800);
    await officer.mouse.up();
    const dialog = officer.locator('#gate-unlock');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: /Minh/ }).waitFor();
    await screenshot(officer, `gate-${size}-unlock-pick`);
    await expectTargets(officer);
    await dialog.getByRole('button', { name: 'Huỷ', exact: true }).click();
    expect(await dialog.isVisible()).toBe(false);
    expect(agent.gateView().unlock).toBeNull();
  });

  it('a lost relay closes the lane ("Làn tạm ngừng"), on both screens, until it is back', async () => {
    relay.disconnect();
    await expect.poll(() => gateState(officer), { timeout: 5000 }).toBe('closed');
    await expect.poll(() => travellerState(), { timeout: 5000 }).toBe('closed');
    expect(await officer.locator('#gate-word').textContent()).toBe('Làn tạm ngừng');
    expect(await traveller.locator('#message').textContent()).toBe('Làn tạm ngừng');
    await screenshot(officer, `gate-${size}-closed`);
    await screenshot(traveller, `gate-${size}-traveller-closed`);
    relay.reconnect();
    await expect.poll(() => gateState(officer), { timeout: 10_000 }).toBe('ready');
  });

  it('a lost agent shows "Làn tạm ngừng" on the gate screen, not the officer desk', async () => {
    await display.stop();
    await expect.poll(() => gateState(officer), { timeout: 8000 }).toBe('closed');
    expect(await officer.locator('#lane-down').isVisible()).toBe(false);
    await expect.poll(() => travellerState(), { timeout: 8000 }).toBe('closed');
  });
});
