// The lane camera on the officer screen: getUserMedia at the lane profile's resolution and
// frame rate, each presented video frame (requestVideoFrameCallback) cropped to the profile's
// region of interest and handed to the decode worker — one decode in flight, at most one per
// frame; a decoded code goes to `onCode` once (the same code again within REPEAT_MS is the
// same card still in front of the camera). A camera that is denied, missing or lost is
// reported through `onState` and retried with back-off.
import type { FromWorker, ToWorker } from './protocol.js';

/** The camera part of a lane hardware profile, as the officer `hello` carries it. */
export interface CameraSettings {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Region of interest, as fractions of the frame. */
  readonly roi: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly facingMode?: 'user' | 'environment';
}

export type CameraState = 'starting' | 'live' | 'denied' | 'lost';

export interface LaneCameraOptions {
  readonly settings: CameraSettings;
  readonly onCode: (text: string) => void;
  readonly onState: (state: CameraState, detail: string) => void;
  readonly workerUrl?: string;
  readonly wasmUrl?: string;
}

/** Decode counters, for the status strip and for measurements. */
export interface CameraStats {
  frames: number;
  decodes: number;
  codes: number;
  decodeMs: number[];
  decoder: string;
  attempts: number;
  /** Codes passed on, by the decode pass whose read the schedule accepted (pass-schedule.ts). */
  codesByPass: Record<string, number>;
}

export const REPEAT_MS = 3000;
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 30_000;

export class LaneCamera {
  readonly #o: LaneCameraOptions;
  readonly #worker: Worker;
  readonly video: HTMLVideoElement;
  readonly stats: CameraStats = {
    frames: 0,
    decodes: 0,
    codes: 0,
    decodeMs: [],
    decoder: '',
    attempts: 0,
    codesByPass: {},
  };
  #stream: MediaStream | null = null;
  #busy = false;
  #nextId = 0;
  #retry: number | undefined;
  #failures = 0;
  #last: { text: string; at: number } | null = null;
  #stopped = false;
  #frameCallback: number | null = null;

  constructor(options: LaneCameraOptions) {
    this.#o = options;
    this.video = Object.assign(document.createElement('video'), { muted: true, playsInline: true });
    this.video.id = 'camera-video';
    this.video.hidden = true;
    document.body.append(this.video);
    this.#worker = new Worker(options.workerUrl ?? '/assets/camera-worker.js', { type: 'module' });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      this.#onWorker(event.data);
    };
    this.#post({ type: 'init', wasmUrl: options.wasmUrl ?? '/assets/zxing_reader.wasm' });
  }

  /** Opens the camera (and keeps reopening it when it goes away). */
  start(): void {
    void this.#open();
  }

  stop(): void {
    this.#stopped = true;
    window.clearTimeout(this.#retry);
    this.#release();
    this.#worker.terminate();
  }

  #post(message: ToWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    this.stats.attempts++;
    this.#o.onState('starting', '');
    const s = this.#o.settings;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          width: { ideal: s.width },
          height: { ideal: s.height },
          frameRate: { ideal: s.fps },
          ...(s.facingMode ? { facingMode: s.facingMode } : {}),
        },
      });
      const [track] = stream.getVideoTracks();
      if (!track) throw new DOMException('no video track', 'NotFoundError');
      this.#stream = stream;
      track.addEventListener('ended', () => {
        this.#lost('lost', 'ended');
      });
      this.video.srcObject = stream;
      await this.video.play();
      this.#failures = 0;
      this.#o.onState('live', `${this.video.videoWidth}×${this.video.videoHeight}`);
      this.#frameCallback = this.video.requestVideoFrameCallback(this.#onFrame);
    } catch (error) {
      const name = error instanceof DOMException ? error.name : 'Error';
      this.#lost(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'lost', name);
    }
  }

  #release(): void {
    // A frame callback left pending would run again with the next stream: two loops.
    if (this.#frameCallback !== null) this.video.cancelVideoFrameCallback(this.#frameCallback);
    this.#frameCallback = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.video.srcObject = null;
  }

  #lost(state: 'denied' | 'lost', detail: string): void {
    this.#release();
    if (this.#stopped) return;
    this.#o.onState(state, detail);
    window.clearTimeout(this.#retry);
    const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** this.#failures++) * (0.75 + Math.random() / 4);
    this.#retry = window.setTimeout(() => void this.#open(), delay);
  }

  readonly #onFrame = (_now: DOMHighResTimeStamp, frame: VideoFrameCallbackMetadata): void => {
    if (this.#stream === null) return; // released: the next open registers again
    this.#frameCallback = this.video.requestVideoFrameCallback(this.#onFrame);
    this.stats.frames++;
    if (this.#busy) return; // one decode in flight; this frame is skipped
    this.#busy = true;
    const roi = this.#o.settings.roi;
    const sx = Math.round(roi.x * frame.width);
    const sy = Math.round(roi.y * frame.height);
    const sw = Math.max(1, Math.min(frame.width - sx, Math.round(roi.width * frame.width)));
    const sh = Math.max(1, Math.min(frame.height - sy, Math.round(roi.height * frame.height)));
    createImageBitmap(this.video, sx, sy, sw, sh).then(
      (bitmap) => {
        this.#post({ type: 'frame', id: this.#nextId++, bitmap }, [bitmap]);
      },
      () => {
        this.#busy = false; // the frame went away (camera closing): nothing to decode
      },
    );
  };

  #onWorker(m: FromWorker): void {
    if (m.type === 'ready') {
      this.stats.decoder = m.decoder;
      return;
    }
    this.#busy = false;
    this.stats.decodes++;
    if (this.stats.decodeMs.length < 10_000) this.stats.decodeMs.push(m.ms);
    if (m.text === null) return;
    const now = performance.now();
    if (this.#last?.text === m.text && now - this.#last.at < REPEAT_MS) {
      this.#last = { text: m.text, at: now }; // still in front of the camera: keep ignoring it
      return;
    }
    this.#last = { text: m.text, at: now };
    this.stats.codes++;
    this.stats.codesByPass[m.pass] = (this.stats.codesByPass[m.pass] ?? 0) + 1;
    this.#o.onCode(m.text);
  }
}
