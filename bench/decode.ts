// QR decoder comparison: every PNG/JPEG in DIR with a sidecar NAME.txt of the expected text,
// decoded with the same code as the display's decode worker (kiosk/display/src/camera/).
// Prints, for each decode pass the lane knows (pass-schedule.ts) — among them "lane", the single
// pass the lane used before the schedule, and "zxing-defaults", zxing-cpp's own reader — how
// many fixtures it reads exactly, wrong texts and ms per decode (all images, whole 1280×720
// frames, an empty 720p frame); then the lane's multi-pass schedule simulated at 30 frames/s on
// each fixture held in front of the camera (one decode per frame, a frame skipped while a decode
// runs): fixtures read, wrong texts, decodes/s at 720p and first frame → decision (p50/p95);
// then @zxing/library (the fallback). Ends with one JSON line per pass and one for the schedule.
// Not a test. Run: npm run bench:decode -- DIR [--schedule lane,inverted,…] [--repeat 3]
//   (make a set: npx tsx bench/make-qr-fixtures.ts DIR)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// The display is a browser bundle with no package entry: this benchmark times its decoder files
// themselves, in Node (the one place outside kiosk/display that may name them).
// eslint-disable-next-line boundaries/no-cross-package-relative
import { createJsDecoder, createWasmDecoder, type Pixels } from '../kiosk/display/src/camera/decoders.js';
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  LANE_SCHEDULE,
  PASSES,
  PassSchedule,
  type DecodePass,
} from '../kiosk/display/src/camera/pass-schedule.js';
import { seededRandom } from './photo-fixtures.js';

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

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}
const r2 = (x: number): number => Math.round(x * 100) / 100;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const is720p = (p: Pixels): boolean => p.width === 1280 && p.height === 720;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { schedule: { type: 'string' }, repeat: { type: 'string', default: '1' } },
});
const dir = positionals[0];
if (dir === undefined || !existsSync(dir)) {
  console.error('usage: npm run bench:decode -- DIR [--schedule PASS,PASS,…] [--repeat N]');
  process.exit(2);
}
const repeat = Math.max(1, Math.min(9, Number(values.repeat) || 1)); // timing: median of this many decodes
const byName = new Map<string, DecodePass>(Object.values(PASSES).map((p) => [p.name, p]));
let schedule: readonly DecodePass[] = LANE_SCHEDULE;
if (values.schedule !== undefined) {
  schedule = values.schedule.split(',').map((n) => {
    const pass = byName.get(n);
    if (!pass) {
      console.error(`unknown pass ${n}; known: ${[...byName.keys()].join(', ')}`);
      process.exit(2);
    }
    return pass;
  });
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
// An empty 720p scene (grey, sensor noise): what most camera frames are, and the costliest
// decode, since every pass searches the whole frame and finds nothing.
// Also as the lane decodes it: the generic-uvc-camera profile's region of interest, 0.6 × 0.8
// of the frame (768×576).
const emptyScene = (width: number, height: number): Pixels => {
  const rnd = seededRandom(7);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    const v = 150 + Math.round((rnd() - 0.5) * 12);
    data.set([v, v, v, 255], i);
  }
  return { data, width, height };
};
const empty = emptyScene(1280, 720);
const emptyRoi = emptyScene(768, 576);

const require = createRequire(import.meta.url);
const wasmBytes = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
const wasm = await createWasmDecoder({
  binary: wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.byteLength),
});

