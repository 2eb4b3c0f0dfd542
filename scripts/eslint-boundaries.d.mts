// Types for eslint-boundaries.mjs (an ESLint plugin, plain JavaScript so eslint.config.js can load it).
import type { ESLint } from 'eslint';

/** The plugin: `boundaries/no-cross-package-relative`, `boundaries/no-test-code-in-build`. */
declare const plugin: ESLint.Plugin;
export default plugin;
