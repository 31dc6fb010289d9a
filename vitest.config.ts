import { defineConfig } from 'vitest/config';

/** The suites that also run on the WebAssembly backend (project 'wasm', SMELU_BACKEND=wasm). */
const ON_WASM = [
  'test/activations.test.ts',
  'test/activations_native.test.ts',
  'test/dense.test.ts',
  'test/dense_native.test.ts',
  'test/optim_native.test.ts',
  'test/js_backend.test.ts',
  'test/backend.test.ts',
];

export default defineConfig({
  test: {
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
