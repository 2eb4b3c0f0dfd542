// A pass's QR code: SVG from the `qrcode` package at error correction M (what the declaration
// answers and the page shows), and its size.
import QRCode from 'qrcode';
import { useFastMaskChoice } from './qr-mask.js';

// The package's mask choice, same result, faster (see qr-mask.ts).
useFastMaskChoice();

/** The QR's error correction level: M (15 % of the code may be lost). */
export const PASS_QR_LEVEL = 'M';

/**
 * A pass text as one alphanumeric segment (`CLP1:` + base45 is all in QR's alphanumeric set):
 * the package then skips its search for the best mix of segment modes (about a third of its time).
 */
const segments = (text: string): QRCode.QRCodeSegment[] => [{ data: text, mode: 'alphanumeric' }];

/** The SVG of a pass text's QR code (4-module quiet zone, black on white). */
export function passQrSvg(text: string): Promise<string> {
  return QRCode.toString(segments(text), { type: 'svg', errorCorrectionLevel: PASS_QR_LEVEL, margin: 4 });
}

/** The QR version (1..40) and width in modules a pass text takes at level M. */
export function passQrSize(text: string): { version: number; modules: number } {
  const qr = QRCode.create(segments(text), { errorCorrectionLevel: PASS_QR_LEVEL });
  return { version: qr.version, modules: qr.modules.size };
}
