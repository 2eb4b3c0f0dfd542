// Bundles the lane display (kiosk/display) into kiosk/dist/display: two pages, their scripts
// and one stylesheet, all served by the lane agent itself (nothing from a CDN).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../kiosk/', import.meta.url).pathname;
const out = `${root}dist/display`;
mkdirSync(`${out}/assets`, { recursive: true });
await build({
  entryPoints: { officer: `${root}display/src/officer.ts`, traveller: `${root}display/src/traveller.ts` },
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
