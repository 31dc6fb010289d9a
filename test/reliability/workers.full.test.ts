/**
 * Worker threads and process exit. The addon is a Node-API module (context-aware: each worker
 * gets its own exports; the kernels, the dispatch tier and the dense thread pool are process-wide,
 * guarded by atomics and one mutex). Here it is loaded in 8 worker_threads at once, whose results
 * must match the main thread's bit for bit; workers are terminated in the middle of sync and async
 * calls, and the process must stay healthy; child processes that use the pool and exit (naturally,
 * with process.exit during calls, with an uncaught exception) must exit cleanly, never abort.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backward, denseForward, denseForwardAsync, forward, info, type Activation } from '../../lib/index';
import { workerEntry } from '../helpers/ts-child';
import { runChild, sameBits } from './helpers/env';
import type { ActCase, DenseCase } from './helpers/worker-entry';
import { seededRandom } from '../../lib/reference';

const HELPERS = resolve(__dirname, 'helpers');
const WORKERS = 8;

function randomArray(n: number, seed: number, scale = 2): Float32Array {
  const r = seededRandom(seed);
  return new Float32Array(n).map(() => (2 * r() - 1) * scale);
}

const ACTS: Activation[] = [
  { kind: 'smelu', beta: 0.5 },
  { kind: 'gsmelu', gNeg: 0.1, gPos: 1.2, alpha: 0.5, beta: 1.5, t: 0.2 },
  { kind: 'gelu' },
  { kind: 'swish', beta: 1.5 },
  { kind: 'softplus', beta: 2, threshold: 10 },
  { kind: 'relu' },
];

/** Inputs and the main thread's outputs: what every worker must reproduce exactly. */
function makeCases(): { acts: ActCase[]; dense: DenseCase[] } {
  const acts = ACTS.map((act, i) => {
    const x = randomArray(1000 + i * 37, 100 + i, 6);
    const dy = randomArray(x.length, 200 + i);
    return { act, x, dy, y: forward(act, x), dz: backward(act, x, dy) };
  });
  const shapes: Array<[number, number, number]> = [[1, 300, 200], [33, 64, 70], [96, 257, 130], [5, 1, 3]];
  const dense = shapes.map(([m, k, n], i) => {
    const act = ACTS[i % ACTS.length];
    const x = randomArray(m * k, 300 + i);
    const W = randomArray(k * n, 400 + i, 0.5);
    const b = randomArray(n, 500 + i);
    return { act, m, k, n, x, W, b, y: denseForward({ x, W, b, m, k, n, activation: act }).y };
  });
  return { acts, dense };
}

function startWorker(workerData: Record<string, unknown>): Worker {
  const entry = workerEntry(HELPERS, 'worker-entry');
  return new Worker(entry.source, { eval: entry.eval, workerData: { ...entry.data, ...workerData } });
}

interface CheckReport { done: true; id: number; backend: string; calls: number; mismatches: number; first: string; error?: string }

