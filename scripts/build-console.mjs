// Bundles the admin console (sync-server/console) into sync-server/dist/console: one page, one
// script (Preact, the QR encoder, the app), one stylesheet — served by the sync server at
// /admin/ under a strict CSP (nothing inline, nothing from another origin).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../sync-server/', import.meta.url).pathname;
const shared = new URL('../shared/src/', import.meta.url).pathname;

// The console reads only the shared package's reason and warning texts. Its modules are plain
// domain code, so the ones nothing uses are left out (the schemas and their typebox runtime
// would otherwise nearly double the script).
const sharedWithoutSideEffects = {
  name: 'shared-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolved' || !args.importer.startsWith(shared)) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      if (r.errors.length > 0) return { errors: r.errors };
      return r.path.startsWith(shared) ? { path: r.path, namespace: r.namespace, sideEffects: false } : r;
    });
  },
};
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
  // The lane's own reason and warning texts, straight from the shared sources (as the lane display does).
  alias: { '@checkpoint-lane/shared': `${shared}index.ts` },
  plugins: [sharedWithoutSideEffects],
  logLevel: 'warning',
});
copyFileSync(`${root}console/static/index.html`, `${out}/index.html`);
copyFileSync(`${root}console/static/console.css`, `${out}/console.css`);
