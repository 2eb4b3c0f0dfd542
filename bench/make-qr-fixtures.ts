// Makes a QR fixture set for `npm run bench:decode`: realistic lane payloads (chip ID card
// strings with Vietnamese text, bare 12-digit IDs, plates) made with the `qrcode` package, then
// degraded with ffmpeg the way a lane camera sees them: several px per module (≥ 3 and below),
// rotations, blur, sensor noise, low contrast, JPEG; then whole 1280×720 "photos" rendered by
// pixel maths (bench/photo-fixtures.ts, seeded): light-on-dark phone screens, perspective, blur,
// motion, glare, screen moiré, low contrast, small modules, JPEG artefacts, shadows, mixes.
// Each image gets a sidecar NAME.txt.
// Not a test. Run: npx tsx bench/make-qr-fixtures.ts OUT_DIR
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { chipCardQr, personalId } from './lane-support.js';
import { renderPhoto, seededRandom, type PhotoParams } from './photo-fixtures.js';

const out = process.argv[2];
const photosOnly = process.argv[3] === '--photos-only';
if (out === undefined) {
  console.error('usage: npx tsx bench/make-qr-fixtures.ts OUT_DIR [--photos-only]');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const BASE_SCALE = 8; // px per module of the rendered master, scaled down per condition
const MARGIN = 4;

const payloads: string[] = [
  chipCardQr(personalId(1), 1),
  chipCardQr(personalId(2), 2),
  chipCardQr(personalId(3), 3),
  personalId(4),
  personalId(5),
  '51F-123.45',
  '29A-987.65',
];

/** A condition: target px per module and an ffmpeg filter chain applied after scaling. */
interface Condition {
  readonly name: string;
  readonly ppm: number;
  readonly filters: string[];
  readonly ext: 'png' | 'jpg';
  /** Whole camera frame (width×height) around the code; default: a little room around it. */
  readonly frame?: readonly [number, number];
}

const rotate = (deg: number): string =>
  `rotate=${deg}*PI/180:c=0xB0B0B0:ow=rotw(${deg}*PI/180):oh=roth(${deg}*PI/180)`;

const conditions: Condition[] = [
  { name: 'clean-6ppm', ppm: 6, filters: [], ext: 'png' },
  { name: 'clean-4ppm', ppm: 4, filters: [], ext: 'png' },
  { name: 'clean-3ppm', ppm: 3, filters: [], ext: 'png' },
  { name: 'clean-2.5ppm', ppm: 2.5, filters: [], ext: 'png' },
  { name: 'clean-2ppm', ppm: 2, filters: [], ext: 'png' },
  { name: 'jpeg-3ppm', ppm: 3, filters: [], ext: 'jpg' },
  { name: 'rot10-4ppm', ppm: 4, filters: [rotate(10)], ext: 'jpg' },
  { name: 'rot45-4ppm', ppm: 4, filters: [rotate(45)], ext: 'jpg' },
  { name: 'rot180-3ppm', ppm: 3, filters: ['transpose=1,transpose=1'], ext: 'jpg' },
  { name: 'blur1-4ppm', ppm: 4, filters: ['gblur=sigma=1'], ext: 'jpg' },
  { name: 'blur2-4ppm', ppm: 4, filters: ['gblur=sigma=2'], ext: 'jpg' },
  { name: 'noise20-4ppm', ppm: 4, filters: ['noise=alls=20:allf=t'], ext: 'jpg' },
  { name: 'noise40-4ppm', ppm: 4, filters: ['noise=alls=40:allf=t'], ext: 'jpg' },
  { name: 'lowcontrast-4ppm', ppm: 4, filters: ['eq=contrast=0.35:brightness=0.15'], ext: 'jpg' },
  {
    name: 'lane-3ppm', // a bit of everything: tilted, soft, noisy, washed out
    ppm: 3,
    filters: [rotate(8), 'gblur=sigma=0.8', 'noise=alls=15:allf=t', 'eq=contrast=0.6:brightness=0.08'],
    ext: 'jpg',
  },
  {
    name: 'lane-2.5ppm',
    ppm: 2.5,
    filters: [rotate(8), 'gblur=sigma=0.8', 'noise=alls=15:allf=t', 'eq=contrast=0.6:brightness=0.08'],
    ext: 'jpg',
  },
  // Whole camera frames, so that the per-image time is that of a real frame.
  { name: 'frame640x480-3ppm', ppm: 3, filters: ['noise=alls=10:allf=t'], ext: 'jpg', frame: [640, 480] },
  { name: 'frame1280x720-3ppm', ppm: 3, filters: ['noise=alls=10:allf=t'], ext: 'jpg', frame: [1280, 720] },
  {
    name: 'frame1280x720-4ppm-rot20',
    ppm: 4,
    filters: [rotate(20), 'scale=1280:720'],
    ext: 'jpg',
    frame: [1280, 720],
  },
];

/** A photo condition: its parameters for one payload (`span`: modules across the quiet zone). */
interface PhotoCondition {
  readonly name: string;
  readonly jpegQ: number; // ffmpeg -q:v (2 best … 31 worst)
  readonly params: (r: () => number, span: number) => PhotoParams;
}

const W = 1280;
const H = 720;
const between = (r: () => number, lo: number, hi: number): number => lo + (hi - lo) * r();
const photo = (span: number, ppm: number, extra: Partial<PhotoParams> = {}): PhotoParams => ({
  width: W,
  height: H,
  codePx: Math.min(span * ppm, H * 0.92),
  ...extra,
});

const photoConditions: PhotoCondition[] = [
  // Dark mode: a light code on a black phone screen, and the same showing the screen's pixels.
  {
    name: 'photo-inverted',
    jpegQ: 5,
    params: (r, s) =>
      photo(s, between(r, 3.5, 6), {
        ink: 0.8,
        paper: 0.03,
        background: 0.02,
        tilt: between(r, 0, 0.2),
        rotateDeg: between(r, -15, 15),
        noise: 3,
      }),
  },
  {
    name: 'photo-inverted-moire',
    jpegQ: 6,
    params: (r, s) =>
      photo(s, between(r, 4, 6), {
        ink: 0.8,
        paper: 0.03,
        background: 0.02,
        screenPxPerModule: between(r, 5.5, 9.5),
        rotateDeg: between(r, -8, 8),
        blur: 0.6,
        noise: 3,
      }),
  },
  {
    name: 'photo-perspective',
    jpegQ: 5,
    params: (r, s) =>
      photo(s, between(r, 4, 5.5), {
        tilt: between(r, 0.35, 0.5),
        rotateDeg: between(r, -40, 40),
        gradient: 0.3,
        noise: 3,
      }),
  },
  {
    name: 'photo-blur',
    jpegQ: 5,
    params: (r, s) =>
      photo(s, between(r, 5, 6.5), { blur: between(r, 2, 2.8), rotateDeg: between(r, -10, 10), noise: 3 }),
  },
  {
    name: 'photo-motion',
    jpegQ: 5,
    params: (r, s) => photo(s, between(r, 5, 6.5), { motion: between(r, 6, 9), blur: 0.7, noise: 3 }),
  },
  {
    name: 'photo-glare',
    jpegQ: 5,
    params: (r, s) =>
      photo(s, between(r, 4, 6), {
        glare: between(r, 0.4, 0.9),
        glareRadius: between(r, 0.08, 0.16),
        tilt: 0.15,
        noise: 3,
      }),
  },
  {
    name: 'photo-moire',
    jpegQ: 5,
    params: (r, s) =>
      photo(s, between(r, 4, 6), {
        ink: 0.04,
        paper: 0.8,
        background: 0.03,
        screenPxPerModule: between(r, 5.5, 9.5),
        rotateDeg: between(r, -8, 8),
        blur: 0.5,
        noise: 3,
      }),
  },
  {
    name: 'photo-lowcontrast',
    jpegQ: 4,
    params: (r, s) =>
      photo(s, between(r, 4, 6), {
        ink: between(r, 0.4, 0.46),
        paper: 0.55,
        background: 0.5,
        blur: 0.8,
        noise: 2,
      }),
  },
  {
    name: 'photo-small',
    jpegQ: 5,
    params: (r, s) => photo(s, between(r, 2.1, 2.6), { rotateDeg: between(r, -20, 20), blur: 0.6, noise: 3 }),
  },
  {
    name: 'photo-jpeg',
    jpegQ: 24,
    params: (r, s) => photo(s, between(r, 2.8, 3.5), { rotateDeg: between(r, -20, 20), noise: 4 }),
  },
  {
    name: 'photo-shadow',
    jpegQ: 5,
    params: (r, s) => photo(s, between(r, 4, 6), { shadow: between(r, 0.25, 0.4), gradient: 0.5, noise: 3 }),
  },
  {
    name: 'photo-dark',
    jpegQ: 6,
    params: (r, s) => photo(s, between(r, 4, 6), { ink: 0.005, paper: 0.06, background: 0.03, noise: 5 }),
  },
  {
    name: 'photo-large-blur', // the code filling the frame, out of focus (big modules)
    jpegQ: 5,
    params: (r, s) => photo(s, 99, { blur: between(r, 4, 6), gradient: 0.5, noise: 3 }),
  },
  {
    name: 'photo-mix', // tilted, soft, noisy, some glare and uneven light, compressed hard
    jpegQ: 14,
    params: (r, s) =>
      photo(s, between(r, 3.5, 4.5), {
        tilt: 0.3,
        rotateDeg: between(r, -30, 30),
        blur: 1,
        noise: 5,
        glare: 0.3,
        glareRadius: 0.1,
        gradient: 0.4,
      }),
  },
];

const work = mkdtempSync(join(tmpdir(), 'qr-master-'));
let count = 0;
try {
  for (const [i, text] of payloads.entries()) {
    const master = join(work, `p${i}.png`);
    // Byte mode, UTF-8: what phone apps and the chip card itself produce.
    await QRCode.toFile(master, [{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
      type: 'png',
      scale: BASE_SCALE,
      margin: MARGIN,
      errorCorrectionLevel: 'M',
    });
    const modules = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
      errorCorrectionLevel: 'M',
    }).modules.size;
    for (const c of photosOnly ? [] : conditions) {
      const size = Math.round((modules + 2 * MARGIN) * c.ppm);
      const name = `p${i}-${c.name}`;
      // Scale with area averaging (a camera integrates light over a pixel), then put the code
      // on a grey background with some room around it, as a card held in front of a lane camera.
      const chain = [
        `scale=${size}:${size}:flags=area`,
        c.frame
          ? `pad=${c.frame[0]}:${c.frame[1]}:(ow-iw)/2:(oh-ih)/2:color=0xB0B0B0`
          : `pad=${size + 80}:${size + 60}:40:30:color=0xB0B0B0`,
        ...c.filters,
        'format=rgb24',
      ].join(',');
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-i',
        master,
        '-vf',
        chain,
        ...(c.ext === 'jpg' ? ['-q:v', '4'] : []),
        '-frames:v',
        '1',
        join(out, `${name}.${c.ext}`),
      ]);
      writeFileSync(join(out, `${name}.txt`), text);
      count++;
    }
    const qr = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
      errorCorrectionLevel: 'M',
    });
    const matrix = { size: modules, dark: (x: number, y: number) => qr.modules.get(y, x) === 1 };
    for (const [k, c] of photoConditions.entries()) {
      const seed = 1000 * i + k + 1;
      const params = c.params(seededRandom(seed), modules + 2 * MARGIN);
      const name = `p${i}-${c.name}`;
      execFileSync(
        'ffmpeg',
        [
          '-v',
          'error',
          '-y',
          '-f',
          'rawvideo',
          '-pix_fmt',
          'rgb24',
          '-s',
          `${W}x${H}`,
          '-i',
          '-',
          '-q:v',
          String(c.jpegQ),
          '-frames:v',
          '1',
          join(out, `${name}.jpg`),
        ],
        { input: renderPhoto(matrix, params, seed) },
      );
      writeFileSync(join(out, `${name}.txt`), text);
      count++;
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `${count} fixtures (${payloads.length} payloads × ${(photosOnly ? 0 : conditions.length) + photoConditions.length} conditions) in ${out}`,
);
