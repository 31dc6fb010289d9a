import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native kernels use their own thread pool; one test file per worker keeps the 2-core CI calm.
    pool: 'forks',
    maxWorkers: 2,
  },
});
