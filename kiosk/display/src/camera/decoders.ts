// The two QR decoders the lane can use, behind one interface, so that the decode benchmark
// (bench/decode.ts, in Node) and the display's decode worker run exactly the same code on the
// same pixels: zxing-wasm (zxing-cpp compiled to WebAssembly) and @zxing/library (pure JS).
import {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  HybridBinarizer,
  QRCodeReader,
  RGBLuminanceSource,
} from '@zxing/library';
import { prepareZXingModule, readBarcodes, type ReaderOptions } from 'zxing-wasm/reader';
import { prepare, type Pixels } from './image-ops.js';
import { PASSES, type DecodePass } from './pass-schedule.js';

export type { Pixels } from './image-ops.js';

/**
 * A QR decoder: the text of the first QR code found, or null. `pass` (default: the lane's
 * original pass) says how the frame is prepared and read; @zxing/library takes only its `prep`.
 */
export interface QrDecoder {
  readonly name: DecoderName;
  decode(image: Pixels, pass?: DecodePass): Promise<string | null>;
}

export type DecoderName = 'zxing-wasm' | 'zxing-js';

/** Where zxing-wasm gets its `.wasm`: a URL (the display serves it itself) or the bytes (Node). */
export type WasmSource = { readonly url: string } | { readonly binary: ArrayBuffer };

const WASM_OPTIONS: ReaderOptions = {
  formats: ['QRCode'],
  maxNumberOfSymbols: 1,
  tryHarder: true,
  tryRotate: true,
  tryInvert: false,
  tryDownscale: true,
};

/**
 * zxing-wasm, with its `.wasm` from `source` — never from its default CDN. Resolves once the
 * module is compiled, so that a missing `.wasm` shows at start-up, not at the first QR.
 */
export async function createWasmDecoder(source: WasmSource): Promise<QrDecoder> {
  await prepareZXingModule({
    overrides:
      'url' in source
        ? {
            locateFile: (path: string, prefix: string) =>
              path.endsWith('.wasm') ? source.url : prefix + path,
          }
        : { wasmBinary: source.binary },
    fireImmediately: true,
  });
  return {
    name: 'zxing-wasm',
    async decode(image, pass = PASSES.lane) {
      const pixels = prepare(image, pass.prep) as ImageData;
      const [first] = await readBarcodes(pixels, { ...WASM_OPTIONS, ...pass.options });
      return first?.isValid === true && first.text !== '' ? first.text : null;
    },
  };
}

/** @zxing/library (pure JavaScript): the fallback when WebAssembly is unavailable. */
export function createJsDecoder(): QrDecoder {
  const reader = new QRCodeReader();
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.QR_CODE]],
    [DecodeHintType.TRY_HARDER, true],
    [DecodeHintType.CHARACTER_SET, 'UTF-8'],
  ]);
  return {
    name: 'zxing-js',
    decode(image, pass = PASSES.lane) {
      const { data, width, height } = prepare(image, pass.prep);
      const gray = new Uint8ClampedArray(width * height);
      for (let i = 0, p = 0; i < gray.length; i++, p += 4) {
        gray[i] = (306 * (data[p] ?? 0) + 601 * (data[p + 1] ?? 0) + 117 * (data[p + 2] ?? 0) + 512) >> 10;
      }
      try {
        const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(gray, width, height)));
        return Promise.resolve(reader.decode(bitmap, hints).getText());
      } catch {
        return Promise.resolve(null); // NotFound, Checksum, Format: no QR read in this frame
      } finally {
        reader.reset();
      }
    },
  };
}
