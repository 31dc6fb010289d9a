/**
 * Chooses the backend once, at first use: the native addon, else the WebAssembly build, else the
 * TypeScript fallback (SMELU_BACKEND=native|wasm|js forces one), then applies SMELU_ISA and
 * SMELU_THREADS. The reason for the choice is kept for info().
 */
import type { Backend, IsaTier } from './types';
import { jsBackend } from './js';
import { loadNativeBackend } from './native';
import { loadWasmBackend } from './wasm_node';

export interface Selection {
  backend: Backend;
  /** Why this backend: 'native addon loaded', 'SMELU_BACKEND=js', or the load error. */
  reason: string;
}

const ISA_NAMES: readonly IsaTier[] = ['scalar', 'avx2', 'avx512', 'neon'];

let selection: Selection | undefined;

export function selected(): Selection {
  if (!selection) selection = select(process.env);
  return selection;
}

/** For tests: choose again from a given environment. */
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
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`SMELU_THREADS must be an integer from 1 to 1024, got '${raw}'`);
  }
  backend.setThreads(n);
}
