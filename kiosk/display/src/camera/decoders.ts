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

/** RGBA pixels, as `ImageData` holds them (canvas `getImageData`, or decoded from a file). */
export interface Pixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** A QR decoder: the text of the first QR code found, or null. */
export interface QrDecoder {
  readonly name: DecoderName;
  decode(image: Pixels): Promise<string | null>;
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
    async decode(image) {
      const [first] = await readBarcodes(image as ImageData, WASM_OPTIONS);
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
    decode(image) {
      const { data, width, height } = image;
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
