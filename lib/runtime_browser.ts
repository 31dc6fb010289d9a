/**
 * Backend choice in browsers (the package's `browser` export; the bundle puts this module in place
 * of ./runtime): no addon and no Node built-ins. The TypeScript backend serves from the start; the
 * WebAssembly backend replaces it once ready() has compiled the module (browsers compile modules
 * of this size only asynchronously on the main thread). One thread: helper workers are not
 * started in browsers.
 */
import type { Backend } from './backend/types';
import { jsBackend } from './backend/js';
import { WASM_INITIAL_PAGES, WASM_MAX_PAGES, createWasmBackend, wasmApi, withUnsharedMemory, type WasmExports } from './backend/wasm';

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
      const module = await api.compile(withUnsharedMemory(decodeBase64(base64)));
      const memory = new api.Memory({ initial: WASM_INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared: false });
      const { exports } = await api.instantiate(module, { env: { memory } });
      const backend = createWasmBackend({ exports: exports as WasmExports, memory, helpers: null }, null, 1);
      selection = { backend, reason: 'WebAssembly module (browser build, one thread)' };
    } catch (e) {
      selection = { backend: jsBackend, reason: `WebAssembly unavailable (${(e as Error).message.split('\n')[0]})` };
    }
    return selection;
  })();
  return loading;
}
