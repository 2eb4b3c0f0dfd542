// Bundles the admin console (sync-server/console) into sync-server/dist/console: one page, one
// script (Preact, the QR encoder, the app), one stylesheet — served by the sync server at
// /admin/ under a strict CSP (nothing inline, nothing from another origin).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../sync-server/', import.meta.url).pathname;
const out = `${root}dist/console`;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { console: `${root}console/src/main.tsx` },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  // The browser build of a dependency, never its Node one (qrcode maps lib/index.js to lib/browser.js).
  mainFields: ['browser', 'module', 'main'],
  nodePaths: [new URL('../node_modules/', import.meta.url).pathname],
  logLevel: 'warning',
});
copyFileSync(`${root}console/static/index.html`, `${out}/index.html`);
copyFileSync(`${root}console/static/console.css`, `${out}/console.css`);
