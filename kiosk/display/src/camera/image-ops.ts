// Pixel preparations for the camera's decode passes (pass-schedule.ts): each takes an RGBA
// frame and returns a new grey RGBA frame, in plain loops (no canvas), so that the display's
// decode worker and the Node decode bench prepare exactly the same pixels.

/** RGBA pixels, as `ImageData` holds them (canvas `getImageData`, or decoded from a file). */
export interface Pixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** How a pass prepares the frame before the decoder reads it. */
export type ImagePrep = 'as-is' | 'inverted' | 'half' | 'stretched' | 'sharpened';

/** Luminance as zxing-cpp computes it (ITU-R 601 weights, rounded), optionally through a table. */
function luminance(image: Pixels, table?: Uint8Array): Uint8Array {
  // One 32-bit read per pixel (RGBA bytes, little-endian as every browser and Node host here is).
  const bytes = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const rgba = new Uint32Array(bytes.buffer, bytes.byteOffset, image.width * image.height);
  const lum = new Uint8Array(rgba.length);
  for (let i = 0; i < rgba.length; i++) {
    const p = rgba[i] ?? 0;
    const v = (306 * (p & 255) + 601 * ((p >>> 8) & 255) + 117 * ((p >>> 16) & 255) + 512) >> 10;
    lum[i] = table ? (table[v] ?? 0) : v;
  }
  return lum;
}

function greyImage(lum: Uint8Array, width: number, height: number): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  const out = new Uint32Array(data.buffer);
  for (let i = 0; i < lum.length; i++) out[i] = (0xff000000 | ((lum[i] ?? 0) * 0x010101)) >>> 0;
  return { data, width, height };
}

/**
 * Light ↔ dark: a light-on-dark code (a phone screen in dark mode) becomes dark-on-light. Each
 * colour channel is inverted in place of luminance (one 32-bit operation per pixel): the
 * luminance the decoder then computes is 255 minus the original's, to within rounding.
 */
export function invert(image: Pixels): Pixels {
  const bytes = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const rgba = new Uint32Array(bytes.buffer, bytes.byteOffset, image.width * image.height);
  const data = new Uint8ClampedArray(rgba.length * 4);
  const out = new Uint32Array(data.buffer);
  for (let i = 0; i < rgba.length; i++) out[i] = (~(rgba[i] ?? 0) | 0xff000000) >>> 0;
  return { data, width: image.width, height: image.height };
}

/** Half the width and height, each pixel the mean of 2×2 (blur, noise and screen moiré average out). */
export function half(image: Pixels): Pixels {
  const lum = luminance(image);
  const w = image.width >> 1;
  const h = image.height >> 1;
  if (w === 0 || h === 0) return greyImage(lum, image.width, image.height);
  const out = new Uint8Array(w * h);
  const W = image.width;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = 2 * y * W + 2 * x;
      out[y * w + x] =
        ((lum[p] ?? 0) + (lum[p + 1] ?? 0) + (lum[p + W] ?? 0) + (lum[p + W + 1] ?? 0) + 2) >> 2;
    }
  return greyImage(out, w, h);
}

/**
 * Contrast stretched about the middle of its 1st–99th percentile range, to the full range but
 * at most ×4: a faded or dim code whose dark and light differ by fewer levels than zxing-cpp's
 * local binarizer accepts (24) gets its contrast back, and the sensor noise of an empty scene
 * does not become full-range speckle (slow to search, nothing to find).
 */
export function stretch(image: Pixels): Pixels {
  const lum = luminance(image);
  const histogram = new Uint32Array(256);
  for (let i = 0; i < lum.length; i++) histogram[lum[i] ?? 0] = (histogram[lum[i] ?? 0] ?? 0) + 1;
  const cut = Math.floor(lum.length * 0.01);
  let lo = 0;
  for (let seen = 0; lo < 255 && (seen += histogram[lo] ?? 0) <= cut;) lo++;
  let hi = 255;
  for (let seen = 0; hi > 0 && (seen += histogram[hi] ?? 0) <= cut;) hi--;
  if (hi - lo < 2) return greyImage(lum, image.width, image.height); // a flat frame: nothing to stretch
  const scale = Math.min(4, 255 / (hi - lo));
  const from = (lo + hi) / 2 - 127.5 / scale;
  const table = new Uint8Array(256).map((_, v) => Math.max(0, Math.min(255, Math.round((v - from) * scale))));
  for (let i = 0; i < lum.length; i++) lum[i] = table[lum[i] ?? 0] ?? 0;
  return greyImage(lum, image.width, image.height);
}

/**
 * Unsharp mask: luminance + 1.5 × (luminance − its 3×3 box mean), which steepens the edges
 * between modules that a slightly out-of-focus or moving camera softened.
 */
export function sharpen(image: Pixels): Pixels {
  const lum = luminance(image);
  const { width: w, height: h } = image;
  const out = new Uint8ClampedArray(lum); // the border keeps its pixels
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      let sum = 0;
      for (let dy = -w; dy <= w; dy += w)
        sum += (lum[i + dy - 1] ?? 0) + (lum[i + dy] ?? 0) + (lum[i + dy + 1] ?? 0);
      const v = lum[i] ?? 0;
      out[i] = v + (3 * (9 * v - sum)) / 18; // v + 1.5 (v − mean)
    }
  return greyImage(new Uint8Array(out.buffer), w, h);
}

/** The frame as a pass wants it (`as-is` returns the same object, no copy). */
export function prepare(image: Pixels, prep: ImagePrep): Pixels {
  switch (prep) {
    case 'as-is':
      return image;
    case 'inverted':
      return invert(image);
    case 'half':
      return half(image);
    case 'stretched':
      return stretch(image);
    case 'sharpened':
      return sharpen(image);
  }
}
