import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { afterEach, describe, expect, it } from 'vitest';
import { fastBestMask, packageBestMask } from './qr-mask.js';
import { passQrSvg } from './pass-qr.js';

type BestMask = typeof fastBestMask;
const maskPattern = createRequire(import.meta.url)('qrcode/lib/core/mask-pattern.js') as {
  getBestMask: BestMask;
};
const installed = maskPattern.getBestMask;
afterEach(() => {
  maskPattern.getBestMask = installed;
});

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const passLike = (n: number): string =>
  'CLP1:' + [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length] ?? '0').join('');

describe('the fast QR mask choice', () => {
  it('is installed for pass QR codes', async () => {
    await passQrSvg(passLike(150));
    expect(maskPattern.getBestMask).toBe(fastBestMask);
  });

  it('chooses the mask the qrcode package chooses, on the same matrices (versions 1..12, levels L, M, Q, H)', () => {
    let compared = 0;
    let leftChanged = 0;
    const differ: string[] = [];
    // Both run on every matrix the package builds, the package's first; both leave it unmasked,
    // with the last mask's format bits.
    maskPattern.getBestMask = (m, setupFormat) => {
      const theirs = packageBestMask(m, setupFormat);
      const after = Uint8Array.from(m.data);
      const ours = fastBestMask(m, setupFormat);
      if (Buffer.compare(m.data, after) !== 0) leftChanged++;
      if (ours !== theirs) differ.push(`${String(theirs)} ≠ ${String(ours)}`);
      compared++;
      return theirs;
    };
    for (let i = 0; i < 3000; i++) {
      const level = (['L', 'M', 'Q', 'H'] as const)[i % 4] ?? 'M';
      const text = passLike(1 + (i % 300));
      QRCode.create([{ data: text, mode: 'alphanumeric' }], { errorCorrectionLevel: level });
    }
    expect(compared).toBe(3000);
    expect(differ).toEqual([]);
    expect(leftChanged).toBe(0);
  }, 60_000);

  it('gives the same SVG as the package for pass texts', async () => {
    for (let i = 0; i < 300; i++) {
      const text = passLike(120 + (i % 60));
      maskPattern.getBestMask = packageBestMask;
      const theirs = await QRCode.toString([{ data: text, mode: 'alphanumeric' }], {
        type: 'svg',
        errorCorrectionLevel: 'M',
        margin: 4,
      });
      maskPattern.getBestMask = installed;
      expect(await passQrSvg(text)).toBe(theirs);
    }
  });
});
