// The decode worker: QR decoding off the UI thread. zxing-wasm first (better by measurement,
// docs/benchmarks.md "Camera decoding"), its `.wasm` from the lane's own origin; @zxing/library
// when WebAssembly cannot be loaded. One frame at a time: the camera never sends the next frame
// before this one's result. Each frame is read by ONE pass of the multi-pass schedule
// (pass-schedule.ts), the next frame by the next pass; only texts the schedule accepts go back.
import { createJsDecoder, createWasmDecoder, type QrDecoder } from './decoders.js';
import { FALLBACK_SCHEDULE, LANE_SCHEDULE, PassSchedule, SceneWatch } from './pass-schedule.js';
import type { FromWorker, ToWorker } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}
const scope = self as unknown as WorkerScope;

let decoder: Promise<QrDecoder> | null = null;
let schedule: PassSchedule | null = null;
const scene = new SceneWatch();
let canvas: OffscreenCanvas | null = null;
let context: OffscreenCanvasRenderingContext2D | null = null;

async function start(wasmUrl: string): Promise<QrDecoder> {
  try {
    const wasm = await createWasmDecoder({ url: wasmUrl });
    schedule = new PassSchedule(LANE_SCHEDULE);
    scope.postMessage({ type: 'ready', decoder: wasm.name });
    return wasm;
  } catch (error) {
    const js = createJsDecoder();
    schedule = new PassSchedule(FALLBACK_SCHEDULE);
    scope.postMessage({ type: 'ready', decoder: js.name, fallbackReason: String(error) });
    return js;
  }
}

function pixelsOf(bitmap: ImageBitmap): ImageData {
  if (canvas?.width !== bitmap.width || canvas.height !== bitmap.height) {
    canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    context = canvas.getContext('2d', { willReadFrequently: true });
  }
  if (!context) throw new Error('no 2d context in the worker');
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height);
}

scope.onmessage = (event) => {
  const m = event.data;
  if (m.type === 'init') {
    decoder ??= start(m.wasmUrl);
    return;
  }
  const { id, bitmap } = m;
  void (async () => {
    const t0 = performance.now();
    let read: string | null = null;
    let pass = '';
    try {
      const d = await (decoder ?? Promise.reject(new Error('frame before init')));
      const s = schedule;
      if (s === null) throw new Error('no schedule'); // unreachable: set before the decoder resolves
      const pixels = pixelsOf(bitmap);
      const p = s.next(scene.changed(pixels));
      pass = p.name;
      try {
        read = await d.decode(pixels, p);
      } catch {
        read = null; // a frame that cannot be read is a frame without a code
      }
      const accepted = s.observe(read);
      scope.postMessage({
        type: 'result',
        id,
        text: accepted?.text ?? null,
        pass,
        ms: performance.now() - t0,
      });
    } catch {
      scope.postMessage({ type: 'result', id, text: null, pass, ms: performance.now() - t0 });
    } finally {
      bitmap.close();
    }
  })();
};
