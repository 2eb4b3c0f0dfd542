// The QR mask choice of the `qrcode` package, computed faster with the same result: the standard's
// choice (each of the 8 masks applied, penalties N1..N4 summed, the lowest kept, the first on a
// tie), as the package's `getBestMask` does it, over the matrix's flat array with each size's 8
// mask patterns computed once (the package evaluates the pattern formula per module per mask and
// reads every module through a method call). The profile of the declaration route showed the
// mask choice as its largest cost. `qr-mask.test.ts` checks the choice equals the package's.
import { createRequire } from 'node:module';

/** The `qrcode` package's BitMatrix, as far as the mask choice reads it. */
interface BitMatrix {
  readonly size: number;
  readonly data: Uint8Array;
  readonly reservedBit: Uint8Array;
}

type BestMask = (data: BitMatrix, setupFormat: (mask: number) => void) => number;

interface MaskPatternModule {
  getBestMask: BestMask;
}

const maskPattern = createRequire(import.meta.url)('qrcode/lib/core/mask-pattern.js') as MaskPatternModule;

/** The package's own choice (kept for the test). */
export const packageBestMask: BestMask = maskPattern.getBestMask;

/** The package's pattern formulas (i: row, j: column). */
const PATTERNS: readonly ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

/** Per matrix size: the reserved modules the masks were made for, and the 8 masks (1: flip). */
const masksBySize = new Map<number, { reserved: Uint8Array; masks: Uint8Array[] }>();

function masksOf(m: BitMatrix): Uint8Array[] {
  const known = masksBySize.get(m.size);
  // Reserved modules depend on the version alone; compared anyway (2,025 bytes at version 7).
  if (known !== undefined && Buffer.compare(known.reserved, m.reservedBit) === 0) return known.masks;
  const n = m.size;
  const masks = PATTERNS.map((f) => {
    const mask = new Uint8Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (m.reservedBit[i * n + j] === 0 && f(i, j)) mask[i * n + j] = 1;
    return mask;
  });
  masksBySize.set(n, { reserved: Uint8Array.from(m.reservedBit), masks });
  return masks;
}

/** The package's N1..N4 penalty of a masked matrix `d` of `n` × `n` modules. */
export function penalty(d: Uint8Array, n: number): number {
  let n1 = 0;
  let n3 = 0;
  for (let a = 0; a < n; a++) {
    // N1: runs of 5 or more in row a and column a. N3: 1:1:3:1:1 with 4 light on a side.
    let runRow = 0;
    let runCol = 0;
    let lastRow = -1;
    let lastCol = -1;
    let bitsRow = 0;
    let bitsCol = 0;
    for (let b = 0; b < n; b++) {
      const r = d[a * n + b] as number;
      const c = d[b * n + a] as number;
      if (r === lastRow) runRow++;
      else {
        if (runRow >= 5) n1 += 3 + (runRow - 5);
        lastRow = r;
        runRow = 1;
      }
      if (c === lastCol) runCol++;
      else {
        if (runCol >= 5) n1 += 3 + (runCol - 5);
        lastCol = c;
        runCol = 1;
      }
      bitsRow = ((bitsRow << 1) & 0x7ff) | r;
      bitsCol = ((bitsCol << 1) & 0x7ff) | c;
      if (b >= 10) {
        if (bitsRow === 0x5d0 || bitsRow === 0x05d) n3++;
        if (bitsCol === 0x5d0 || bitsCol === 0x05d) n3++;
      }
    }
    if (runRow >= 5) n1 += 3 + (runRow - 5);
    if (runCol >= 5) n1 += 3 + (runCol - 5);
  }
  // N2: 2 × 2 blocks of one colour.
  let n2 = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = 0; j < n - 1; j++) {
      const s =
        (d[i * n + j] as number) +
        (d[i * n + j + 1] as number) +
        (d[(i + 1) * n + j] as number) +
        (d[(i + 1) * n + j + 1] as number);
      if (s === 4 || s === 0) n2++;
    }
  }
  // N4: dark share away from 50 %.
  let dark = 0;
  for (let i = 0; i < d.length; i++) dark += d[i] as number;
  const k = Math.abs(Math.ceil((dark * 100) / d.length / 5) - 10);
  return n1 + n2 * 3 + n3 * 40 + k * 10;
}

/** The package's mask choice, faster: same masks, same penalties, same order and tie rule. */
export const fastBestMask: BestMask = (m, setupFormat) => {
  const masks = masksOf(m);
  const d = m.data;
  let best = 0;
  let lowest = Infinity;
  for (let p = 0; p < masks.length; p++) {
    setupFormat(p);
    const mask = masks[p] ?? new Uint8Array(0);
    for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) ^ (mask[i] as number);
    const score = penalty(d, m.size);
    for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) ^ (mask[i] as number);
    if (score < lowest) {
      lowest = score;
      best = p;
    }
  }
  return best;
};

/** Makes the `qrcode` package choose masks with {@link fastBestMask} (once per process). */
export function useFastMaskChoice(): void {
  maskPattern.getBestMask = fastBestMask;
}
