// The lane camera in real Debian Chromium: QR videos made here (qrcode + ffmpeg, MJPEG) fed
// through Chromium's fake camera into the officer screen of a real lane agent enrolled with the
// real sync server process. The right decisions appear, recorded with source 'camera', each
// card once; a missing camera is shown as lost and retried. Also measures decodes per second at
// 640×480 and 1280×720 and the time from the first frame showing a QR to the decision painted
// (printed as `camera-bench {...}` lines; docs/benchmarks.md "Camera decoding").
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DisplayServer, hashPin, LaneAgent, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { freePort, ServerUnderTest } from '../integration/lane-helpers.js';
import { openLink } from './display-links.js';
import { launchChromium, screenshot } from './browser.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const F0 = '001090123456';
const CLEAN = '079301004567';
const staticDir = new URL('../../kiosk/dist/display/', import.meta.url).pathname;
const profile = JSON.parse(
  readFileSync(new URL('../../hardware-profiles/generic-uvc-camera.json', import.meta.url), 'utf8'),
) as { camera: unknown };
const FPS = 30; // what Chromium's fake file capture plays an MJPEG file at
const GREY = '0xB0B0B0';

let dir: string;
let server: ServerUnderTest;
let agent: LaneAgent;
let display: DisplayServer;
let browser: Browser | null = null;

/** A segment of a test video: a QR of `text` (null: an empty grey scene) for `seconds`. */
interface Segment {
  readonly text: string | null;
  readonly seconds: number;
}

/**
 * Makes an MJPEG video of QR codes on a grey scene, centred (inside the profile's region of
 * interest) at `ppm` px per module, and returns its path. `inverted`: light codes on a black
 * scene, as a phone screen in dark mode shows them.
 */
