import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** One runner for unit tests (beside the code) and integration tests (under tests/). */
export default defineConfig({
  resolve: {
    alias: {
      // Before the package itself: the first alias that matches wins.
      '@checkpoint-lane/shared/pass-verify': here('./shared/src/passes/pass-verify.ts'),
      '@checkpoint-lane/shared': here('./shared/src/index.ts'),
      '@checkpoint-lane/sync-server': here('./sync-server/src/index.ts'),
      '@checkpoint-lane/kiosk': here('./kiosk/src/index.ts'),
    },
  },
  test: {
    reporters: ['default', './tests/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{shared,sync-server,kiosk}/src/**/*.test.ts',
            'kiosk/display/src/**/*.test.ts',
            'sync-server/console/src/**/*.test.ts',
            'kiosk/electron/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
