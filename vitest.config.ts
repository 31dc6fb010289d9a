import { defineConfig } from 'vitest/config';

/** The suites that also run on the WebAssembly backend (project 'wasm', SMELU_BACKEND=wasm). */
const ON_WASM = [
  'test/activation/activation.test.ts',
  'test/activation/native.test.ts',
  'test/dense/dense.test.ts',
  'test/dense/native.test.ts',
  'test/dense/async.test.ts',
  'test/optim/optim.test.ts',
  'test/backend/js.test.ts',
  'test/runtime/runtime.test.ts',
];

/**
 * `npm test`: the fast suite (every test/**\/*.test.ts but the heavy *.full.test.ts, which
 * vitest.full.config.ts runs), plus the kernel suites again on the wasm backend. No test asserts
 * wall-clock time.
 */
export default defineConfig({
  test: {
    exclude: ['test/**/*.full.test.ts', '**/node_modules/**'],
    // The library's workers and the CLI run the compiled dist/: rebuilt once here when stale.
    globalSetup: ['test/helpers/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native kernels use their own thread pool; one test file per worker keeps the 2-core CI calm.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'wasm', include: ON_WASM, env: { SMELU_BACKEND: 'wasm' } } },
    ],
  },
});
