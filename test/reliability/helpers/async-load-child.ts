/**
 * Child process (node --expose-gc) for async-load.full.test.ts: rounds of 1,000 concurrent
 * denseForwardAsync calls, each with its own input and output arrays (kept alive by the addon until
 * its promise settles), issued 50 per turn of the event loop as requests would arrive, while a
 * 1 ms setInterval timer keeps firing on the main thread.
 * Prints one JSON line: event-loop delay percentiles while the calls ran, timer ticks, wrong
 * results, how many of the kept-alive arrays were collected after the rounds, and RSS.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { denseForward, denseForwardAsync, getThreads, type Activation } from '../../../lib/index';

const CALLS = Number(process.env.SMELU_ASYNC_CALLS ?? '1000');
const ROUNDS = Number(process.env.SMELU_ASYNC_ROUNDS ?? '3');
/** Calls issued per turn of the event loop. */
const CHUNK = Number(process.env.SMELU_ASYNC_CHUNK ?? '50');
/**
 * 'reused': each in-flight call writes its own out / zOut, allocated once and reused across rounds
 * (a server's buffer pool); 'fresh': the outputs are allocated per call (192 KB of new array
 * buffers per call with x, which is then most of the main thread's work: allocation and GC).
 */
const OUTPUTS = process.env.SMELU_ASYNC_OUTPUTS ?? 'reused';
const m = 64, k = 256, n = 256;
const act: Activation = { kind: 'gelu' };
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

/** 17 input patterns; call i gets its own copy of pattern i % 17 (a fresh array, like a request). */
const PATTERNS = Array.from({ length: 17 }, (_, i) => new Float32Array(m * k).map((_, j) => (((j + i) % 17) - 8) / 16));
function input(i: number): Float32Array {
  return new Float32Array(PATTERNS[i % 17]);
}
const W = new Float32Array(k * n).map((_, j) => ((j % 13) - 6) / 32);
const b = new Float32Array(n).map((_, j) => (j % 5) / 10);
const outs = OUTPUTS === 'reused' ? Array.from({ length: CALLS }, () => ({ out: new Float32Array(m * n), zOut: new Float32Array(m * n) })) : [];

/** Full GCs with turns of the event loop between them, so finalizers and weak refs settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
}

function sameBits(a: Float32Array, c: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const uc = new Uint32Array(c.buffer, c.byteOffset, c.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== uc[i]) return false;
  return true;
}

interface Outcome {
  results: Array<{ y: Float32Array }>;
  /** Longest synchronous stretch of issuing calls (the loop is blocked meanwhile), ms. */
  issueMs: number;
}

/**
 * Issues CALLS calls with fresh inputs, CHUNK per turn of the event loop (as requests arrive),
 * all in flight together. Not an async function: its locals (the inputs) must not linger in a
 * suspended frame, or a weak ref would see them alive for the wrong reason.
 */
function issueRound(chunk: number, weak: Array<WeakRef<Float32Array>>, registry: FinalizationRegistry<void>): Promise<Outcome> {
  // Outputs are copied out of the results: with reused outputs the next round overwrites them.
  const pending: Array<Promise<{ y: Float32Array }>> = [];
  let issueMs = 0;
  return new Promise((res, rej) => {
    const issue = (from: number): void => {
      const t0 = performance.now();
      for (let i = from; i < Math.min(CALLS, from + chunk); i++) {
        const x = input(i);
        weak.push(new WeakRef(x));
        registry.register(x);
        pending.push(denseForwardAsync({ x, W, b, m, k, n, activation: act, ...(outs[i] ?? {}) }));
      }
      issueMs = Math.max(issueMs, performance.now() - t0);
      if (from + chunk < CALLS) setImmediate(() => issue(from + chunk));
      else Promise.all(pending).then((results) => res({ results, issueMs }), rej);
    };
    issue(0);
  });
}

async function main(): Promise<void> {
  // Warm-up: the pool, the scratch buffers, V8's code for this path and one whole round (which
  // touches the reused outputs for the first time: their pages become resident then).
  for (let i = 0; i < 50; i++) await denseForwardAsync({ x: input(i), W, b, m, k, n, activation: act });
  (await issueRound(CHUNK, [], new FinalizationRegistry<void>(() => undefined))).results.length = 0;
  await settle();
  // Expected outputs of the 17 distinct inputs (input(i) depends on i % 17), synchronously.
  const expected = Array.from({ length: 17 }, (_, i) => denseForward({ x: input(i), W, b, m, k, n, activation: act }).y);
  await settle();
  const rssBase = process.memoryUsage().rss;
  const abBase = process.memoryUsage().arrayBuffers;

  // A fresh histogram per round: a disabled one keeps its last timestamp, so re-enabling it would
  // record the whole pause between rounds (the GCs) as one huge delay.
  const rounds: Array<{ p50: number; p99: number; max: number; samples: number }> = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const weak: Array<WeakRef<Float32Array>> = [];
  let collected = 0;
  const registry = new FinalizationRegistry<void>(() => collected++);
  let wrong = 0;
  let elapsed = 0;
  let issueMs = 0;
  const rssAfterRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    const hist = monitorEventLoopDelay({ resolution: 1 });
    hist.enable();
    const out = await issueRound(CHUNK, weak, registry);
    hist.disable();
    elapsed += performance.now() - t0;
    rounds.push({ p50: hist.percentile(50), p99: hist.percentile(99), max: hist.max, samples: hist.count });
    issueMs = Math.max(issueMs, out.issueMs);
    out.results.forEach((r, i) => {
      if (!sameBits(r.y, expected[i % 17])) wrong++;
    });
    out.results.length = 0;
    await settle();
    rssAfterRound.push(process.memoryUsage().rss);
  }
  clearInterval(timer);
  // For the record: the same calls issued in one synchronous loop (outputs allocated meanwhile).
  const oneShot = await issueRound(CALLS, [], new FinalizationRegistry<void>(() => undefined));
  oneShot.results.length = 0;
  await settle();
  const alive = weak.filter((w) => w.deref() !== undefined).length;
  const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
  const mem = process.memoryUsage();
  console.log(
    JSON.stringify({
      calls: CALLS,
      rounds: ROUNDS,
      chunk: CHUNK,
      threads: getThreads(),
      shape: [m, k, n],
      elapsedMs: Math.round(elapsed),
      outputs: OUTPUTS,
      ticks,
      wrong,
      // The worst round's figures; every round's p99 below.
      p50Ms: ms(Math.max(...rounds.map((r) => r.p50))),
      p99Ms: ms(Math.max(...rounds.map((r) => r.p99))),
      p99PerRoundMs: rounds.map((r) => ms(r.p99)),
      maxMs: ms(Math.max(...rounds.map((r) => r.max))),
      samples: rounds.reduce((a, r) => a + r.samples, 0),
      issueChunkMs: Math.round(issueMs * 10) / 10,
      issueAllAtOnceMs: Math.round(oneShot.issueMs * 10) / 10,
      inputsAlive: alive,
      inputsFinalized: collected,
      rssBaseMB: Math.round(rssBase / 2 ** 20),
      rssAfterRoundMB: rssAfterRound.map((r) => Math.round(r / 2 ** 20)),
      // After the last measured round (the one-shot round above only times its issuing).
      rssDeltaMB: Math.round(((rssAfterRound[rssAfterRound.length - 1] - rssBase) / 2 ** 20) * 10) / 10,
      arrayBuffersDeltaMB: Math.round(((mem.arrayBuffers - abBase) / 2 ** 20) * 100) / 100,
    }),
  );
}

void main();
