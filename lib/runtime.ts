/**
 * The runtime: which backend runs the kernels (chosen once, at first use: the native addon, else
 * the WebAssembly build, else the TypeScript fallback; SMELU_BACKEND=native|wasm|js forces one), its ISA tier and thread count (SMELU_ISA,
 * SMELU_THREADS, setIsa, setThreads), and info(). The reason for the choice is kept for info().
 */
import { jsBackend } from './backend/js';
import { loadNativeBackend } from './backend/native';
import { loadWasmBackend } from './backend/wasm_node';
import type { Backend, BackendInfo, IsaTier } from './backend/types';

/** The most threads {@link setThreads} accepts (the native pool's limit, C++ kMaxThreads). */
export const MAX_THREADS = 1024;

export interface Selection {
  backend: Backend;
  /** Why this backend: 'native addon loaded', 'SMELU_BACKEND=js', or the load error. */
  reason: string;
}

const ISA_NAMES: readonly IsaTier[] = ['scalar', 'avx2', 'avx512', 'neon'];

let selection: Selection | undefined;

/**
 * The backend in use, chosen at the first call.
 * @internal
 */
export function selected(): Selection {
  if (!selection) selection = select(process.env);
  return selection;
}

/**
 * For tests: choose again from a given environment.
 * @internal
 */
export function reselect(env: NodeJS.ProcessEnv): Selection {
  selection = select(env);
  return selection;
}

function select(env: NodeJS.ProcessEnv): Selection {
  const wanted = (env.SMELU_BACKEND ?? '').trim().toLowerCase();
  if (wanted !== '' && wanted !== 'native' && wanted !== 'wasm' && wanted !== 'js') {
    throw new RangeError(`SMELU_BACKEND must be 'native', 'wasm' or 'js', got '${env.SMELU_BACKEND}'`);
  }
  let result: Selection;
  if (wanted === 'js') {
    result = { backend: jsBackend, reason: 'SMELU_BACKEND=js' };
  } else if (wanted === 'wasm') {
    const wasm = tryLoadWasm();
    if (!wasm.backend) throw new Error(`SMELU_BACKEND=wasm but the WebAssembly module did not load: ${wasm.error}`);
    result = { backend: wasm.backend, reason: `SMELU_BACKEND=wasm (${wasm.file})` };
  } else {
    const loaded = tryLoadNative();
    if (loaded.backend) result = { backend: loaded.backend, reason: `native addon loaded from ${loaded.file} (${loaded.why})` };
    else if (wanted === 'native') throw new Error(`SMELU_BACKEND=native but the addon did not load: ${loaded.error}`);
    else result = fallback(loaded.error!);
  }
  applyIsa(result.backend, env.SMELU_ISA);
  applyThreads(result.backend, env.SMELU_THREADS);
  return result;
}

function tryLoadNative(): { backend?: Backend; file?: string; why?: string; error?: string } {
  try {
    // The addon is loaded only here, at first use, so a missing or broken addon never breaks
    // `require('smelu')`.
    const backend = loadNativeBackend();
    return { backend, file: backend.addonFile, why: backend.addonWhy };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

/** Without the addon: the WebAssembly build, else TypeScript; the reason names what failed. */
function fallback(nativeError: string): Selection {
  const wasm = tryLoadWasm();
  if (wasm.backend) return { backend: wasm.backend, reason: `native addon unavailable (${nativeError}); WebAssembly module ${wasm.file}` };
  return { backend: jsBackend, reason: `native addon unavailable (${nativeError}); WebAssembly unavailable (${wasm.error})` };
}

function tryLoadWasm(): { backend?: Backend; file?: string; error?: string } {
  try {
    const backend = loadWasmBackend();
    return { backend, file: backend.wasmFile };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

function applyIsa(backend: Backend, raw: string | undefined): void {
  const isa = (raw ?? '').trim().toLowerCase();
  if (isa === '') return;
  if (!(ISA_NAMES as readonly string[]).includes(isa)) {
    throw new RangeError(`SMELU_ISA must be one of ${ISA_NAMES.join(', ')}, got '${raw}'`);
  }
  if (backend.name !== 'native') return; // the TypeScript and wasm backends have a single tier
  if (!backend.setIsa(isa as IsaTier)) {
    const have = backend.info().supportedIsas.join(', ');
    throw new RangeError(`SMELU_ISA=${isa} is not supported by this CPU (supported: ${have})`);
  }
}

function applyThreads(backend: Backend, raw: string | undefined): void {
  if (raw === undefined || raw.trim() === '') return;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`SMELU_THREADS must be an integer from 1 to ${MAX_THREADS}, got '${raw}'`);
  }
  backend.setThreads(n);
}

/** The package version (from package.json). */
export const version: string = require('../package.json').version;

/** What {@link info} returns: the backend in use and the versions around it. */
export interface Info extends BackendInfo {
  /** Why this backend was chosen (e.g. 'SMELU_BACKEND=js', or the addon's load error). */
  reason: string;
  /** This package's version (the same as {@link version}). */
  version: string;
  /** Node.js version (`process.versions.node`). */
  node: string;
  /** Node-API version of this Node.js (`process.versions.napi`; '' when unknown). */
  napi: string;
}

/**
 * Backend ('native' | 'wasm' | 'js'), ISA tier, thread count, versions, and why this backend is in use.
 *
 * The first call of this or any compute function selects the backend (loading the addon) and
 * applies SMELU_BACKEND, SMELU_ISA and SMELU_THREADS.
 * @returns a new object on every call.
 * @throws RangeError when SMELU_BACKEND, SMELU_ISA or SMELU_THREADS holds an invalid value, and
 * Error when SMELU_BACKEND=native but the addon cannot be loaded (every compute function throws
 * these too, until the environment is fixed: a failed selection is not cached).
 */
export function info(): Info {
  const s = selected();
  return { ...s.backend.info(), reason: s.reason, version, node: process.versions.node, napi: process.versions.napi ?? '' };
}

/**
 * Sets the native thread pool size (default: the available cores; env SMELU_THREADS).
 *
 * Results do not depend on it: every thread count gives the same bits. A no-op on the TypeScript
 * backend, which is single-threaded. Process-wide: it applies to every later call from any thread.
 * @param n threads including the calling one, an integer from 1 to 1024.
 * @throws RangeError when `n` is not an integer from 1 to 1024.
 */
export function setThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${String(n)}`);
  }
  selected().backend.setThreads(n);
}

/**
 * Forces an ISA tier of the native backend ('scalar' | 'avx2' | 'avx512' | 'neon'), like SMELU_ISA.
 *
 * Every tier gives the same bits; only the speed changes. Process-wide.
 * @param isa the tier; `info().supportedIsas` lists those this CPU can run.
 * @throws RangeError when this CPU cannot run it, or when the TypeScript backend is in use.
 */
export function setIsa(isa: IsaTier): void {
  const backend = selected().backend;
  if (backend.name === 'js') {
    throw new RangeError(`setIsa: the TypeScript backend is in use (${selected().reason}); it has the single tier 'js'`);
  }
  if (typeof isa !== 'string' || !backend.setIsa(isa)) {
    const have = backend.info().supportedIsas.join(', ');
    throw new RangeError(`isa must be one of the tiers this CPU supports (${have}), got ${String(isa)}`);
  }
}

/**
 * The thread count in use (see {@link setThreads}).
 * @returns the native pool size including the calling thread; 1 on the TypeScript backend.
 * @throws RangeError / Error as {@link info} when the backend cannot be selected.
 */
export function getThreads(): number {
  return selected().backend.info().threads;
}
