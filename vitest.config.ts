import { defineConfig } from 'vitest/config';

/**
 * `npm test`: the fast suite (every test/**\/*.test.ts but the heavy *.full.test.ts, which
 * vitest.full.config.ts runs). No test asserts wall-clock time.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.full.test.ts', '**/node_modules/**'],
    // The library's workers and the CLI run the compiled dist/: rebuilt once here when stale.
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native kernels use their own thread pool; one test file per worker keeps the 2-core CI calm.
    pool: 'forks',
    maxWorkers: 2,
  },
});
