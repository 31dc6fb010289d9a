/**
 * The WebAssembly backend in Node: smelu.wasm read from the package (native/wasm/smelu.wasm,
 * compiled synchronously), a shared memory, and helper threads (worker_threads) that instantiate
 * the same module on that memory and wait for jobs on it with Atomics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerFile } from '../worker-file';
import { blockOf, checkBlock } from './blocks';
import type { DenseBackwardCall, DenseForwardCall } from './types';
import {
  HELPER_OPS,
  JOB_DONE,
  SlotHelpers,
  helperProgram,
  WASM_INITIAL_PAGES,
  WASM_MAX_PAGES,
  createWasmBackend,
  wasmApi,
  withUnsharedMemory,
  wasmLayout,
  type WasmBackend,
  type WasmExports,
  type WasmMemory,
} from './wasm';

/** The module file, relative to the package root (two levels above lib/backend and dist/backend). */
export const WASM_FILE = path.join('native', 'wasm', 'smelu.wasm');
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

const DONE = JOB_DONE;

// The helper's whole program: its data from workerData, then instantiate and serve jobs.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, slot, stackTop, ops } = workerData;
${helperProgram('')}
`;

class NodeHelpers extends SlotHelpers {
  private workers: Worker[] = [];

  constructor(
    private readonly module: object,
    memory: WasmMemory,
    heapBase: number,
  ) {
    super(memory, heapBase);
  }

  count(): number {
    return this.workers.length;
  }

  resize(n: number): void {
    while (this.workers.length > n) void this.workers.pop()!.terminate();
    while (this.workers.length < n) {
      const i = this.workers.length;
      const slot = this.layout.slot(i);
      new Int32Array(this.memory.buffer, slot, 4).fill(0);
      const workerData = { module: this.module, memory: this.memory, slot, stackTop: this.layout.stackTop(i), ops: HELPER_OPS };
      const w = new Worker(HELPER_SOURCE, { eval: true, workerData });
      // Idle helpers block in Atomics.wait; they must not keep the process alive.
      w.unref();
      this.workers.push(w);
    }
  }

  protected block(words: Int32Array, seq: number): void {
    for (let done = Atomics.load(words, DONE); done !== seq; done = Atomics.load(words, DONE)) {
      Atomics.wait(words, DONE, done);
    }
  }
}

type Outputs = Record<string, Float32Array | null>;

/**
 * The async dense calls: sent to one worker (./wasm_async_worker.ts) that runs them on its own
 * instance, off the calling thread; the results are copied into the caller's output arrays.
 */
class AsyncDense {
  private worker: Worker | null = null;
  private next = 0;
  private readonly pending = new Map<number, { resolve(o: Outputs): void; reject(e: Error): void }>();

  run(request: { threads: number; forward?: DenseForwardCall; backward?: DenseBackwardCall }): Promise<Outputs> {
    const w = this.start();
    const id = this.next++;
    return new Promise<Outputs>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, ...request });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerFile(__dirname, 'wasm_async_worker'));
    w.on('message', ({ id, out, error }: { id: number; out?: Outputs; error?: { name: string; message: string } }) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (this.pending.size === 0) w.unref();
      if (!error) return p.resolve(out!);
      const Type = error.name === 'TypeError' ? TypeError : error.name === 'RangeError' ? RangeError : Error;
      p.reject(new Type(error.message));
    });
    w.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = null;
    });
    w.unref();
    this.worker = w;
    return w;
  }
}

/** The public names of the outputs the worker sends back. */
const OUTPUT_NAMES: Readonly<Record<string, string>> = { y: 'out', z: 'zOut', dx: 'dx', dW: 'dW', db: 'db' };

/**
 * Copies what the worker computed into the caller's arrays: all of them, or none when one was
 * detached, transferred or shrunk while the call was pending (the native addon's rule).
 */
function copyBack(into: Outputs, from: Outputs): void {
  for (const [name, a] of Object.entries(into)) {
    if (a) checkBlock(OUTPUT_NAMES[name], a); // released while pending: its memory may be another array's now
    if (a && a.length !== from[name]!.length) {
      throw new TypeError(`${OUTPUT_NAMES[name]} was detached, transferred or shrunk while the async call was pending: no result was written`);
    }
  }
  for (const [name, a] of Object.entries(into)) if (a) a.set(from[name]!);
}

/**
 * The call as the worker gets it: arrays from allocArray (views of this thread's module memory)
 * replaced by copies made now (outputs too: dW and db accumulate), so that the worker never
 * touches memory the caller may release or reuse while the call is pending; copyBack writes the
 * outputs.
 */
function withoutBlocks<C extends object>(c: C): C {
  const out = { ...c } as Record<string, unknown>;
  for (const [key, v] of Object.entries(out)) {
    if (v instanceof Float32Array && blockOf(v) !== undefined) out[key] = v.slice();
  }
  return out as C;
}

/**
 * Compiles and instantiates the shipped module; throws (with the file named) when it cannot.
 * `asyncCalls: false` (the async worker itself) computes the async variants on the calling thread.
 */
export function loadWasmBackend(opts: { asyncCalls?: boolean } = {}): WasmBackend & { wasmFile: string } {
  const api = wasmApi();
  const bytes = fs.readFileSync(path.join(PACKAGE_ROOT, WASM_FILE));
  const instantiate = (module: object, memory: WasmMemory) => new api.Instance(module, { env: { memory } }).exports as WasmExports;
  const limits = { initial: WASM_INITIAL_PAGES, maximum: WASM_MAX_PAGES };
  const unsharedModule = new api.Module(withUnsharedMemory(bytes));
  const unsharedMemory = new api.Memory({ ...limits, shared: false });
  const single = { exports: instantiate(unsharedModule, unsharedMemory), memory: unsharedMemory, helpers: null };
  const module = new api.Module(bytes);
  const memory = new api.Memory({ ...limits, shared: true });
  const ex = instantiate(module, memory);
  const shared = { exports: ex, memory, helpers: new NodeHelpers(module, memory, ex.__heap_base.value) };
  const backend = Object.assign(createWasmBackend(single, shared, os.availableParallelism()), { wasmFile: WASM_FILE });
  if (opts.asyncCalls === false) return backend;
  const async = new AsyncDense();
  backend.denseForwardAsync = async (c) => {
    copyBack({ y: c.y, z: c.z }, await async.run({ threads: backend.info().threads, forward: withoutBlocks(c) }));
  };
  backend.denseBackwardAsync = async (c) => {
    copyBack({ dx: c.dx, dW: c.dW, db: c.db }, await async.run({ threads: backend.info().threads, backward: withoutBlocks(c) }));
  };
  return backend;
}
