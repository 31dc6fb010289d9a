/**
 * bench/run.js parses its options with node:util parseArgs and refuses bad ones before measuring
 * anything: exit 2 with the usage on stderr (the runs: bench.full.test.ts).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { bench, ROOT } from './run-bench';

it('refuses an unknown suite with a clear message', () => {
  const r = bench(['--suite', 'nope']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--suite must be one of activations, dense, training, eventloop/);
});

it('exits 2 with the usage on stderr for an unknown option or a bad value, in both spellings', () => {
  const unknown = bench(['--bogus']);
  expect(unknown.status).toBe(2);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toMatch(/unknown option '--bogus'[\s\S]*usage: node bench\/run\.js/);
  for (const args of [['--threads=0'], ['--threads', '0']]) {
    const bad = bench(args);
    expect(bad.status, args.join(' ')).toBe(2);
    expect(bad.stderr).toMatch(/--threads must be an integer from 1 to 64, got '0'[\s\S]*usage:/);
  }
  expect(bench(['--rounds=0']).stderr).toMatch(/--rounds must be an integer from 1 to 10, got '0'/);
  expect(bench(['stray']).status).toBe(2);
});

it('takes one depth: --quick and --full together exit 2 before measuring', () => {
  const r = bench(['--quick', '--full']);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/--quick and --full are two depths of the same run: give one of them[\s\S]*usage:/);
});

it('--help prints the usage on stdout and exits 0', () => {
  const r = bench(['--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^usage: node bench\/run\.js[\s\S]*--out DIR[\s\S]*bench\/results\/local/);
  expect(r.stdout).toMatch(/--full {2,}every size, shape and activation/);
  expect(r.stderr).toBe('');
});

it('refuses a malformed --shapes, --acts or --impls list before measuring', () => {
  const shapes = bench(['--suite', 'dense', '--shapes', '512x512']);
  expect(shapes.status).toBe(2);
  expect(shapes.stderr).toMatch(/--shapes must be a comma list of MxKxN with integers from 1 to 65536, got '512x512'[\s\S]*usage:/);
  expect(bench(['--shapes', '16x0x8']).stderr).toMatch(/got '16x0x8'/);
  const acts = bench(['--acts', 'relu,tanh']);
  expect(acts.status).toBe(2);
  expect(acts.stderr).toMatch(/--acts must name activations among identity, relu, smelu, gelu, gelu_tanh, swish, softplus, got 'tanh'/);
  const impls = bench(['--impls', 'smelu-native,mkl']);
  expect(impls.status).toBe(2);
  expect(impls.stderr).toMatch(/--impls must name implementations among smelu-native, [^']*onednn[^']*, got 'mkl'/);
});

it('bench/percall.js refuses a malformed shape with exit 2 and its usage', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'percall.js'), '256x64'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/shapes are MxKxN with positive integers, got '256x64'\nusage: node bench\/percall\.js/);
});
