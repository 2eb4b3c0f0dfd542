// Photo-like QR pictures by plain pixel maths, for bench/make-qr-fixtures.ts: a QR module
// matrix printed on a card (or shown on a phone screen) is seen through a perspective camera,
// lit unevenly, with glare, blur, sensor noise and low contrast — every random choice from a
// seeded generator, so the same seed gives the same picture byte for byte.

/** A seeded random generator (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A square QR module matrix: `dark(x, y)` for 0 ≤ x, y < size. */
export interface ModuleMatrix {
  readonly size: number;
  dark(x: number, y: number): boolean;
}

/** How a picture is taken; every field has a neutral default. */
export interface PhotoParams {
  readonly width: number;
  readonly height: number;
  /** Side of the code's quiet-zone square in camera px before perspective (sets px per module). */
  readonly codePx: number;
  /** Perspective: the far edge shrinks by this fraction (0 = square on). */
  readonly tilt?: number;
  /** In-plane rotation, degrees. */
  readonly rotateDeg?: number;
  /** Ink and paper reflectance, 0..1 (light-on-dark when ink > paper). */
  readonly ink?: number;
  readonly paper?: number;
  /** Background around the card. */
  readonly background?: number;
  /** Illumination falls from 1 to 1 − gradient across the frame. */
  readonly gradient?: number;
  /** A hard shadow over part of the code, multiplying light by this factor (1 = none). */
  readonly shadow?: number;
  /** A specular glare spot: strength (0 = none) and radius as a fraction of the code side. */
  readonly glare?: number;
  readonly glareRadius?: number;
  /** The code shown on a screen: screen px per module (sub-pixel stripes, moiré when photographed). */
  readonly screenPxPerModule?: number;
  /** Gaussian blur sigma in camera px, and horizontal motion blur length in px. */
  readonly blur?: number;
  readonly motion?: number;
  /** Sensor noise standard deviation, in 8-bit levels. */
  readonly noise?: number;
}

const QUIET = 4;
const CARD = 3; // card margin beyond the quiet zone, in modules

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** The projective map taking the unit square's corners (0,0) (1,0) (1,1) (0,1) to `q`. */
function squareToQuad(q: readonly (readonly [number, number])[]): Mat3 {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q as [
    [number, number],
    [number, number],
    [number, number],
    [number, number],
  ];
  const sx = x0 - x1 + x2 - x3;
  const sy = y0 - y1 + y2 - y3;
  const dx1 = x1 - x2;
  const dx2 = x3 - x2;
  const dy1 = y1 - y2;
  const dy2 = y3 - y2;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (sx * dy2 - dx2 * sy) / den;
  const h = (dx1 * sy - sx * dy1) / den;
  return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1];
}

function invert3(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  return k.map((v) => v / sum);
}

/** Separable convolution of one float plane, edges clamped. */
function convolve(plane: Float32Array, w: number, h: number, kx: Float32Array, ky: Float32Array): void {
  const tmp = new Float32Array(plane.length);
  const rx = kx.length >> 1;
  const ry = ky.length >> 1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -rx; k <= rx; k++)
        s += (kx[k + rx] ?? 0) * (plane[y * w + Math.min(w - 1, Math.max(0, x + k))] ?? 0);
      tmp[y * w + x] = s;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -ry; k <= ry; k++)
        s += (ky[k + ry] ?? 0) * (tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x] ?? 0);
      plane[y * w + x] = s;
    }
}