async function makeQrVideo(
  name: string,
  width: number,
  height: number,
  ppm: number,
  segments: Segment[],
  inverted = false,
) {
  const scene = inverted ? '0x101010' : GREY;
  const work = join(dir, name);
  mkdirSync(work, { recursive: true });
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', ...args]);
  const blank = join(work, 'blank.png');
  ffmpeg('-f', 'lavfi', '-i', `color=c=${scene}:s=${width}x${height}`, '-frames:v', '1', blank);
  // An MJPEG stream is JPEG frames one after the other: each segment is encoded on its own
  // (its picture repeated for its duration) and the segments are joined byte for byte.
  const parts: Buffer[] = [];
  for (const [i, s] of segments.entries()) {
    let picture = blank;
    if (s.text !== null) {
      const code = join(work, `code-${i}.png`);
      picture = join(work, `picture-${i}.png`);
      await QRCode.toFile(code, [{ data: Buffer.from(s.text, 'utf8'), mode: 'byte' }], {
        scale: ppm,
        margin: 4,
        ...(inverted ? { color: { dark: '#e8e8e8ff', light: '#101010ff' } } : {}),
      });
      ffmpeg('-i', code, '-vf', `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=${scene}`, picture);
    }
    const part = join(work, `part-${i}.mjpeg`);
    ffmpeg(
      '-loop',
      '1',
      '-framerate',
      String(FPS),
      '-t',
      String(s.seconds),
      '-i',
      picture,
      '-vf',
      'format=yuvj420p',
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-f',
      'mjpeg',
      part,
    );
    parts.push(readFileSync(part));
  }
  const out = join(dir, `${name}.mjpeg`);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

/**
 * Chromium with a fake camera playing `file`, and the officer screen in it; `prepare` runs on
 * the page before it loads (routes).
 */
async function officerWithCamera(
  file: string,
  prepare?: (page: Page) => Promise<unknown>,
): Promise<{ page: Page; decisions: DecisionEvent[] }> {
  browser = await launchChromium([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${file}`,
  ]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const decisions: DecisionEvent[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      const m = JSON.parse(payload.toString()) as { type: string; data?: DecisionEvent };
      if (m.type === 'decision' && m.data) decisions.push(m.data);
    });
  });
  await prepare?.(page);
  await openLink(page, display.mintLink('officer'));
  await page.locator('#link.up').waitFor();
  return { page, decisions };
}

interface DecisionEvent {
  decision: string;
  scanId: string | null;
  source: string;
  subject: { masked: string } | null;
}

interface CameraStats {
  frames: number;
  decodes: number;
  decoder: string;
  attempts: number;
  decodeMs: number[];
  codesByPass: Record<string, number>;
}

const stats = (page: Page): Promise<CameraStats> =>
  page.evaluate(() => {
    const s = (window as unknown as { laneCamera: { stats: CameraStats } }).laneCamera.stats;
    return { ...s, decodeMs: [...s.decodeMs] };
  });

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-camera-e2e-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-e2e-tests-0123456789');
  await server.start();
  await server.addCheckpoint('CAM-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,Nguyễn Văn A,\n`);
  const laneDir = join(dir, 'lane');
  mkdirSync(laneDir, { recursive: true });
  writeFileSync(
    join(laneDir, 'officers.json'),
    JSON.stringify([{ id: 'CB-01', role: 'officer', pinHash: hashPin('1111') }]),
  );
  agent = await LaneAgent.open({
    dataDir: laneDir,
    keyStore: insecureFileKeyStore(laneDir),
    serverUrl: server.url,
    enrollCode: await server.enrollmentCode('CAM-1'),
    laneName: 'camera-lane',
    scanners: [],
    logger,
    sync: { heartbeatMs: 1000, retry: { baseMs: 100, capMs: 500 } },
  });
  await agent.start(10_000);
  display = new DisplayServer({ agent, logger, staticDir, camera: profile.camera });
  await display.start();
});

afterEach(async () => {
  await browser?.close();
  browser = null;
});

afterAll(async () => {
  await display.stop();
  await agent.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the lane camera in Chromium', () => {
  it('decides the QR codes a camera sees, each card once, recorded as camera scans', async () => {
    const file = await makeQrVideo('two-cards', 640, 480, 5, [
      { text: null, seconds: 1 },
      { text: CLEAN, seconds: 2 },
      { text: null, seconds: 1 },
      { text: F0, seconds: 2 },
      { text: null, seconds: 30 }, // the fake camera loops the file: no card again during the test
    ]);
    const { page, decisions } = await officerWithCamera(file);
    await page.locator('#camera.live').waitFor();
    await expect.poll(async () => (await stats(page)).decoder, { timeout: 10_000 }).toBe('zxing-wasm');
    await page.locator('#decision.green').waitFor();
    expect(await page.locator('#subject').textContent()).toBe('••••••••4567');
    await screenshot(page, 'officer-camera-green');
    await page.locator('#decision.red').waitFor();
    expect(await page.locator('#subject').textContent()).toBe('••••••••3456');
    expect(await page.locator('#reasons').textContent()).toContain('danh sách y tế');
    await screenshot(page, 'officer-camera-red-f0');
    // Each card decided once although it stayed in view for 60 frames, from the camera.
    expect(decisions.map((d) => [d.decision, d.source, d.subject?.masked])).toEqual([
      ['green', 'camera', '••••••••4567'],
      ['red', 'camera', '••••••••3456'],
    ]);
    for (const d of decisions) {
      expect(d.scanId).not.toBeNull();
      expect(agent.store.findRecord(d.scanId ?? '')).toMatchObject({ type: 'scan', source: 'camera' });
    }
    // The officer handles the F0 red (it stays pending on the desk until then), so that the
    // next tests' cards are opened on an empty desk.
    const ack = await page.request.post(
      new URL(`/api/scans/${decisions[1]?.scanId}/acknowledge`, page.url()).href,
      {
        data: {},
      },
    );
    expect(ack.status()).toBe(201);
  });

  it('reads a light-on-dark code (a phone screen in dark mode) with the schedule’s inverted pass', async () => {
    const id = '079301005566';
    const file = await makeQrVideo(
      'dark-mode',
      1280,
      720,
      6,
      [
        { text: null, seconds: 1 },
        { text: id, seconds: 3 },
        { text: null, seconds: 30 },
      ],
      true,
    );
    const { page, decisions } = await officerWithCamera(file);
    await expect.poll(async () => (await stats(page)).decoder, { timeout: 10_000 }).toBe('zxing-wasm');
    await page.locator('#decision.green').waitFor({ timeout: 40_000 });
    expect(await page.locator('#subject').textContent()).toBe('••••••••5566');
    await screenshot(page, 'officer-camera-dark-mode');
    expect(decisions.map((d) => [d.decision, d.source])).toEqual([['green', 'camera']]);
    // Read once, by a pass of the schedule that inverts (the inverted pass, or one with
    // tryInvert): never by the lane's own pass, tryInvert false, which cannot read it.
    const byPass = Object.entries((await stats(page)).codesByPass);
    expect(byPass).toHaveLength(1);
    expect(byPass[0]?.[0]).not.toBe('lane');
    expect(byPass[0]?.[1]).toBe(1);
  });

  it('falls back to @zxing/library when the zxing-wasm binary cannot be loaded', async () => {
    const id = '079301007788';
    const file = await makeQrVideo('fallback', 640, 480, 5, [
      { text: null, seconds: 1 },
      { text: id, seconds: 2 },
      { text: null, seconds: 30 },
    ]);
    let wasmAsked = 0;
    const { page, decisions } = await officerWithCamera(file, (p) =>
      p.route('**/assets/zxing_reader.wasm', (route) => {
        wasmAsked++;
        return route.fulfill({ status: 404, body: 'gone' });
      }),
    );
    await expect.poll(async () => (await stats(page)).decoder, { timeout: 10_000 }).toBe('zxing-js');
    expect(wasmAsked).toBeGreaterThan(0); // it was asked for locally (never from a CDN), and refused
    await page.locator('#decision.green').waitFor();
    expect(await page.locator('#subject').textContent()).toBe('••••••••7788');
    expect(decisions.map((d) => [d.decision, d.source])).toEqual([['green', 'camera']]);
  });

  it('shows a camera that goes away as lost, and comes back to it', async () => {
    const file = await makeQrVideo('unplug', 640, 480, 5, [{ text: null, seconds: 5 }]);
    const { page } = await officerWithCamera(file);
    await page.locator('#camera.live').waitFor();
    // Unplugged: the video track ends (Chromium's fake device cannot be removed from a running
    // browser, so the track is stopped and its 'ended' event, which a real unplug fires, sent).
    await page.evaluate(() => {
      const video = document.querySelector<HTMLVideoElement>('#camera-video');
      const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track) throw new Error('no camera track');
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
    await page.locator('#camera.lost').waitFor();
    await screenshot(page, 'officer-camera-unplugged');
    await page.locator('#camera.live').waitFor({ timeout: 10_000 }); // retried after its back-off
    const back = await stats(page);
    expect(back.attempts).toBe(2);
    // Decoding again, in one frame loop: the 30 frames/s the camera presents, not twice that.
    const t0 = Date.now();
    await expect
      .poll(async () => (await stats(page)).frames, { timeout: 10_000 })
      .toBeGreaterThan(back.frames + 45);
    const later = await stats(page);
    const framesPerS = (later.frames - back.frames) / ((Date.now() - t0) / 1000);
    expect(framesPerS).toBeLessThan(40);
    expect(later.decodes).toBeGreaterThan(back.decodes);
  });

  it('shows a missing camera as lost, and keeps retrying', async () => {
    const { page } = await officerWithCamera(join(dir, 'no-such-camera.mjpeg'));
    await page.locator('#camera.lost, #camera.denied').waitFor();
    expect(await page.locator('#camera').textContent()).toMatch(/Camera: (mất kết nối|bị từ chối quyền)/);
    await screenshot(page, 'officer-camera-lost');
    const first = (await stats(page)).attempts;
    await expect.poll(async () => (await stats(page)).attempts, { timeout: 10_000 }).toBeGreaterThan(first);
    await page.locator('#camera.lost, #camera.denied').waitFor(); // still shown after the retry
  });

  for (const [width, height, ppm] of [
    [640, 480, 5],
    [1280, 720, 6],
  ] as const) {
    it(`reads a stream of cards at ${width}×${height}: decodes per second, first QR frame to decision painted`, async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `0793010${String(10_000 + i * 1111).slice(-5)}`);
      const segments: Segment[] = [{ text: null, seconds: 1 }];
      for (const id of ids) segments.push({ text: id, seconds: 1 }, { text: null, seconds: 0.7 });
      segments.push({ text: null, seconds: 30 });
      const file = await makeQrVideo(`stream-${width}`, width, height, ppm, segments);
      const { page, decisions } = await officerWithCamera(file);
      await page.locator('#camera.live').waitFor();
      expect(
        await page.evaluate(() => document.querySelector<HTMLVideoElement>('#camera-video')?.videoWidth),
      ).toBe(width);
      // A probe beside the camera: the time of each frame where a QR appears after an empty
      // scene (a 32×24 thumbnail with contrast), and the time each decision is painted.
      await page.evaluate(() => {
        const w = window as unknown as { onsets: number[]; painted: { subject: string; t: number }[] };
        w.onsets = [];
        w.painted = [];
        const video = document.querySelector<HTMLVideoElement>('#camera-video');
        if (!video) throw new Error('no camera video');
        const thumb = new OffscreenCanvas(32, 24).getContext('2d', { willReadFrequently: true });
        if (!thumb) throw new Error('no 2d context');
        let empty = true;
        const onFrame = (now: number) => {
          thumb.drawImage(video, 0, 0, 32, 24);
          const px = thumb.getImageData(0, 0, 32, 24).data;
          let lo = 255;
          let hi = 0;
          for (let i = 0; i < px.length; i += 4) {
            lo = Math.min(lo, px[i] ?? 0);
            hi = Math.max(hi, px[i] ?? 0);
          }
          const qr = hi - lo > 60;
          if (qr && empty) w.onsets.push(now);
          empty = !qr;
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        const subject = document.getElementById('subject');
        if (!subject) throw new Error('no #subject');
        new MutationObserver(() => {
          const text = subject.textContent;
          requestAnimationFrame(() => w.painted.push({ subject: text, t: performance.now() }));
        }).observe(subject, { childList: true, characterData: true, subtree: true });
      });
      const before = await stats(page);
      const t0 = Date.now();
      await expect
        .poll(() => decisions.length, { timeout: 60_000, interval: 200 })
        .toBeGreaterThanOrEqual(ids.length);
      const after = await stats(page);
      const seconds = (Date.now() - t0) / 1000;
      await screenshot(page, `officer-camera-stream-${width}x${height}`);
      expect(decisions.slice(0, ids.length).map((d) => d.subject?.masked)).toEqual(
        ids.map((id) => `••••••••${id.slice(-4)}`),
      );
      expect(decisions.every((d) => d.source === 'camera')).toBe(true);
      const { onsets, painted } = await page.evaluate(() => {
        const w = window as unknown as { onsets: number[]; painted: { subject: string; t: number }[] };
        return { onsets: w.onsets, painted: w.painted };
      });
      const latencies = ids.flatMap((id) => {
        const shown = painted.find((p) => p.subject.endsWith(id.slice(-4)));
        const onset = shown && onsets.filter((t) => t <= shown.t).at(-1);
        return shown && onset !== undefined ? [shown.t - onset] : [];
      });
      expect(latencies.length).toBe(ids.length);
      const decodeMs = after.decodeMs.slice(before.decodeMs.length);
      const figures = {
        resolution: `${width}x${height}`,
        decoder: after.decoder,
        framesPerS: Math.round(((after.frames - before.frames) / seconds) * 10) / 10,
        decodesPerS: Math.round(((after.decodes - before.decodes) / seconds) * 10) / 10,
        decodeMsMedian: Math.round(quantile(decodeMs, 0.5) * 10) / 10,
        decodeMsP95: Math.round(quantile(decodeMs, 0.95) * 10) / 10,
        qrToPaintMsMedian: Math.round(quantile(latencies, 0.5)),
        qrToPaintMsP95: Math.round(quantile(latencies, 0.95)),
        samples: latencies.length,
      };
      console.log(`camera-bench ${JSON.stringify(figures)}`);
      expect(figures.decodesPerS).toBeGreaterThan(5);
    });
  }
});
