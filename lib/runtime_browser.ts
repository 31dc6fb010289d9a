/**
 * Backend choice in browsers (the package's `browser` export; the bundle puts this module in place
 * of ./runtime): no addon and no Node built-ins. The TypeScript backend serves from the start; the
 * WebAssembly backend replaces it once ready() has compiled the module (browsers compile modules
 * of this size only asynchronously on the main thread). Threads: in a cross-origin isolated page
 * (SharedArrayBuffer available) the dense layer also runs on Web Workers over a shared memory
 * (./backend/wasm_browser_helpers.ts); otherwise one thread.
 */
import type { Backend } from './backend/types';
import { jsBackend } from './backend/js';
import { MAX_HELPERS, WASM_INITIAL_PAGES, WASM_MAX_PAGES, createWasmBackend, wasmApi, withUnsharedMemory, type WasmApi, type WasmExports, type WasmInstance } from './backend/wasm';
import { startBrowserHelpers } from './backend/wasm_browser_helpers';

export interface Selection {
  backend: Backend;
  /** Why this backend. */
  reason: string;
}

let selection: Selection = { backend: jsBackend, reason: 'WebAssembly backend not loaded yet (await ready())' };
let loading: Promise<Selection> | undefined;

export function selected(): Selection {
  return selection;
}

/** Decodes the module bytes the bundle embeds as base64 (no fetch: works from any URL or file). */
function decodeBase64(text: string): Uint8Array {
  const bin = (globalThis as unknown as { atob(s: string): string }).atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Compiles and instantiates the WebAssembly backend; afterwards every call uses it. When
 * WebAssembly (or SIMD128) is unavailable the TypeScript backend stays, and the reason says why.
 * @param base64 the module bytes, as embedded by the browser bundle.
 */
export function loadWasm(base64: string): Promise<Selection> {
  loading ??= (async () => {
    try {
      const api = wasmApi();
      const bytes = decodeBase64(base64);
      const module = await api.compile(withUnsharedMemory(bytes));
      const memory = new api.Memory({ initial: WASM_INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared: false });
      const { exports } = await api.instantiate(module, { env: { memory } });
      const shared = await sharedInstance(api, bytes);
      const threads = shared ? shared.helpers!.count() + 1 : 1;
      const backend = createWasmBackend({ exports: exports as WasmExports, memory, helpers: null }, shared, threads);
      const how = shared ? `${threads} threads (cross-origin isolated)` : 'one thread (not cross-origin isolated)';
      selection = { backend, reason: `WebAssembly module (browser build, ${how})` };
    } catch (e) {
      selection = { backend: jsBackend, reason: `WebAssembly unavailable (${(e as Error).message.split('\n')[0]})` };
    }
    return selection;
  })();
  return loading;
}

/** Hardware threads the page may use, at most 1 + MAX_HELPERS. */
function hardwareThreads(): number {
  const n = (globalThis as unknown as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(n, MAX_HELPERS + 1));
}

/**
 * The module on a shared memory with its helper workers, where the page is cross-origin isolated
 * (shared memory is usable) and has more than one hardware thread; otherwise null.
 */
async function sharedInstance(api: WasmApi, bytes: Uint8Array): Promise<WasmInstance | null> {
  const g = globalThis as unknown as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown };
  const helperCount = hardwareThreads() - 1;
  if (!g.crossOriginIsolated || typeof g.SharedArrayBuffer !== 'function' || typeof g.Worker !== 'function' || helperCount < 1) return null;
  const module = await api.compile(bytes);
  const memory = new api.Memory({ initial: WASM_INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared: true });
  const exports = (await api.instantiate(module, { env: { memory } })).exports as WasmExports;
  const helpers = await startBrowserHelpers(module, memory, exports.__heap_base.value, helperCount);
  return { exports, memory, helpers };
}

/**
 * Threads for the dense layer, like setThreads in Node; above what the page has (see info()),
 * the backend uses what it has.
 * @throws RangeError for anything but an integer from 1 to 1 + MAX_HELPERS.
 */
export function setThreads(n: number): void {
  const max = MAX_HELPERS + 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`threads must be an integer from 1 to ${max}, got ${String(n)}`);
  }
  selection.backend.setThreads(n);
}