interface Read {
  readonly text: string | null;
  readonly ms: number;
}
const passes = [...new Set([...Object.values(PASSES), ...schedule])];
const reads = new Map<string, Read[]>(); // pass name → one read per fixture
const emptyMs = new Map<string, number>();
const emptyRoiMs = new Map<string, number>();
console.log(
  `${fixtures.length} fixtures (${fixtures.filter((f) => is720p(f.pixels)).length} of 1280×720) in ${dir}\n`,
);
console.log(
  'pass                       exact  wrong  median ms  720p ms (p50/p95)  empty 720p ms  empty ROI ms  read, lane missed',
);
const summary: object[] = [];
const beyondNames: string[] = [];
for (const pass of passes) {
  await wasm.decode(fixtures[0]!.pixels, pass); // warm-up (JIT, wasm tiers), not counted
  const list: Read[] = [];
  for (const f of fixtures) {
    let text: string | null = null;
    const runs: number[] = [];
    for (let k = 0; k < repeat; k++) {
      const t0 = performance.now();
      text = await wasm.decode(f.pixels, pass); // the same pixels read the same on every run
      runs.push(performance.now() - t0);
    }
    list.push({ text, ms: quantile(runs, 0.5) });
  }
  for (const [scene, into] of [
    [empty, emptyMs],
    [emptyRoi, emptyRoiMs],
  ] as const) {
    const runs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      await wasm.decode(scene, pass);
      runs.push(performance.now() - t0);
    }
    into.set(pass.name, quantile(runs, 0.5));
  }
  reads.set(pass.name, list);
  const exact = list.filter((r, i) => r.text === fixtures[i]?.expected).length;
  const wrong = list.filter((r, i) => r.text !== null && r.text !== fixtures[i]?.expected).length;
  const laneReads = reads.get(PASSES.lane.name);
  const beyond = list.filter((r, i) => r.text === fixtures[i]?.expected && laneReads?.[i]?.text !== r.text);
  const ms720 = list.filter((_, i) => is720p(fixtures[i]!.pixels)).map((r) => r.ms);
  const row = {
    pass: pass.name,
    exact,
    wrong,
    total: fixtures.length,
    medianMs: r2(
      quantile(
        list.map((r) => r.ms),
        0.5,
      ),
    ),
    ms720pMedian: r2(quantile(ms720, 0.5)),
    ms720pP95: r2(quantile(ms720, 0.95)),
    emptyMs720p: r2(emptyMs.get(pass.name) ?? NaN),
    emptyMsRoi768x576: r2(emptyRoiMs.get(pass.name) ?? NaN),
    beyondLane: beyond.length,
  };
  summary.push(row);
  if (beyond.length > 0 && pass !== PASSES.lane)
    beyondNames.push(`  ${pass.name}: ${beyond.map((r) => fixtures[list.indexOf(r)]?.name).join(' ')}`);
  console.log(
    `${pass.name.padEnd(26)} ${String(exact).padStart(5)}  ${String(wrong).padStart(5)}  ${String(row.medianMs).padStart(9)}  ${`${row.ms720pMedian}/${row.ms720pP95}`.padStart(17)}  ${String(row.emptyMs720p).padStart(13)}  ${String(row.emptyMsRoi768x576).padStart(12)}  ${String(beyond.length).padStart(17)}`,
  );
}

if (beyondNames.length > 0) console.log(`\nread by a pass, missed by "lane":\n${beyondNames.join('\n')}`);

// The schedule, simulated: the fixture is held in front of a 30 frames/s camera from frame 0;
// frame k arrives at k × 33.3 ms; a decode starts on the first frame that arrives when the
// previous one is done and takes what that pass took on this fixture; the decision is the end
// of the decode whose read the schedule accepts. Given up after 3 s (90 frames).
const FRAME_MS = 1000 / 30;
interface Outcome {
  readonly text: string | null;
  readonly pass: string | null;
  readonly frames: number;
  readonly ms: number;
}
function simulate(i: number, passList: readonly DecodePass[]): Outcome {
  const s = new PassSchedule(passList);
  let t = 0;
  for (let decodes = 0; t < 3000; decodes++) {
    const pass = s.next(decodes === 0); // the card comes into view on the first frame
    const read = reads.get(pass.name)?.[i];
    if (!read) throw new Error(`no read for ${pass.name}`);
    const done = t + read.ms;
    const accepted = s.observe(read.text);
    if (accepted) return { text: accepted.text, pass: accepted.pass, frames: decodes + 1, ms: done };
    t = Math.ceil(done / FRAME_MS - 1e-9) * FRAME_MS; // the next frame presented after this decode
  }
  return { text: null, pass: null, frames: 0, ms: NaN };
}

