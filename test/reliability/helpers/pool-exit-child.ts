/**
 * A child process for workers.full.test.ts that uses the native thread pool and then ends, in the way
 * env SMELU_EXIT_MODE says; the test checks the exit code and that nothing aborted:
 * - natural: pool-sized dense calls (sync and async), then the event loop just runs out.
 * - exit-async: process.exit(0) with 16 async dense calls still running on the libuv pool.
 * - exit-worker: process.exit(0) while a worker thread is inside dense calls.
 * - throw: an uncaught exception with async calls in flight (exit code 1, not an abort).
 */
import { Worker } from 'node:worker_threads';
import { denseForward, denseForwardAsync, getThreads, setThreads, type Activation } from '../../../lib/index';
import { workerEntry } from '../../helpers/ts-child';

const mode = process.env.SMELU_EXIT_MODE ?? 'natural';
setThreads(2);
// 2 m k n = 100 MFLOP: above the driver's 2 MFLOP per thread, so both pool threads work.
const m = 256, k = 768, n = 256;
const x = new Float32Array(m * k).fill(0.25);
const W = new Float32Array(k * n).fill(0.5);
const args = { x, W, m, k, n, activation: { kind: 'smelu', beta: 1 } as Activation };
const want = 0.25 * 0.5 * k; // every z; smelu is the identity above beta

function check(y: Float32Array): void {
  if (y[0] !== want || y[y.length - 1] !== want) throw new Error(`wrong result ${y[0]}`);
}

async function main(): Promise<void> {
  check(denseForward(args).y);
  console.log(`threads ${getThreads()}`);
  switch (mode) {
    case 'natural': {
      const rs = await Promise.all(Array.from({ length: 8 }, () => denseForwardAsync(args)));
      rs.forEach((r) => check(r.y));
      console.log('ok natural');
      return; // nothing left: the process ends by itself
    }
    case 'exit-async': {
      for (let i = 0; i < 16; i++) void denseForwardAsync(args);
      setImmediate(() => {
        console.log('ok exit-async');
        process.exit(0);
      });
      return;
    }
    case 'exit-worker': {
      const entry = workerEntry(__dirname, 'worker-entry');
      const w = new Worker(entry.source, { eval: entry.eval, workerData: { ...entry.data, mode: 'spin', id: 0, iterations: 0, acts: [], dense: [] } });
      w.on('message', (msg: { calls?: number }) => {
        if ((msg.calls ?? 0) >= 4) {
          // The worker is between calls or inside the next one: exit now either way.
          void denseForwardAsync(args);
          console.log('ok exit-worker');
          process.exit(0);
        }
      });
      return;
    }
    case 'throw': {
      for (let i = 0; i < 8; i++) void denseForwardAsync(args);
      setImmediate(() => {
        throw new Error('deliberate uncaught error');
      });
      return;
    }
    default:
      throw new Error(`unknown SMELU_EXIT_MODE ${mode}`);
  }
}

void main();
