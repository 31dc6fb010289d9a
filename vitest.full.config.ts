import { defineConfig } from 'vitest/config';
import fast from './vitest.config';

// The fast config's projects (default and wasm) carry the fast includes: not for the heavy suites.
const { projects: _fastProjects, ...fastTest } = fast.test ?? {};

/**
 * `npm run test:full` (after `npm test`): the heavy suites, test/**\/*.full.test.ts: the pack and
 * install round trip, 2^31-element inputs, the long property runs, memory, kill and worker loops.
 */
export default defineConfig({
  test: {
    ...fastTest,
    include: ['test/**/*.full.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
