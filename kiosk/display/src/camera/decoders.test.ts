// The decoders with the multi-pass schedule, for real: zxing-wasm (its .wasm from node_modules)
// and @zxing/library on QR pixels made here, dark-on-light and light-on-dark.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import QRCode from 'qrcode';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJsDecoder, createWasmDecoder, type QrDecoder } from './decoders.js';
import { half, invert, sharpen, stretch, type Pixels } from './image-ops.js';
import { LANE_SCHEDULE, PASSES, PassSchedule } from './pass-schedule.js';

const TEXT = '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1|20072021';

/** A QR of `text` at `ppm` px per module on a `bg` scene: `ink` modules on `paper`. */
function qrPixels(text: string, ppm: number, ink: number, paper: number, bg = 128): Pixels {
  const qr = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
    errorCorrectionLevel: 'M',
  });
  const n = qr.modules.size;
  const side = (n + 8) * ppm;
  const width = side + 120;
  const height = side + 80;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const u = x - 60;
      const v = y - 40;
      let value = bg;
      if (u >= 0 && v >= 0 && u < side && v < side) {
        const mx = Math.floor(u / ppm) - 4;
        const my = Math.floor(v / ppm) - 4;
        value = mx >= 0 && my >= 0 && mx < n && my < n && qr.modules.get(my, mx) === 1 ? ink : paper;
      }
      data.set([value, value, value, 255], (y * width + x) * 4);
    }
  return { data, width, height };
}

const grey = (p: Pixels, x: number, y: number): number => p.data[(y * p.width + x) * 4] ?? -1;

let wasm: QrDecoder;
beforeAll(async () => {
  const bytes = readFileSync(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'));
  wasm = await createWasmDecoder({
    binary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  });
});

describe('the multi-pass decoders', () => {
  const normal = qrPixels(TEXT, 4, 20, 235);
  const dark = qrPixels(TEXT, 4, 225, 15, 10); // a phone screen in dark mode: light code on black

  it("reads a light-on-dark code with the inverted pass, which the lane's own pass cannot", async () => {
    expect(await wasm.decode(normal)).toBe(TEXT);
    expect(await wasm.decode(dark, PASSES.lane)).toBeNull(); // tryInvert false: what the lane missed
    expect(await wasm.decode(dark, PASSES.inverted)).toBe(TEXT);
    expect(await createJsDecoder().decode(dark, PASSES.inverted)).toBe(TEXT);
  });

  it('every pass of the schedule reads a plain code exactly (but the inverted one, which reads nothing)', async () => {
    for (const pass of LANE_SCHEDULE)
      expect([pass.name, await wasm.decode(normal, pass)]).toEqual([
        pass.name,
        pass.prep === 'inverted' ? null : TEXT,
      ]);
  });

  it('the schedule, frame after frame on a dark-mode code, accepts it within a cycle, by the inverted pass', async () => {
    const s = new PassSchedule();
    let frames = 0;
    let accepted = null;
    while (accepted === null && frames < LANE_SCHEDULE.length) {
      frames++;
      const pass = s.next();
      accepted = s.observe(await wasm.decode(dark, pass));
    }
    expect(accepted).toEqual({ text: TEXT, pass: 'inverted' });
    expect(frames).toBe(3); // lane (miss), inverted (read), inverted again (confirmed)
  });
});

describe('image preparations', () => {
  const image = qrPixels('X', 2, 100, 120);

  it('invert swaps light and dark', () => {
    const out = invert(image);
    expect(grey(out, 0, 0)).toBe(255 - 128);
    expect(out.data[3]).toBe(255);
  });

  it('half averages 2×2 blocks into a frame half as wide and high', () => {
    const out = half({
      data: new Uint8ClampedArray([0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 100, 100, 100, 255]),
      width: 2,
      height: 2,
    });
    expect([out.width, out.height, grey(out, 0, 0)]).toEqual([1, 1, 100]);
  });

  it('stretch widens a faded code’s contrast (×4 at most), and leaves a flat frame alone', () => {
    const out = stretch(image);
    const range = (p: Pixels) => {
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < p.data.length; i += 4) {
        lo = Math.min(lo, p.data[i] ?? 0);
        hi = Math.max(hi, p.data[i] ?? 0);
      }
      return hi - lo;
    };
    expect(range(image)).toBe(28);
    expect(range(out)).toBeGreaterThanOrEqual(4 * 20);
    const flat = qrPixels('X', 2, 128, 128);
    expect(grey(stretch(flat), 10, 10)).toBe(128);
  });

  it('sharpen steepens an edge', () => {
    const data = new Uint8ClampedArray(6 * 3 * 4);
    for (let i = 0; i < 18; i++) data.set(i % 6 < 3 ? [100, 100, 100, 255] : [150, 150, 150, 255], i * 4);
    const out = sharpen({ data, width: 6, height: 3 });
    expect(grey(out, 2, 1)).toBeLessThan(100);
    expect(grey(out, 3, 1)).toBeGreaterThan(150);
    expect(grey(out, 0, 0)).toBe(100); // the border is kept
  });
});
