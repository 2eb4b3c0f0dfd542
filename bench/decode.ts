// QR decoder comparison: every PNG/JPEG in DIR with a sidecar NAME.txt of the expected text,
// decoded by each decoder the display can use (kiosk/display/src/camera/decoders.ts, the same
// code as the decode worker). Prints per decoder how many decoded to exactly the expected text
// and the median ms per image, then one JSON line per decoder.
// Not a test. Run: npm run bench:decode -- DIR   (make a set: npx tsx bench/make-qr-fixtures.ts DIR)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  createJsDecoder,
  createWasmDecoder,
  type Pixels,
  type QrDecoder,
} from '../kiosk/display/src/camera/decoders.js';

interface Fixture {
  readonly name: string;
  readonly expected: string;
  readonly pixels: Pixels;
}

/** Decodes an image file to RGBA with ffmpeg (PNG and JPEG alike, no image library needed). */
function readPixels(file: string): Pixels {
  const [width, height] = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .trim()
    .split(',')
    .map(Number);
  if (!width || !height) throw new Error(`${file}: no size`);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], {
    maxBuffer: 1 << 30,
  });
  if (raw.byteLength !== width * height * 4) throw new Error(`${file}: ${raw.byteLength} bytes`);
  return { data: new Uint8ClampedArray(raw.buffer, raw.byteOffset, raw.byteLength), width, height };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const dir = process.argv[2];
if (dir === undefined || !existsSync(dir)) {
  console.error('usage: npm run bench:decode -- DIR');
  process.exit(2);
}
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => /\.(png|jpe?g)$/i.test(f))
  .sort()
  .flatMap((f) => {
    const sidecar = join(dir, f.replace(/\.[^.]+$/, '.txt'));
    if (!existsSync(sidecar)) return [];
    return [{ name: f, expected: readFileSync(sidecar, 'utf8'), pixels: readPixels(join(dir, f)) }];
  });
if (fixtures.length === 0) {
  console.error(`${dir}: no PNG/JPEG with a NAME.txt sidecar`);
  process.exit(2);
}

const require = createRequire(import.meta.url);
const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
const decoders: QrDecoder[] = [
  await createWasmDecoder({ binary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }),
  createJsDecoder(),
];

const results: { decoder: string; exact: number; total: number; medianMs: number }[] = [];
for (const decoder of decoders) {
  await decoder.decode(fixtures[0]!.pixels); // warm-up (JIT, wasm tiers), not counted
  let exact = 0;
  let wrong = 0;
  const ms: number[] = [];
  const frameMs: number[] = []; // whole camera frames (≥ 640×480): what the lane pays per frame
  const missed: string[] = [];
  for (const f of fixtures) {
    const t0 = performance.now();
    const text = await decoder.decode(f.pixels);
    const took = performance.now() - t0;
    ms.push(took);
    if (f.pixels.width * f.pixels.height >= 640 * 480) frameMs.push(took);
    if (text === f.expected) exact++;
    else {
      missed.push(f.name);
      if (text !== null) wrong++;
    }
  }
  const medianMs = Math.round(median(ms) * 100) / 100;
  console.log(
    `${decoder.name}: ${exact}/${fixtures.length} exact, ${wrong} wrong text, median ${medianMs} ms/image`,
  );
  if (frameMs.length > 0)
    console.log(`  median ${median(frameMs).toFixed(2)} ms on the ${frameMs.length} images of ≥ 640×480`);
  if (missed.length > 0) console.log(`  missed: ${missed.join(' ')}`);
  results.push({ decoder: decoder.name, exact, total: fixtures.length, medianMs });
}
for (const r of results) console.log(JSON.stringify(r));
