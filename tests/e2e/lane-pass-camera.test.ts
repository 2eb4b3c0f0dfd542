// A signed lane pass read by the lane camera (issue 16): the pass's QR (level M, as the server
// draws it) in a video played by Chromium's fake camera into the officer screen of an offline
// lane that holds the pass directory. The pass is decided once, green `pass_valid`, from the
// camera, with its route on the officer screen. Screenshot: officer-camera-lane-pass.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayServer, insecureFileKeyStore, LaneAgent, writeCredentials } from '@checkpoint-lane/kiosk';
import { CHECKPOINT_DEFAULTS, formatPass, passSigningBytes, type PassBody } from '@checkpoint-lane/shared';
import { launchChromium, screenshot } from './browser.js';
import { openLink } from './display-links.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;
const profile = JSON.parse(
  readFileSync(new URL('../../hardware-profiles/generic-uvc-camera.json', import.meta.url), 'utf8'),
) as { camera: unknown };
const passKey = generateKeyPairSync('ed25519');

/** A pass valid now, Hà Nội → TP Hồ Chí Minh, with a plate: the longest kind. */
function issue(): string {
  const validFrom = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const body: PassBody = {
    keyId: 1,
    passId: randomBytes(8).toString('hex'),
    personalId: '079201004568',
    validFrom,
    validUntil: validFrom + 24 * 3_600_000,
    from: { province: 1, district: null, ward: null },
    to: { province: 79, district: 760, ward: 26734 },
    plate: '51F12345',
  };
  return formatPass(body, sign(null, passSigningBytes(body), passKey.privateKey));
}

/** An MJPEG video (640×480, 30 fps): a grey second, the pass's QR for 2 s, then grey for 30 s. */
async function passVideo(dir: string, text: string): Promise<string> {
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', ...args]);
  const blank = join(dir, 'blank.png');
  ffmpeg('-f', 'lavfi', '-i', 'color=c=0xB0B0B0:s=640x480', '-frames:v', '1', blank);
  const code = join(dir, 'code.png');
  const picture = join(dir, 'picture.png');
  // As the server draws it: level M, the text in QR alphanumeric mode.
  await QRCode.toFile(code, text, { errorCorrectionLevel: 'M', scale: 5, margin: 4 });
  ffmpeg('-i', code, '-vf', 'pad=640:480:(ow-iw)/2:(oh-ih)/2:color=0xB0B0B0', picture);
  const parts = [
    [blank, 1],
    [picture, 2],
    [blank, 30],
  ].map(([input, seconds], i) => {
    const part = join(dir, `part-${i}.mjpeg`);
    ffmpeg(
      ...['-loop', '1', '-framerate', '30', '-t', String(seconds), '-i', String(input)],
      ...['-vf', 'format=yuvj420p', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', part],
    );
    return readFileSync(part);
  });
  const out = join(dir, 'pass.mjpeg');
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

describe('a lane pass read by the lane camera', () => {
  let dir: string;
  let agent: LaneAgent;
  let display: DisplayServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lane-pass-camera-'));
    writeCredentials(dir, {
      serverUrl: 'http://127.0.0.1:9',
      kioskId: 'k-pass-camera',
      token: 't',
      listKey: Buffer.alloc(32, 8).toString('base64'),
      checkpoint: { id: 'CP-1', name: 'Chốt 1', mode: 'closed', ...CHECKPOINT_DEFAULTS },
    });
    agent = await LaneAgent.open({
      dataDir: dir,
      keyStore: insecureFileKeyStore(dir),
      scanners: [],
      logger,
      sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
    });
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
    display = new DisplayServer({ agent, logger, staticDir, camera: profile.camera });
    await display.start();
  }, 60_000);

  afterAll(async () => {
    await browser.close();
    await display.stop();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides the pass once, green pass_valid, from the camera, with its route for the officer', async () => {
    const text = issue();
    expect(QRCode.create(text, { errorCorrectionLevel: 'M' }).version).toBeLessThanOrEqual(10);
    const video = await passVideo(dir, text);
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
    const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    const decisions: { decision: string; reasons: string[]; source: string; format: string | null }[] = [];
    page.on('websocket', (ws) => {
      ws.on('framereceived', ({ payload }) => {
        const m = JSON.parse(payload.toString()) as { type: string; data?: (typeof decisions)[number] };
        if (m.type === 'decision' && m.data) decisions.push(m.data);
      });
    });
    await openLink(page, display.mintLink('officer'));
    await page.locator('#camera.live').waitFor();
    await page.locator('#decision.green').waitFor({ timeout: 15_000 });
    await page.locator('#pass-route').filter({ hasText: 'TP Hồ Chí Minh' }).waitFor();
    await screenshot(page, 'officer-camera-lane-pass');
    // In view for 60 frames, decided once.
    expect(decisions.map((d) => [d.decision, d.reasons[0], d.source, d.format])).toEqual([
      ['green', 'pass_valid', 'camera', 'lane_pass'],
    ]);
  });
});