/** Renders one photo: RGB, 8 bits per channel, `width × height × 3` bytes. */
export function renderPhoto(matrix: ModuleMatrix, p: PhotoParams, seed: number): Buffer {
  const rnd = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const { width: W, height: H } = p;
  const n = matrix.size;
  const span = n + 2 * QUIET; // modules across the quiet-zone square
  const side = p.codePx;
  // The quiet-zone square's corners in the camera, centred, rotated, far (top) edge shrunk.
  const tilt = p.tilt ?? 0;
  const rot = ((p.rotateDeg ?? 0) * Math.PI) / 180;
  const cx = W / 2 + (rnd() - 0.5) * W * 0.05;
  const cy = H / 2 + (rnd() - 0.5) * H * 0.05;
  const half = side / 2;
  const corners = (
    [
      [-half * (1 - tilt), -half * (1 - tilt / 2)],
      [half * (1 - tilt), -half * (1 - tilt / 2)],
      [half, half],
      [-half, half],
    ] as const
  ).map(
    ([x, y]) =>
      [cx + x * Math.cos(rot) - y * Math.sin(rot), cy + x * Math.sin(rot) + y * Math.cos(rot)] as const,
  );
  const toCode = invert3(squareToQuad(corners));
  const ink = p.ink ?? 0.08;
  const paper = p.paper ?? 0.85;
  const background = p.background ?? 0.45;
  const screen = p.screenPxPerModule;
  const glareX = 0.3 + rnd() * 0.4;
  const glareY = 0.3 + rnd() * 0.4;
  const glareR = (p.glareRadius ?? 0.15) * span;
  const shadowAngle = rnd() * Math.PI;
  const tint = [1 + (rnd() - 0.5) * 0.08, 1, 1 + (rnd() - 0.5) * 0.08];

  /** Reflectance (per channel) at code-plane point (u, v) in modules from the quiet zone's corner. */
  const reflect = (u: number, v: number, c: number): number => {
    const mx = Math.floor(u) - QUIET;
    const my = Math.floor(v) - QUIET;
    if (u < -CARD || v < -CARD || u >= span + CARD || v >= span + CARD) return background;
    const dark = mx >= 0 && my >= 0 && mx < n && my < n && matrix.dark(mx, my);
    let r = dark ? ink : paper;
    if (screen !== undefined) {
      // A screen: each screen pixel is three vertical R, G, B stripes with dark gaps between.
      const sx = u * screen;
      const sy = v * screen;
      const fx = sx - Math.floor(sx);
      const fy = sy - Math.floor(sy);
      const stripe = Math.floor(fx * 3);
      const lit = fy < 0.85 && fx * 3 - stripe < 0.8 ? 1 : 0.15;
      r *= stripe === c ? lit * 1.6 : 0.3 * lit;
    }
    return r;
  };

  const SS = screen !== undefined ? 2 : 3; // supersampling per camera px (a sensor integrates light)
  const planes = [new Float32Array(W * H), new Float32Array(W * H), new Float32Array(W * H)] as const;
  const [a, b, c, d, e, f, g, h, i] = toCode;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++) {
          const X = x + (sx + 0.5) / SS;
          const Y = y + (sy + 0.5) / SS;
          const w = g * X + h * Y + i;
          const u = ((a * X + b * Y + c) / w) * span;
          const v = ((d * X + e * Y + f) / w) * span;
          for (let ch = 0; ch < 3; ch++) acc[ch] = (acc[ch] ?? 0) + reflect(u, v, ch);
        }
      // Light: a gradient across the frame, a hard shadow edge, a glare spot on the card.
      const w = g * (x + 0.5) + h * (y + 0.5) + i;
      const u = ((a * (x + 0.5) + b * (y + 0.5) + c) / w) * span;
      const v = ((d * (x + 0.5) + e * (y + 0.5) + f) / w) * span;
      let light = 1 - (p.gradient ?? 0) * (x / W);
      if (
        p.shadow !== undefined &&
        (u - span / 2) * Math.cos(shadowAngle) + (v - span / 2) * Math.sin(shadowAngle) > 0
      )
        light *= p.shadow;
      const gl = p.glare
        ? p.glare * Math.exp(-((u - glareX * span) ** 2 + (v - glareY * span) ** 2) / (2 * glareR * glareR))
        : 0;
      for (let ch = 0; ch < 3; ch++)
        (planes[ch] as Float32Array)[y * W + x] = ((acc[ch] ?? 0) / (SS * SS)) * light * (tint[ch] ?? 1) + gl;
    }
  if ((p.blur ?? 0) > 0 || (p.motion ?? 0) > 0) {
    const ky = p.blur ? gaussianKernel(p.blur) : new Float32Array([1]);
    let kx = ky;
    if (p.motion) {
      const len = Math.max(1, Math.round(p.motion)) | 1;
      const box = new Float32Array(len).fill(1 / len);
      // Motion along x, then the same Gaussian: the box convolved with the kernel.
      const out = new Float32Array(box.length + ky.length - 1);
      for (let m = 0; m < box.length; m++)
        for (let k = 0; k < ky.length; k++) out[m + k] = (out[m + k] ?? 0) + (box[m] ?? 0) * (ky[k] ?? 0);
      kx = out;
    }
    for (const plane of planes) convolve(plane, W, H, kx, ky);
  }
  const rgb = Buffer.alloc(W * H * 3);
  const noise = p.noise ?? 2;
  for (let k = 0; k < W * H; k++)
    for (let ch = 0; ch < 3; ch++) {
      // Gamma 1/2.2 (a camera's tone curve), then noise, then 8 bits.
      const lin = Math.max(0, (planes[ch] as Float32Array)[k] ?? 0);
      const v = 255 * Math.min(1, lin) ** (1 / 2.2) + noise * gauss();
      rgb[k * 3 + ch] = Math.max(0, Math.min(255, Math.round(v)));
    }
  return rgb;
}
