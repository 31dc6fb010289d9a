/**
 * Async under load: rounds of 1,000 concurrent denseForwardAsync calls (64 x 256 x 256, gelu) with
 * a 1 ms setInterval timer on the main thread. Every result must be right, the timer must fire, and
 * the arrays the addon keeps alive during a call must be collectable once it settled (weak refs
 * cleared, RSS back near its baseline after GC). Runs in a child process with --expose-gc. The
 * event-loop delay is printed for the record only: timing is asserted nowhere (the bench reports
 * it), so a busy machine cannot fail this.
 */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { lastJson, runChild } from './helpers/env';

interface Report {
  outputs: string;
  calls: number;
  chunk: number;
  issueChunkMs: number;
  issueAllAtOnceMs: number;
  arrayBuffersDeltaMB: number;
  rounds: number;
  threads: number;
  elapsedMs: number;
  ticks: number;
  wrong: number;
  p50Ms: number;
  p99Ms: number;
  p99PerRoundMs: number[];
  maxMs: number;
  samples: number;
  inputsAlive: number;
  inputsFinalized: number;
  rssBaseMB: number;
  rssAfterRoundMB: number[];
  rssDeltaMB: number;
}

function run(outputs: 'reused' | 'fresh', rounds: number): Promise<Report> {
  // glibc keeps freed heap memory for reuse, so RSS would not drop after GC even without a leak:
  // with a fixed mmap threshold every array buffer (64 KB) gets its own mapping, returned on free.
  return runChild(resolve(__dirname, 'helpers/async-load-child.ts'), {
    nodeArgs: ['--expose-gc'],
    env: { MALLOC_MMAP_THRESHOLD_: '65536', SMELU_ASYNC_OUTPUTS: outputs, SMELU_ASYNC_ROUNDS: String(rounds) },
    timeoutMs: 120_000,
  }).then((r) => {
    expect(r.code, r.stderr).toBe(0);
    return lastJson<Report>(r);
  });
}

function describeReport(rep: Report): string {
  return (
    `${rep.rounds} x ${rep.calls} concurrent calls (${rep.outputs} outputs, issued ${rep.chunk} per loop turn) in ${rep.elapsedMs} ms ` +
    `on ${rep.threads} threads; event-loop delay (worst round) p50 ${rep.p50Ms} ms, p99 ${rep.p99Ms} ms, max ${rep.maxMs} ms; ` +
    `p99 per round ${rep.p99PerRoundMs.join(' / ')} ms (${rep.samples} samples); ` +
    `timer ticks ${rep.ticks}; inputs alive after GC ${rep.inputsAlive}/${rep.calls * rep.rounds}; ` +
    `RSS base ${rep.rssBaseMB} MB, after each round ${rep.rssAfterRoundMB.join(' / ')} MB, delta ${rep.rssDeltaMB} MB; ` +
    `array buffers delta ${rep.arrayBuffersDeltaMB} MB; longest issuing stretch ${rep.issueChunkMs} ms ` +
    `(all ${rep.calls} in one loop: ${rep.issueAllAtOnceMs} ms)`
  );
}

/** What both runs must show: right results, a live timer, and nothing kept alive after the calls. */
function expectHealthy(rep: Report, rssBound: number): void {
  expect(rep.wrong).toBe(0);
  expect(rep.calls).toBe(1000);
  // The 1 ms timer kept firing while the calls ran (how often depends on the machine's load).
  expect(rep.ticks).toBeGreaterThan(0);
  // The addon dropped its references: every input array could be collected...
  expect(rep.inputsAlive).toBe(0);
  expect(rep.inputsFinalized).toBe(rep.calls * rep.rounds);
  // ...and V8's count of live array buffer bytes is back where it was.
  expect(rep.arrayBuffersDeltaMB).toBeLessThan(1);
  // Every round churns 64 MB of inputs (and 128 MB of outputs when fresh): a leak would show.
  expect(rep.rssDeltaMB).toBeLessThan(rssBound);
}

it('1,000 concurrent denseForwardAsync calls into reused outputs: correct, timer firing, nothing kept alive', async () => {
  const rep = await run('reused', 5);
  console.log(`async load: ${describeReport(rep)}`);
  expectHealthy(rep, 16);
});

it('1,000 concurrent denseForwardAsync calls allocating their outputs: correct, nothing kept alive (delay reported)', async () => {
  const rep = await run('fresh', 3);
  // Here allocation and GC of 192 KB of new array buffers per call dominate the main thread.
  console.log(`async load: ${describeReport(rep)}`);
  expectHealthy(rep, 32);
});
