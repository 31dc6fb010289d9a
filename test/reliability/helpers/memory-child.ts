/**
 * Child process (node --expose-gc) for memory.full.test.ts: many calls of each public function with
 * small inputs, RSS measured after full GCs along the way. Per function: a warm-up (so that V8's
 * heap, the allocator's arenas and the addon's scratch reach their steady state), then the counted
 * calls in ten parts with an RSS sample after each. Prints one JSON line per function and a final
 * summary line.
 * Env SMELU_MEM_SCALE scales every count (a quick look); SMELU_MEM_ONLY runs one function.
 */
import {
  activation,
  backward,
  backwardFromOutput,
  denseBackward,
  denseBackwardAsync,
  denseForward,
  denseForwardAsync,
  derivative,
  forward,
  packWeights,
} from '../../../lib/index';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const scale = Number(process.env.SMELU_MEM_SCALE ?? '1');

/**
 * Full GCs with turns of the event loop between them (Node-API finalizers run from setImmediate),
 * then a pause: V8 frees dead array buffers' memory on a background thread after the GC.
 */
async function settle(): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 4; i++) {
      gc!();
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const smelu = activation({ kind: 'smelu', beta: 0.5 });
const gelu = activation({ kind: 'gelu' });
const x = new Float32Array(16).map((_, i) => i / 4 - 2);
const dy = new Float32Array(16).fill(0.5);
const m = 2, k = 4, n = 3;
const dx = new Float32Array(m * k).map((_, i) => i / 8);
const W = new Float32Array(k * n).map((_, i) => i / 16 - 0.3);
const b = new Float32Array(n).fill(0.1);
const dDy = new Float32Array(m * n).fill(0.25);
const z = new Float32Array(m * n).map((_, i) => i / 3 - 1);
const packed = packWeights(W, k, n);
let sink = 0;

interface Job {
  name: string;
  calls: number;
  /** Warm-up calls, as a share of `calls`. */
  warmup?: number;
  /** Runs `count` calls (async jobs keep up to 64 in flight). */
  run(count: number): void | Promise<void>;
}

/** Turns of the event loop between chunks of calls, as a real program makes them. */
const CHUNK = 1000;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Synchronous calls, CHUNK at a time with a turn of the event loop between chunks: Node-API
 * finalizers (which free a dropped pack's native memory) run from setImmediate, so a program that
 * never yields keeps every dropped pack until it does (docs/reliability.md, "packWeights in a
 * synchronous loop").
 */
function sync(name: string, calls: number, call: () => Float32Array): Job {
  return {
    name,
    calls,
    async run(count) {
      for (let i = 0; i < count; i += CHUNK) {
        for (let j = i; j < Math.min(count, i + CHUNK); j++) sink += call()[0];
        await turn();
      }
    },
  };
}

/** Async calls, 64 in flight; a full-length warm-up (their promises survive young-generation GCs). */
function batched(name: string, calls: number, call: () => Promise<Float32Array>): Job {
  return {
    name,
    calls,
    warmup: 1,
    async run(count) {
      for (let i = 0; i < count; i += 64) {
        const batch = Array.from({ length: Math.min(64, count - i) }, call);
        for (const r of await Promise.all(batch)) sink += r[0];
      }
    },
  };
}

const M = 1_000_000;
const JOBS: Job[] = [
  sync('forward', M, () => forward(smelu, x)),
  sync('backward', M, () => backward(gelu, x, dy)),
  sync('backwardFromOutput', M, () => backwardFromOutput(smelu, x, dy)),
  sync('derivative', M, () => derivative(gelu, x)),
  sync('denseForward', M, () => denseForward({ x: dx, W, b, m, k, n, activation: gelu }).y),
  sync('denseForward packed', M, () => denseForward({ x: dx, W: packed, b, m, k, n, activation: gelu }).y),
  sync('denseBackward', M, () => denseBackward({ x: dx, W, dy: dDy, z, m, k, n, activation: gelu }).dW),
  // Each pack owns native memory released by a finalizer: these must run and free it. The packs
  // dropped between two GCs pile up in malloc's heap before they are freed, so RSS settles at a
  // plateau (~90 MB above the start here) that takes 500k-1.5M packs to reach (one run stepped up
  // 8 MB after a 1M warm-up, then stayed flat): a longer warm-up.
  { ...sync('packWeights', M, () => packWeights(W, k, n).source), warmup: 2 },
  batched('denseForwardAsync', 200_000, () => denseForwardAsync({ x: dx, W, b, m, k, n, activation: gelu }).then((r) => r.y)),
  batched('denseBackwardAsync', 200_000, () => denseBackwardAsync({ x: dx, W, dy: dDy, z, m, k, n, activation: gelu }).then((r) => r.dW)),
];

async function main(): Promise<void> {
  const only = process.env.SMELU_MEM_ONLY;
  const results = [];
  for (const job of JOBS) {
    if (only && job.name !== only) continue;
    const calls = Math.max(1000, Math.round(job.calls * scale));
    const t0 = performance.now();
    await job.run(Math.round(calls * (job.warmup ?? 0.3))); // warm-up
    await settle();
    // RSS after GC at the start and after each tenth of the calls. One sample moves by a few MB
    // between identical runs (where malloc and V8's background sweeper leave freed memory), so
    // the growth is the least-squares line through all eleven, over the whole run: a leak grows
    // it steadily, a one-off shift barely.
    const samples = [process.memoryUsage().rss];
    let callMs = 0;
    for (let part = 0; part < 10; part++) {
      const t1 = performance.now();
      await job.run(calls / 10);
      callMs += performance.now() - t1;
      await settle();
      samples.push(process.memoryUsage().rss);
    }
    const mb = samples.map((b) => b / 2 ** 20);
    const xs = mb.map((_, i) => i / 10); // fraction of the run
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = mb.reduce((a, b) => a + b) / mb.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (mb[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const r = {
      name: job.name,
      calls,
      usPerCall: Math.round((callMs * 1000 * 100) / calls) / 100,
      rssBeforeMB: Math.round(mb[0] * 10) / 10,
      /** Growth over the run on the fitted line, MB. */
      rssGrowthMB: Math.round(slope * 100) / 100,
      /** Last sample minus the first, MB. */
      rssDeltaMB: Math.round((mb[10] - mb[0]) * 100) / 100,
      rssSamplesMB: mb.map((v) => Math.round(v * 10) / 10),
      seconds: Math.round(performance.now() - t0) / 1000,
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  console.log(JSON.stringify({ done: true, results, sink: Number.isFinite(sink) }));
}

void main();
