/**
 * A worker_threads entry for workers.full.test.ts. workerData.mode:
 * - 'check': runs the given cases `iterations` times (sync and async, several calls in flight) and
 *   compares every result bit for bit with the expected output computed on the main thread; posts
 *   { done: true, calls, mismatches, first }.
 * - 'spin': runs large dense calls (sync and async) and activations forever, posting { calls } now
 *   and then, until the main thread terminates the worker in the middle of one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { backward, denseForward, denseForwardAsync, forward, info, type Activation } from '../../../lib/index';

export interface ActCase {
  act: Activation;
  x: Float32Array;
  dy: Float32Array;
  y: Float32Array;
  dz: Float32Array;
}

export interface DenseCase {
  act: Activation;
  m: number;
  k: number;
  n: number;
  x: Float32Array;
  W: Float32Array;
  b: Float32Array;
  y: Float32Array;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

const port = parentPort!;
const data = workerData as { mode: 'check' | 'spin'; id: number; iterations: number; acts: ActCase[]; dense: DenseCase[] };

async function check(): Promise<void> {
  let calls = 0;
  let mismatches = 0;
  let first = '';
  const expect = (ok: boolean, what: string): void => {
    calls++;
    if (ok) return;
    mismatches++;
    if (!first) first = what;
  };
  for (let it = 0; it < data.iterations; it++) {
    for (const c of data.acts) {
      expect(sameBits(forward(c.act, c.x), c.y), `forward ${c.act.kind}`);
      expect(sameBits(backward(c.act, c.x, c.dy), c.dz), `backward ${c.act.kind}`);
    }
    for (const c of data.dense) {
      const args = { x: c.x, W: c.W, b: c.b, m: c.m, k: c.k, n: c.n, activation: c.act };
      expect(sameBits(denseForward(args).y, c.y), `denseForward ${c.act.kind} ${c.m}x${c.k}x${c.n}`);
      // Several in flight at once, on the libuv pool, racing the other workers for the dense lock.
      const rs = await Promise.all([0, 1, 2, 3].map(() => denseForwardAsync(args)));
      for (const r of rs) expect(sameBits(r.y, c.y), `denseForwardAsync ${c.act.kind} ${c.m}x${c.k}x${c.n}`);
    }
  }
  port.postMessage({ done: true, id: data.id, backend: info().backend, calls, mismatches, first });
}

async function spin(): Promise<void> {
  const m = 384, k = 512, n = 384;
  const x = new Float32Array(m * k).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
  const W = new Float32Array(k * n).map((_, i) => ((i * 5) % 11) / 11 - 0.5);
  const args = { x, W, m, k, n, activation: { kind: 'gelu' } as Activation };
  let calls = 0;
  port.postMessage({ id: data.id, calls, started: true });
  for (;;) {
    denseForward(args);
    const pending = [denseForwardAsync(args), denseForwardAsync(args)];
    forward('smelu', x);
    await Promise.all(pending);
    calls += 4;
    port.postMessage({ id: data.id, calls });
  }
}

(data.mode === 'check' ? check() : spin()).catch((e: Error) => port.postMessage({ error: String(e?.stack ?? e) }));