function report(label: string, passList: readonly DecodePass[]): object {
  const outcomes = fixtures.map((_, i) => simulate(i, passList));
  const exact = outcomes.filter((o, i) => o.text === fixtures[i]?.expected);
  const wrong = outcomes.filter((o, i) => o.text !== null && o.text !== fixtures[i]?.expected);
  const latency = exact.map((o) => o.ms);
  const byPass = new Map<string, number>();
  for (const o of exact) byPass.set(o.pass ?? '', (byPass.get(o.pass ?? '') ?? 0) + 1);
  // At 720p: the mean decode time over the cycle on the 720p fixtures and on an empty scene
  // (most frames); decodes/s from 10 s of an empty scene played at 30 frames/s through one
  // worker, passes in turn, each taking its measured time (a frame that arrives while a decode
  // runs is skipped, as in the lane).
  const cycleEmpty = mean(passList.map((p) => emptyMs.get(p.name) ?? NaN));
  const frames720 = fixtures.flatMap((f, i) => (is720p(f.pixels) ? [i] : []));
  const cycle720 = mean(passList.flatMap((p) => frames720.map((i) => reads.get(p.name)?.[i]?.ms ?? NaN)));
  const decodesPerS = (ms: Map<string, number>): number => {
    let decodes = 0;
    for (let t = 0; t < 10_000; decodes++) {
      const took = ms.get(passList[decodes % passList.length]?.name ?? '') ?? NaN;
      t = Math.ceil((t + took) / FRAME_MS - 1e-9) * FRAME_MS;
    }
    return decodes / 10;
  };
  const worst = Math.max(cycleEmpty, cycle720);
  const row = {
    schedule: label,
    passes: passList.map((p) => p.name),
    exact: exact.length,
    wrong: wrong.length,
    total: fixtures.length,
    meanMsPerFrame720p: r2(cycle720),
    meanMsPerEmptyFrame720p: r2(cycleEmpty),
    decodesPerS720p: decodesPerS(emptyMs),
    decodesPerS720pRoi: decodesPerS(emptyRoiMs),
    workerCapacityPerS720p: Math.round(1000 / worst),
    firstFrameToDecisionMsP50: Math.round(quantile(latency, 0.5)),
    firstFrameToDecisionMsP95: Math.round(quantile(latency, 0.95)),
    framesToDecisionP95: quantile(
      exact.map((o) => o.frames),
      0.95,
    ),
    readBy: Object.fromEntries(byPass),
  };
  console.log(
    `\n${label} [${row.passes.join(' → ')}]\n` +
      `  ${row.exact}/${row.total} read exactly, ${row.wrong} wrong text; at 720p ${row.meanMsPerFrame720p} ms/frame ` +
      `with a code, ${row.meanMsPerEmptyFrame720p} ms on an empty frame → ${row.decodesPerS720p} decodes/s ` +
      `(${row.decodesPerS720pRoi}/s on the 768×576 region of interest the lane decodes) ` +
      `(worker capacity ${row.workerCapacityPerS720p}/s)\n` +
      `  first frame → decision: p50 ${row.firstFrameToDecisionMsP50} ms, p95 ${row.firstFrameToDecisionMsP95} ms ` +
      `(p95 ${row.framesToDecisionP95} decodes); decided by ${JSON.stringify(row.readBy)}`,
  );
  const missed = fixtures.filter((_, i) => outcomes[i]?.text !== fixtures[i]?.expected).map((f) => f.name);
  if (missed.length > 0) console.log(`  missed: ${missed.join(' ')}`);
  return row;
}

const before = report('before: one pass (lane, tryInvert false)', [PASSES.lane]);
// As zxing-cpp's own reader would be used: one pass, its first read taken.
const zxing = report('reference: zxing-cpp defaults, one pass', [{ ...PASSES.zxingDefaults, trusted: true }]);
const after = report('after: the lane schedule', schedule);
const union = fixtures.filter((f, i) =>
  schedule.some((p) => reads.get(p.name)?.[i]?.text === f.expected),
).length;
console.log(`  (union of the schedule's passes, any single frame: ${union}/${fixtures.length})`);

// The fallback decoder, as before: its one pass.
const js = createJsDecoder();
await js.decode(fixtures[0]!.pixels);
let jsExact = 0;
let jsWrong = 0;
const jsMs: number[] = [];
for (const f of fixtures) {
  const t0 = performance.now();
  const text = await js.decode(f.pixels);
  jsMs.push(performance.now() - t0);
  if (text === f.expected) jsExact++;
  else if (text !== null) jsWrong++;
}
console.log(
  `\nzxing-js (fallback, one pass): ${jsExact}/${fixtures.length} exact, ${jsWrong} wrong text, median ${r2(quantile(jsMs, 0.5))} ms/image`,
);
for (const row of [...summary, before, zxing, after]) console.log(JSON.stringify(row));
