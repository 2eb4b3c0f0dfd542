// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import boundaries from './scripts/eslint-boundaries.mjs';

// Sources belong to their package's tsconfig; tests, benchmarks and configs to tsconfig.tests.json.
const PROJECTS = [
  './tsconfig.tests.json',
  './*/tsconfig.json',
  './kiosk/display/tsconfig.json',
  './sync-server/console/tsconfig.json',
  './kiosk/electron/tsconfig.json',
];

/**
 * Units: each directory is compiled as one program (its own tsconfig or bundle). Everything else
 * (tests/, bench/, scripts/, configs) is the root unit. A relative import never leaves its unit.
 */
const UNITS = {
  shared: 'shared',
  'sync-server': 'sync-server',
  console: 'sync-server/console',
  kiosk: 'kiosk',
  display: 'kiosk/display',
  electron: 'kiosk/electron',
};

/** Test code: never built into dist/ or a bundle. */
const TEST_CODE = ['**/*.test.ts', '**/*.testkit.ts', '**/testing/**'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: PROJECTS, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Boundaries: no relative path into another unit (its files are not its contract), no import
    // cycle (a cycle is one module in two files: it cannot be understood, tested or moved alone).
    plugins: { boundaries, 'import-x': importX },
    settings: {
      // Read .ts files when following imports (the plugin's own default is .js only).
      'import-x/extensions': ['.ts', '.tsx', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: PROJECTS,
          alwaysTryTypes: true,
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      'boundaries/no-cross-package-relative': ['error', { root: import.meta.dirname, units: UNITS }],
    },
  },
  {
    // A test file is imported by nothing, so it closes no cycle: only code others import is checked.
    // Imports by package name (node_modules, another workspace) are not followed: no cycle can
    // cross packages, as shared imports none and the server never imports the lane.
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs', '**/*.js'],
    ignores: ['**/*.test.ts'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // What ships (dist/, the display and console bundles, the Electron shell) imports no test code.
    files: [
      '{shared,sync-server,kiosk}/src/**',
      'kiosk/display/src/**',
      'sync-server/console/src/**',
      'kiosk/electron/**',
    ],
    ignores: TEST_CODE,
    rules: { 'boundaries/no-test-code-in-build': 'error' },
  },
  {
    // The lane display is a browser page: the shared domain, its own files and its decoders only.
    files: ['kiosk/display/src/**'],
    ignores: TEST_CODE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.\\.?/|@checkpoint-lane/shared$|@zxing/library$|zxing-wasm/reader$)',
              message:
                "The lane display imports only '@checkpoint-lane/shared', its own files and its decoders.",
            },
          ],
        },
      ],
    },
  },
  {
    // The display's tests may add the test runner, property testing, a QR encoder and Node.
    files: ['kiosk/display/src/**/*.test.ts', 'kiosk/display/src/**/*.testkit.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?!\\.\\.?/|@checkpoint-lane/shared$|@zxing/library$|zxing-wasm/reader$|vitest$|fast-check$|qrcode$|node:)',
              message: "The lane display's tests import only shared, the display's files and test tools.",
            },
          ],
        },
      ],
    },
  },
  {
    // The server and its console never depend on the lane: the wire between them is the contract.
    files: ['sync-server/src/**', 'sync-server/console/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@checkpoint-lane/kiosk', '@checkpoint-lane/kiosk/*'],
              message:
                'The server never imports the lane: share the contract through @checkpoint-lane/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain runs in the browser display and the agent alike: no Node, Electron or network APIs.
    files: ['shared/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'fs', 'path', 'crypto', 'electron', 'axios', 'better-sqlite3', 'fastify'] },
      ],
    },
  },
  {
    files: [...TEST_CODE, 'tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*', '**/cli/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        fetch: 'readonly',
      },
    },
  },
);
