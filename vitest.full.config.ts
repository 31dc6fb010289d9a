import { defineConfig } from 'vitest/config';
import fast from './vitest.config';

/**
 * `npm run test:full` (after `npm test`): the heavy suites, test/**\/*.full.test.ts: the pack and
 * install round trip, 2^31-element inputs, the long property runs, memory, kill and worker loops.
 */
export default defineConfig({
  test: {
    ...fast.test,
    include: ['test/**/*.full.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
