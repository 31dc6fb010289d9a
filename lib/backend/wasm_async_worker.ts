/**
 * Worker entry for the wasm backend's async dense calls (see AsyncDense in ./wasm_node.ts): its own
 * instance of the module (and its own helpers), so a pending call never shares memory with the
 * calls the main thread makes meanwhile. Calls run in the order they arrive.
 */
import { parentPort } from 'node:worker_threads';
import type { DenseBackwardCall, DenseForwardCall } from './types';
import { loadWasmBackend } from './wasm_node';

const backend = loadWasmBackend({ asyncCalls: false });

interface Request {
  id: number;
  threads: number;
  forward?: DenseForwardCall;
  backward?: DenseBackwardCall;
}

parentPort!.on('message', ({ id, threads, forward, backward }: Request) => {
  try {
    backend.setThreads(threads);
    if (forward) {
      backend.denseForward(forward);
      parentPort!.postMessage({ id, out: { y: forward.y, z: forward.z } });
    } else {
      backend.denseBackward(backward!);
      parentPort!.postMessage({ id, out: { dx: backward!.dx, dW: backward!.dW, db: backward!.db } });
    }
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id, error: { name: err.name, message: err.message } });
  }
});
