/**
 * smelu for browsers (the package's `browser` export, bundled into dist/browser.mjs): the
 * activations and the dense layer on the WebAssembly backend once `await ready()` has loaded it,
 * on the TypeScript backend before that or where WebAssembly SIMD is unavailable. No Node
 * built-ins; the training blocks (nn) and the reproducibility lab are Node-only.
 */
import { loadWasm, selected } from './runtime_browser';
export { setThreads } from './runtime_browser';
import type { BackendInfo } from './backend/types';

// The base64 text of native/wasm/smelu.wasm, put in by the bundler (scripts/build-browser.js).
declare const __SMELU_WASM_BASE64__: string;

export * from './activation';
export * from './dense';
export { allocArray, releaseArray, MAX_ARRAY_LENGTH } from './arrays';
export type { BackendName, IsaTier, BackendInfo } from './backend/types';
export * as reference from './reference';

/** What {@link info} returns in a browser. */
export interface BrowserInfo extends BackendInfo {
  /** Why this backend is in use. */
  reason: string;
}

/**
 * Loads the WebAssembly backend; compute calls made before it settles use the TypeScript backend.
 * @returns what {@link info} then reports.
 */
export async function ready(): Promise<BrowserInfo> {
  if (typeof __SMELU_WASM_BASE64__ !== 'string') throw new Error('smelu: ready() works in the browser bundle (dist/browser.mjs) only');
  await loadWasm(__SMELU_WASM_BASE64__);
  return info();
}

/** Backend, tier and why. */
export function info(): BrowserInfo {
  const s = selected();
  return { ...s.backend.info(), reason: s.reason };
}
