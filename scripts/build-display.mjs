// Bundles the lane display (kiosk/display) into kiosk/dist/display: two pages, their scripts,
// two stylesheets (display, keypads), the camera's decode worker and its zxing-wasm binary, all
// served by the lane agent itself (nothing from a CDN).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const root = new URL('../kiosk/', import.meta.url).pathname;
const out = `${root}dist/display`;
mkdirSync(`${out}/assets`, { recursive: true });
await build({
  entryPoints: {
    officer: `${root}display/src/officer.ts`,
    traveller: `${root}display/src/traveller.ts`,
    // The camera's decode worker (a module worker), and below the zxing-wasm binary it loads
    // from /assets/ (zxing-wasm's own loader would fetch it from a CDN).
    'camera-worker': `${root}display/src/camera/decode-worker.ts`,
  },
  outdir: `${out}/assets`,
  bundle: true,
  format: 'esm',
  target: 'chrome120',
  minify: true,
  sourcemap: true,
  alias: { '@checkpoint-lane/shared': new URL('../shared/src/index.ts', import.meta.url).pathname },
  logLevel: 'warning',
});
copyFileSync(`${root}display/static/index.html`, `${out}/index.html`);
copyFileSync(`${root}display/static/traveller.html`, `${out}/traveller.html`);
copyFileSync(`${root}display/static/display.css`, `${out}/assets/display.css`);
copyFileSync(`${root}display/static/keypads.css`, `${out}/assets/keypads.css`);
copyFileSync(
  createRequire(`${root}package.json`).resolve('zxing-wasm/reader/zxing_reader.wasm'),
  `${out}/assets/zxing_reader.wasm`,
);
