/**
 * Long runs: 10^6 calls of each synchronous public function (10^6 forwards, backwards, dense
 * forwards and backwards, packs...) and 2 x 10^5 of each async one, with small inputs, in a child
 * process with --expose-gc. RSS after full GCs, sampled after each tenth of the calls, must not grow
 * by 5 MB over the run (least-squares line through the samples, from the value after a warm-up);
 * the figures of every function are printed (and recorded in docs/reliability.md).
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
  rssGrowthMB: number;
  rssSamplesMB: number[];
  seconds: number;
}

const BOUND_MB = 5;
const NAMES = [
  'forward', 'backward', 'backwardFromOutput', 'derivative', 'denseForward', 'denseForward packed',
  'denseBackward', 'packWeights', 'denseForwardAsync', 'denseBackwardAsync',
];

it('10^6 calls of each public function leave RSS flat', async () => {
  // One child per function: each starts from a clean heap, not from the last one's garbage.
  const rows: Row[] = [];
  const run = async (name: string): Promise<Row> => {
    const r = await runChild(resolve(__dirname, 'helpers/memory-child.ts'), {
      // V8 grows its young generation (semi-spaces of 1 MB up to 16 MB) by itself, in steps, while
      // the allocation rate stays high: +30 MB of RSS some 500k async calls into a run, with the
      // heap in use flat at 4 MB. The size is fixed here so that growth is not taken for a leak.
      nodeArgs: ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'],
      env: { SMELU_MEM_ONLY: name },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{"name"'));
    return JSON.parse(line!) as Row;
  };
  for (const name of NAMES) {
    rows.push(await run(name));
  }
  const table = rows.map(
    (x) =>
      `  ${x.name.padEnd(20)} ${String(x.calls).padStart(8)} calls  ${x.usPerCall} us/call  RSS ${x.rssBeforeMB} MB, ` +
      `growth ${x.rssGrowthMB} MB (last - first ${x.rssDeltaMB} MB; samples ${x.rssSamplesMB.join(' ')}) (${x.seconds} s)`,
  );
  console.log(`memory over long runs (RSS after GC, after a warm-up; growth = fitted line over 11 samples):\n${table.join('\n')}`);
  expect(rows.map((x) => x.name)).toEqual(NAMES);
  for (const x of rows) {
    expect(x.calls, x.name).toBe(x.name.endsWith('Async') ? 200_000 : 1_000_000);
    // A dropped pack's native memory is freed by its finalizer, after a GC and a turn of the event
    // loop; malloc then keeps or returns it in steps, and RSS after warm-up moves up and down by up
    // to ~8 MB between samples (never steadily up). That one function is held to twice the bound
    // (docs/reliability.md, "packWeights"); every other function to the bound itself.
    const bound = x.name === 'packWeights' ? 2 * BOUND_MB : BOUND_MB;
    expect(x.rssGrowthMB, x.name).toBeLessThan(bound);
    // A single sample may sit a few MB off the line, but not far.
    expect(Math.abs(x.rssDeltaMB), x.name).toBeLessThan(2 * bound);
  }
});