describe('worker_threads', () => {
  it('runs on the native backend', () => {
    expect(info().backend).toBe('native');
  });

  it(`${WORKERS} workers load the addon at once and compute the main thread's bits, sync and async`, async () => {
    const cases = makeCases();
    const reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, id) =>
        new Promise<CheckReport>((res, rej) => {
          const w = startWorker({ mode: 'check', id, iterations: 6, ...cases });
          let report: CheckReport | undefined;
          w.on('message', (msg: CheckReport) => {
            if (msg.error) rej(new Error(`worker ${id}: ${msg.error}`));
            else if (msg.done) {
              report = msg;
              void w.terminate();
            }
          });
          w.on('error', rej);
          w.on('exit', () => (report ? res(report) : rej(new Error(`worker ${id} exited without a report`))));
        }),
      ),
    );
    let calls = 0;
    for (const r of reports) {
      expect(r.backend, `worker ${r.id}`).toBe('native');
      expect(r.mismatches, `worker ${r.id}: ${r.first}`).toBe(0);
      calls += r.calls;
    }
    // 6 iterations x (6 activations x 2 + 4 dense shapes x 5) per worker
    expect(calls).toBe(WORKERS * 6 * (ACTS.length * 2 + 4 * 5));
    console.log(`worker threads: ${WORKERS} workers, ${calls} calls checked bit for bit against the main thread`);
  });

  it('terminating workers in the middle of sync and async calls leaves the process healthy', async () => {
    const cases = makeCases();
    const rnd = seededRandom(7);
    let terminated = 0;
    let seenCalls = 0;
    for (let round = 0; round < 6; round++) {
      const workers = Array.from({ length: WORKERS }, (_, id) => startWorker({ mode: 'spin', id, iterations: 0, acts: [], dense: [] }));
      const errors: unknown[] = [];
      // Each worker says when it enters its loop of calls: terminations are timed from there, so
      // that they land inside calls, not in a worker still loading its modules.
      const started = workers.map(
        (w) =>
          new Promise<void>((res) => {
            w.on('error', (e) => errors.push(e));
            w.on('message', (msg: { calls?: number; started?: boolean; error?: string }) => {
              if (msg.error) errors.push(msg.error);
              if (msg.started) res();
              seenCalls = Math.max(seenCalls, msg.calls ?? 0);
            });
          }),
      );
      await Promise.all(started);
      // The main thread keeps calling too while the workers run, for a random while.
      const until = Date.now() + rnd() * 100;
      do {
        const c = cases.dense[2];
        const r = await denseForwardAsync({ x: c.x, W: c.W, b: c.b, m: c.m, k: c.k, n: c.n, activation: c.act });
        expect(sameBits(r.y, c.y)).toBe(true);
      } while (Date.now() < until);
      const codes = await Promise.all(
        workers.map(async (w) => {
          await new Promise((r) => setTimeout(r, rnd() * 40));
          return w.terminate();
        }),
      );
      expect(errors).toEqual([]);
      // 1: stopped by terminate() while running (a crash would have ended this whole process).
      expect(codes).toEqual(workers.map(() => 1));
      terminated += codes.length;
    }
    expect(terminated).toBe(6 * WORKERS);
    expect(seenCalls).toBeGreaterThan(0);
    // Healthy afterwards: sync, async and elementwise calls on the main thread give the same bits.
    for (const c of cases.dense) {
      const args = { x: c.x, W: c.W, b: c.b, m: c.m, k: c.k, n: c.n, activation: c.act };
      expect(sameBits(denseForward(args).y, c.y)).toBe(true);
      expect(sameBits((await denseForwardAsync(args)).y, c.y)).toBe(true);
    }
    for (const c of cases.acts) expect(sameBits(forward(c.act, c.x), c.y)).toBe(true);
    console.log(`terminated ${terminated} workers mid-call (the busiest had made ${seenCalls} calls)`);
  });
});

describe('thread pool shutdown at process exit', () => {
  const entry = resolve(HELPERS, 'pool-exit-child.ts');
  const cases: Array<[string, number]> = [
    ['natural', 0],
    ['exit-async', 0],
    ['exit-worker', 0],
    ['throw', 1],
  ];
  for (const [mode, code] of cases) {
    it(`${mode}: exits with ${code}, no abort`, async () => {
      for (let i = 0; i < 3; i++) {
        const r = await runChild(entry, { env: { SMELU_EXIT_MODE: mode }, timeoutMs: 60_000 });
        const why = `run ${i}: code ${r.code} signal ${r.signal}\n${r.stdout}\n${r.stderr}`;
        expect(r.signal, why).toBeNull();
        expect(r.code, why).toBe(code);
        expect(r.stdout, why).toContain('threads 2');
        expect(r.stderr, why).not.toMatch(/terminate called|Aborted|FATAL|Assertion|AddressSanitizer|runtime error/);
        if (code === 0) expect(r.stdout, why).toContain(`ok ${mode}`);
        else expect(r.stderr, why).toContain('deliberate uncaught error');
      }
    });
  }
});
