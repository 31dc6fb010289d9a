/**
 * Helper threads for the WebAssembly backend in a cross-origin isolated page: Web Workers that
 * instantiate the module on the shared memory and serve jobs from their slots (the layout and the
 * protocol of ./wasm_node.ts). Browsers forbid Atomics.wait on the main thread, so the caller
 * spins on the done words while the helpers work; workers start asynchronously, so they are
 * started (and awaited) once by startBrowserHelpers and never added later.
 */
import { HELPER_OPS, JOB_DONE, SlotHelpers, helperProgram, wasmLayout, type WasmHelpers, type WasmMemory } from './wasm';

const DONE = JOB_DONE;

// The helper's program: wait for the module and the memory, say ready, serve jobs.
const HELPER_SOURCE = `
onmessage = ({ data: { module, memory, slot, stackTop, ops } }) => {
${helperProgram("postMessage('ready');")}
};
`;

interface BrowserWorker {
  postMessage(m: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
}
interface BrowserGlobals {
  Worker: new (url: string) => BrowserWorker;
  Blob: new (parts: string[], o: { type: string }) => object;
  URL: { createObjectURL(b: object): string; revokeObjectURL(u: string): void };
}

class BrowserHelpers extends SlotHelpers {
  constructor(
    private readonly workers: BrowserWorker[],
    memory: WasmMemory,
    heapBase: number,
  ) {
    super(memory, heapBase);
  }

  count(): number {
    return this.workers.length;
  }

  /**
   * Keeps every helper: one cannot be started again synchronously (see the top of this file), and
   * an idle one only blocks in Atomics.wait. The backend gives jobs to as many as its threads say.
   */
  resize(): void {}

  /** Spins: the main thread of a page may not block. */
  protected block(words: Int32Array, seq: number): void {
    while (Atomics.load(words, DONE) !== seq);
  }
}

/** Starts `n` helpers on `memory` and resolves once each has instantiated the module. */
export async function startBrowserHelpers(module: object, memory: WasmMemory, heapBase: number, n: number): Promise<WasmHelpers> {
  const g = globalThis as unknown as BrowserGlobals;
  const url = g.URL.createObjectURL(new g.Blob([HELPER_SOURCE], { type: 'text/javascript' }));
  const layout = wasmLayout(heapBase);
  try {
    const workers = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const w = new g.Worker(url);
        return new Promise<BrowserWorker>((resolve, reject) => {
          w.onmessage = () => resolve(w);
          w.onerror = (e) => reject(new Error(`helper worker failed: ${e.message ?? 'unknown error'}`));
          w.postMessage({ module, memory, slot: layout.slot(i), stackTop: layout.stackTop(i), ops: HELPER_OPS });
        });
      }),
    );
    return new BrowserHelpers(workers, memory, heapBase);
  } finally {
    g.URL.revokeObjectURL(url);
  }
}
