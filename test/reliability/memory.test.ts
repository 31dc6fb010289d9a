/**
 * Long runs: 10^6 calls of each synchronous public function (10^6 forwards, backwards, dense
 * forwards and backwards, packs...) and 2 x 10^5 of each async one, with small inputs, in a child
 * process with --expose-gc. RSS after a full GC must stay within 5 MB of its value after a warm-up;
 * the figure of every function is printed (and recorded in docs/reliability.md).
 */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runChild } from './helpers/env';

interface Row {
  name: string;
  calls: number;
  usPerCall: number;
  rssBeforeMB: number;
  rssDeltaMB: number;
  seconds: number;
}

const BOUND_MB = 5;

it('10^6 calls of each public function leave RSS flat', async () => {
  const r = await runChild(resolve(__dirname, 'helpers/memory-child.ts'), { nodeArgs: ['--expose-gc'], timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  const rows = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{"name"'))
    .map((l) => JSON.parse(l) as Row);
  const table = rows.map((x) => `  ${x.name.padEnd(20)} ${String(x.calls).padStart(8)} calls  ${x.usPerCall} us/call  RSS ${x.rssBeforeMB} MB, delta ${x.rssDeltaMB} MB (${x.seconds} s)`);
  console.log(`memory over long runs (RSS after GC, after a warm-up of 30% more calls):\n${table.join('\n')}`);
  expect(rows.map((x) => x.name)).toEqual([
    'forward', 'backward', 'backwardFromOutput', 'derivative', 'denseForward', 'denseForward packed',
    'denseBackward', 'packWeights', 'denseForwardAsync', 'denseBackwardAsync',
  ]);
  for (const x of rows) {
    expect(x.calls, x.name).toBe(x.name.endsWith('Async') ? 200_000 : 1_000_000);
    expect(x.rssDeltaMB, x.name).toBeLessThan(BOUND_MB);
  }
});
