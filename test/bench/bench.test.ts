/** bench/run.js refuses bad arguments before measuring anything (the runs: bench.full.test.ts). */
import { expect, it } from 'vitest';
import { bench } from './run-bench';

it('refuses an unknown suite with a clear message', () => {
  const r = bench(['--suite', 'nope']);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--suite must be one of activations, dense, training/);
});
