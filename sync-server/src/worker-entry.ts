// Where a worker thread's module is: beside the module that starts it, built (`name.js`), or, when
// that module runs from its TypeScript source (the tests, under vitest), a bootstrap that registers
// tsx's loader in the worker and then imports `name.ts` (a worker does not take `--import` from
// execArgv, and plain Node cannot load TypeScript).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The URL to start the worker module `name` (no extension) found beside `moduleUrl`. */
export function workerEntry(moduleUrl: string, name: string): URL {
  if (!moduleUrl.endsWith('.ts')) return new URL(`./${name}.js`, moduleUrl);
  const tsx = pathToFileURL(createRequire(moduleUrl).resolve('tsx/esm/api')).href;
  const source = new URL(`./${name}.ts`, moduleUrl).href;
  const boot = `import { register } from ${JSON.stringify(tsx.replace(/\.cjs$/, '.mjs'))};
register();
await import(${JSON.stringify(source)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
