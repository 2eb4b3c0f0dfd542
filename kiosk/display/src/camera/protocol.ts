// Messages between the camera (main thread) and the decode worker.

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'init'; readonly wasmUrl: string }
  /** One region-of-interest crop of one video frame; the bitmap is transferred, and closed by the worker. */
  | { readonly type: 'frame'; readonly id: number; readonly bitmap: ImageBitmap };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready'; readonly decoder: string; readonly fallbackReason?: string }
  /** One frame's decode: the text the pass schedule accepted (null: none yet), and the pass that ran. */
  | {
      readonly type: 'result';
      readonly id: number;
      readonly text: string | null;
      readonly pass: string;
      readonly ms: number;
    };
